/* PLACEHOLDER: being written; registers no objects yet. */
#include "metadata.h"

static Error *dump_meta_publications(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_publications = {"publications", dump_meta_publications};

static Error *dump_meta_subscriptions(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_subscriptions = {"subscriptions", dump_meta_subscriptions};

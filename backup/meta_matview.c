/* PLACEHOLDER: being written; registers no objects yet. */
#include "metadata.h"

static Error *dump_meta_matviews(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_matviews = {"matviews", dump_meta_matviews};

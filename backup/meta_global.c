/* PLACEHOLDER: being written; registers no objects yet. */
#include "metadata.h"

static Error *dump_meta_globals(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_globals = {"globals", dump_meta_globals};

static Error *dump_meta_database(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_database = {"database", dump_meta_database};

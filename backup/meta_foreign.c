/* PLACEHOLDER: being written; registers no objects yet. */
#include "metadata.h"

static Error *dump_meta_foreign_data(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_foreign_data = {"foreign data", dump_meta_foreign_data};

static Error *dump_meta_foreign_tables(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_foreign_tables = {"foreign tables", dump_meta_foreign_tables};

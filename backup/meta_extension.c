/* PLACEHOLDER: being written; registers no objects yet. */
#include "metadata.h"

static Error *dump_meta_extensions(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_extensions = {"extensions", dump_meta_extensions};

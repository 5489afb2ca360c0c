/* PLACEHOLDER: being written; registers no objects yet. */
#include "metadata.h"

static Error *dump_meta_default_privileges(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_default_privileges = {"default privileges", dump_meta_default_privileges};

/* PLACEHOLDER: being written; registers no objects yet. */
#include "metadata.h"

static Error *dump_meta_gp_objects(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_gp_objects = {"gp objects", dump_meta_gp_objects};

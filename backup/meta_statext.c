/* PLACEHOLDER: being written; registers no objects yet. */
#include "metadata.h"

static Error *dump_meta_statistics_ext(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_statistics_ext = {"statistics ext", dump_meta_statistics_ext};

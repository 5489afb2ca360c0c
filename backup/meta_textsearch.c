/* PLACEHOLDER: being written; registers no objects yet. */
#include "metadata.h"

static Error *dump_meta_text_search(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_text_search = {"text search", dump_meta_text_search};

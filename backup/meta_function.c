/* PLACEHOLDER: being written; registers no objects yet. */
#include "metadata.h"

static Error *dump_meta_languages(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_languages = {"languages", dump_meta_languages};

static Error *dump_meta_functions(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_functions = {"functions", dump_meta_functions};

static Error *dump_meta_aggregates(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_aggregates = {"aggregates", dump_meta_aggregates};

static Error *dump_meta_casts(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_casts = {"casts", dump_meta_casts};

static Error *dump_meta_operators(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_operators = {"operators", dump_meta_operators};

static Error *dump_meta_opfamilies(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_opfamilies = {"opfamilies", dump_meta_opfamilies};

static Error *dump_meta_collations(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_collations = {"collations", dump_meta_collations};

static Error *dump_meta_conversions(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_conversions = {"conversions", dump_meta_conversions};

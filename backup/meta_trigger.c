/* PLACEHOLDER: being written; registers no objects yet. */
#include "metadata.h"

static Error *dump_meta_triggers(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_triggers = {"triggers", dump_meta_triggers};

static Error *dump_meta_event_triggers(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_event_triggers = {"event triggers", dump_meta_event_triggers};

static Error *dump_meta_rules(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_rules = {"rules", dump_meta_rules};

static Error *dump_meta_policies(MetaContext *ctx)
{
    (void)ctx;
    return NULL;
}

const MetaType meta_policies = {"policies", dump_meta_policies};

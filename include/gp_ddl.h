/* Greenplum and Cloudberry DDL: the clauses PostgreSQL does not have
 * (distribution, append-optimized storage, column encodings, Greenplum 6
 * legacy partitioning), external tables, resource queues and groups, and
 * the resource options of roles.
 *
 * The gp_ddl_* builders (backup/gp_ddl.c) are pure functions over plain
 * structs with one branch per catalog generation: Greenplum 6 (PostgreSQL
 * 9.4 catalog), Greenplum 7 and Cloudberry (PostgreSQL 12+ catalog: access
 * methods, PostgreSQL partitioning, external tables stored as foreign
 * tables). They are unit-tested in test/unit/gp_ddl_test.c. The catalog
 * side (backup/meta_gp.c) fills the structs and runs only when the server
 * is not PostgreSQL.
 *
 * Quoting contract: the builders never see a connection, so every
 * identifier and every literal in their input is already quoted by the
 * caller (conn_quote_ident / conn_quote_qualified / conn_quote_literal).
 * The builders add keywords, numbers and punctuation only. Fields said to
 * be "as the server prints it" (pg_get_expr output, storage parameters,
 * numbers) are copied unchanged. Every returned string is the caller's. */
#ifndef GPB_GP_DDL_H
#define GPB_GP_DDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metadata.h"
#include "snapshot.h"
#include "util.h"

/* Greenplum 7 or Cloudberry: a PostgreSQL 12+ catalog with access methods,
 * PostgreSQL partitioning, and external tables as foreign tables. */
bool gp_catalog_is_gp7(const ServerInfo *srv);

/* ---- distribution (gp_distribution_policy) ---- */

typedef struct GpDistribution {
    char policytype;              /* 'p' hashed or random, 'r' replicated */
    size_t nkeys;                 /* 0 with 'p': DISTRIBUTED RANDOMLY */
    const char *const *keys;      /* quoted column names */
    const char *const *opclasses; /* quoted qualified operator class per key, NULL
                                     (or a NULL array) for the type's default */
} GpDistribution;

/* "DISTRIBUTED BY (a, b opclass)", "DISTRIBUTED RANDOMLY", "DISTRIBUTED
 * REPLICATED". Operator classes and REPLICATED exist from Greenplum 6 on. */
char *gp_ddl_distribution(const ServerInfo *srv, const GpDistribution *d);

/* ---- storage (pg_appendonly, pg_class.reloptions, pg_am) ---- */

typedef struct GpStorage {
    const char *amname;        /* GP7/Cloudberry: access method, NULL when none */
    bool appendonly;           /* GP6: relstorage 'a' or 'c' */
    bool column;               /* GP6: relstorage 'c' */
    bool row_explicit;         /* GP6: "orientation=row" was given */
    const char *compresstype;  /* append-optimized options as the server prints */
    const char *compresslevel; /* them, NULL when not set */
    const char *blocksize;
    const char *checksum;
    const char *options;       /* other storage parameters, "fillfactor=50, ...", or NULL */
} GpStorage;

/* GP6: "WITH (appendonly=true, orientation=column, compresstype=zlib, ...)";
 * GP7/Cloudberry: "USING ao_column WITH (compresstype=zlib, ...)". "" when
 * there is nothing to say. */
char *gp_ddl_storage(const ServerInfo *srv, const GpStorage *s);

/* " ENCODING (compresstype=zlib, blocksize=32768)" from a column's
 * pg_attribute_encoding.attoptions items; "" when n is 0. */
char *gp_ddl_column_encoding(const char *const *attoptions, size_t n);

/* ---- Greenplum 6 legacy partitioning (pg_partition, pg_partition_rule) ---- */

typedef struct GpPartRule GpPartRule;
struct GpPartRule {
    const char *name;            /* quoted; NULL for an unnamed partition */
    bool is_default;
    const char *start;           /* range bounds as pg_get_expr prints them, NULL */
    const char *end;             /* when absent */
    const char *every;
    bool start_exclusive;        /* START is inclusive and END exclusive unless said */
    bool end_inclusive;
    const char *values;          /* list values as pg_get_expr prints them */
    const char *tablename;       /* quoted literal; NULL in templates */
    const char *options;         /* storage parameters "appendonly=true, ..." or NULL */
    const char *tablespace;      /* quoted; NULL for the parent's */
    const GpPartRule *children;  /* this partition's subpartitions; not written when
                                    the next level has a template */
    size_t nchildren;
};

typedef struct GpPartLevel {
    char kind;                   /* 'r' range, 'l' list */
    const char *keys;            /* quoted column list, "a, b" */
    const GpPartRule *tmpl;      /* SUBPARTITION TEMPLATE (levels >= 1), or NULL */
    size_t ntmpl;
} GpPartLevel;

typedef struct GpPartition {
    const GpPartLevel *levels;
    size_t nlevels;
    const GpPartRule *rules;     /* level 0 */
    size_t nrules;
} GpPartition;

/* "PARTITION BY RANGE (a)\nSUBPARTITION BY LIST (b)\nSUBPARTITION TEMPLATE
 * (...)\n(\n    PARTITION p1 START (...) END (...) WITH (tablename='...'),
 * ...\n    DEFAULT PARTITION other WITH (...)\n)". Default partitions are
 * written last, as Greenplum requires. */
char *gp_ddl_partition(const GpPartition *p);

/* ---- what follows a CREATE TABLE's column list ---- */

typedef struct GpTableDef {
    const GpStorage *storage;       /* NULL: none */
    const char *tablespace;         /* quoted; NULL for the database's default */
    const GpDistribution *dist;     /* NULL: no clause */
    const GpPartition *partition;   /* GP6 legacy partitioning, or NULL */
    const char *partition_def;      /* server-printed clause, used instead when not NULL */
} GpTableDef;

/* "\nWITH (...)\nTABLESPACE t\nDISTRIBUTED BY (a)\nPARTITION BY ..." in the
 * order the grammar wants (GP7: "\nUSING ao_row WITH (...)..."); "" when
 * there is nothing. */
char *gp_ddl_table_clause(const ServerInfo *srv, const GpTableDef *t);

/* ---- external tables (GP6 pg_exttable; GP7 ftoptions of gp_exttable_fdw) ---- */

typedef enum GpExecOn {
    GP_EXEC_ALL_SEGMENTS = 0,
    GP_EXEC_HOST,          /* ON HOST 'name' */
    GP_EXEC_PER_HOST,      /* ON HOST */
    GP_EXEC_MASTER,        /* ON MASTER */
    GP_EXEC_COORDINATOR,   /* ON COORDINATOR */
    GP_EXEC_SEGMENT,       /* ON SEGMENT n */
    GP_EXEC_TOTAL_SEGS     /* ON n */
} GpExecOn;

/* Parse an execution location ("ALL_SEGMENTS", "HOST:h", "PER_HOST",
 * "MASTER_ONLY", "COORDINATOR_ONLY", "SEGMENT_ID:3", "TOTAL_SEGS:5"). *arg
 * gets the host name (raw: quote it) or the number, NULL for the others;
 * caller owns. false when the text is not one of these. */
bool gp_ddl_parse_exec_location(const char *loc, GpExecOn *on, char **arg);

/* Format options as tokens: keywords and column lists to write as they
 * are, and string values (literal = true) to quote. */
typedef struct GpFmtTokens {
    char **text;
    bool *literal;
    size_t n;
} GpFmtTokens;

void gp_fmt_tokens_free(GpFmtTokens *t);

/* GP6 pg_exttable.fmtopts, e.g. "delimiter '|' null '' escape '\' header",
 * into tokens. Its strings are not escaped: a quote ends one only when it
 * is followed by a space or the end. */
void gp_ddl_split_fmtopts(const char *fmtopts, GpFmtTokens *out);

/* A GP7/Cloudberry external table's ftoptions ("key=value" items), sorted
 * out. Values are raw (to be quoted by the caller) unless said. */
typedef struct GpExtOptions {
    char fmttype;            /* format_type: 't', 'c', 'b', ... */
    StrList locations;       /* location_uris split at '|' */
    char *command;           /* NULL for LOCATION tables */
    char *execute_on;        /* "ALL_SEGMENTS", ... */
    int reject_limit;        /* -1: none */
    char reject_limit_type;  /* 'r', 'p' or 0 */
    char log_errors;         /* 't' enabled, 'p' persistently, 'f' or 0 disabled */
    char *encoding;          /* the encoding's number, as text */
    bool writable;
    GpFmtTokens fmt;         /* FORMAT (...) tokens */
    StrList option_names;    /* OPTIONS (...) the user gave */
    StrList option_values;
} GpExtOptions;

/* Sort out ftoptions items. The format options of text and csv tables
 * become the keywords of the external table grammar; everything else that
 * is not an entry option is an OPTIONS item (for custom formats, a
 * formatter option: both are stored alike and custom formats take any). */
void gp_ddl_split_ftoptions(const char *const *items, size_t n, GpExtOptions *out);
void gp_ext_options_free(GpExtOptions *o);

typedef struct GpOption {
    const char *name;        /* quoted identifier */
    const char *value;       /* quoted literal */
} GpOption;

typedef struct GpExtTable {
    const char *qualified;               /* quoted */
    size_t ncolumns;
    const char *const *colnames;         /* quoted */
    const char *const *coltypes;         /* format_type() */
    bool writable;
    bool web;
    size_t nlocations;
    const char *const *locations;        /* quoted literals */
    const char *command;                 /* quoted literal: EXECUTE tables */
    GpExecOn exec_on;
    const char *exec_arg;                /* host: quoted literal; SEGMENT/TOTAL: number */
    char fmttype;                        /* 't' text, 'c' csv, 'b' custom, 'a' avro, 'p' parquet */
    size_t nfmt;
    const char *const *fmt;              /* format tokens, literals quoted */
    size_t noptions;
    const GpOption *options;
    const char *encoding;                /* quoted literal, NULL to leave out */
    bool log_errors;
    bool log_persistently;
    int reject_limit;                    /* <= 0: no SEGMENT REJECT LIMIT */
    char reject_limit_type;              /* 'r' rows, 'p' percent */
    const GpDistribution *dist;          /* writable tables only, NULL: none */
} GpExtTable;

/* The CREATE [WRITABLE] EXTERNAL [WEB] TABLE statement, ending in ";\n". */
char *gp_ddl_external_table(const ServerInfo *srv, const GpExtTable *t);

/* ---- resource queues and groups, role resource options ---- */

typedef struct GpResQueue {
    const char *name;              /* quoted */
    const char *active_statements; /* numbers as text; "-1": no limit */
    const char *max_cost;          /* negative: no limit */
    bool cost_overcommit;
    const char *min_cost;          /* zero: none */
    const char *priority;          /* "medium" is the default */
    const char *memory_limit;      /* quoted literal, NULL for no limit */
} GpResQueue;

/* "CREATE RESOURCE QUEUE q WITH (ACTIVE_STATEMENTS=2, ...);\n", or for
 * pg_default, which every cluster has, "ALTER RESOURCE QUEUE pg_default
 * WITH (...);\n". NULL when there is nothing to write. */
char *gp_ddl_resource_queue(const GpResQueue *q);

typedef struct GpResGroup {
    const char *name;               /* quoted */
    const char *concurrency;        /* numbers as the catalog holds them */
    const char *cpu;                /* GP6 CPU_RATE_LIMIT, GP7 CPU_MAX_PERCENT;
                                       negative: cpuset mode */
    const char *cpuset;             /* quoted literal */
    const char *cpu_weight;         /* GP7 */
    const char *memory;             /* GP6 MEMORY_LIMIT, GP7 MEMORY_QUOTA (-1: none) */
    const char *memory_shared_quota; /* GP6 */
    const char *memory_spill_ratio;  /* GP6 */
    const char *memory_auditor;     /* GP6: "1" cgroup, else vmtracker */
    const char *min_cost;           /* GP7, 0: none */
    const char *io_limit;           /* GP7: quoted literal, NULL for none */
} GpResGroup;

/* "CREATE RESOURCE GROUP g WITH (...);\n" or, for the groups every cluster
 * has (default_group, admin_group, and GP7's system_group), one "ALTER
 * RESOURCE GROUP g SET ...;\n" per attribute. */
char *gp_ddl_resource_group(const ServerInfo *srv, const GpResGroup *g);

/* GP6: the built-in groups' CPU and memory shares cut to 1 before the other
 * groups are created, because the shares of all groups may not add up to
 * more than 100; their own values are set after. NULL on GP7/Cloudberry,
 * which have no such sum. */
char *gp_ddl_resource_group_reset(const ServerInfo *srv);

/* "ALTER ROLE r RESOURCE QUEUE q RESOURCE GROUP g;\n"; either may be NULL.
 * NULL when both are. */
char *gp_ddl_role_resources(const char *role, const char *queue, const char *group);

/* ---- helpers ---- */

/* Parse a one-dimensional text[] in its output form ("{a,\"b c\"}") into
 * out (NULL elements become ""). false when malformed. */
bool gp_ddl_parse_text_array(const char *literal, StrList *out);

/* ---- the catalog side (backup/meta_gp.c) ---- */

/* What the tables module needs to write Greenplum tables: per table of the
 * backup set, the clause after the column list (storage, tablespace,
 * distribution, GP6 partitioning), the column encodings, and whether the
 * table is created by another statement (GP6 partitions are created by
 * their root's PARTITION BY; external tables by meta_gp). */
typedef struct GpTableStorage GpTableStorage;

/* Read it (a few queries for the whole set). Only on Greenplum and
 * Cloudberry: *out is NULL on PostgreSQL. */
Error *gp_load_table_storage(MetaContext *ctx, GpTableStorage **out);

/* The text to append after the table's column list (on GP7/Cloudberry after
 * its PARTITION BY), replacing the PostgreSQL WITH (reloptions): "" for a
 * NULL storage or an unknown table. Owned by the storage. */
const char *gp_table_clause(const GpTableStorage *gs, uint32_t oid);

/* " ENCODING (...)" for a column of a column-oriented table, else "". */
const char *gp_column_encoding(const GpTableStorage *gs, uint32_t oid, int attnum);

/* Does another statement create this table? (GP6 partition members, which
 * the root's PARTITION BY creates; external tables, which meta_gp writes.) */
bool gp_table_skip(const GpTableStorage *gs, uint32_t oid);

void gp_table_storage_free(GpTableStorage *gs);  /* accepts NULL */

#endif

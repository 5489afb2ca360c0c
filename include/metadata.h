/* Metadata writers. Each object type is a module (backup/meta_*.c) that
 * exports one MetaType: it reads its catalog rows under the snapshot and
 * emits one TOC entry per object with the SQL that recreates it. Adding a
 * type is adding a module and one line to the registry in metadata.c. */
#ifndef GPB_METADATA_H
#define GPB_METADATA_H

#include "catalog.h"
#include "conn.h"
#include "error.h"
#include "filter.h"
#include "snapshot.h"
#include "toc.h"
#include "util.h"

/* The catalog object an entry creates, for ordering by pg_depend. */
typedef struct MetaKey {
    TocSection section;
    size_t index;           /* into toc->entries[section] at emission time */
    const char *catalog;    /* "pg_class", "pg_proc", ...; NULL when none */
    uint32_t objid;
    int sub;                /* 0: the object; META_SUB_DATA: its data (REFRESH) */
    int module;             /* registry index of the module that emitted it */
    size_t anchor;          /* the keyed entry it is sorted with (itself when keyed) */
} MetaKey;

#define META_SUB_DATA 1

typedef struct MetaExplicitDep {
    uint32_t dumpid;
    const char *catalog;
    uint32_t objid;
} MetaExplicitDep;

typedef struct MetaContext {
    Conn *conn;             /* the leader, inside the snapshot */
    const ServerInfo *server; /* PostgreSQL, Greenplum or Cloudberry, and version */
    const Filter *filter;
    const TableSet *tables; /* the tables in the backup set, columns loaded */
    StrBuf sql;             /* the metadata SQL file being built */
    Toc *toc;
    bool values_only;       /* --data-only: sequence values, no definitions */
    bool without_globals;   /* --without-globals: no roles, memberships, tablespaces */
    MetaKey *keys;          /* one per emitted entry, in emission order */
    size_t nkeys, capkeys;
    struct MetaExplicitDep *explicit_deps;
    size_t nexplicit, capexplicit;
    uint32_t next_dumpid;
    int current_module;     /* registry index of the module being run */
    size_t last_keyed;      /* emission index of the last keyed entry, or SIZE_MAX */
    size_t counts_n;        /* objects written per type, for the report */
    char **count_names;
    int *counts;
} MetaContext;

typedef struct MetaType {
    const char *name;                       /* "schemas", "tables", ... for logs */
    Error *(*dump)(MetaContext *ctx);
} MetaType;

/* Write every registered type, in registry order (which respects the
 * dependencies between types). */
Error *metadata_dump_all(MetaContext *ctx);

/* Append sql (one or more complete statements) as one TOC entry.
 * referenceobject is "" or the owning "schema.table". */
void meta_emit(MetaContext *ctx, TocSection section, const char *schema, const char *name,
               const char *objecttype, const char *referenceobject, const char *sql);

/* meta_emit for an entry that creates catalog object (catalog, objid):
 * its dependencies are then read from pg_depend and the entry is ordered
 * after what it needs. Returns the entry's dumpid. */
uint32_t meta_emit_obj(MetaContext *ctx, TocSection section, const char *schema,
                       const char *name, const char *objecttype, const char *referenceobject,
                       const char *sql, const char *catalog, uint32_t objid);
/* Same, for the data of an object (a materialized view's REFRESH). */
uint32_t meta_emit_data(MetaContext *ctx, const char *schema, const char *name,
                        const char *objecttype, const char *referenceobject, const char *sql,
                        const char *catalog, uint32_t objid);
/* An explicit dependency: the entry numbered dumpid needs the entry that
 * creates (catalog, objid). Resolved with the pg_depend ones. */
void meta_depend_on(MetaContext *ctx, uint32_t dumpid, const char *catalog, uint32_t objid);

/* Read pg_depend for every emitted object, record each entry's
 * dependencies and order each section so that an entry comes after the
 * entries it depends on (emission order otherwise). */
Error *metadata_order(MetaContext *ctx);

/* Helpers for the modules, all quoting with libpq: */
/* Append "COMMENT ON <what> IS '<comment>';\n" when comment is not NULL. */
void meta_append_comment(MetaContext *ctx, StrBuf *sb, const char *what, const char *comment);
/* Append "ALTER <kind> <qualified> OWNER TO <role>;\n". */
void meta_append_owner(MetaContext *ctx, StrBuf *sb, const char *kind, const char *qualified,
                       const char *owner);
/* Does the filter keep objects of this schema? (tables use the table set) */
bool meta_keep_schema(const MetaContext *ctx, const char *schema);
/* The table in the backup set with this oid, or NULL when filtered out. */
const TableInfo *meta_table(const MetaContext *ctx, uint32_t oid);
/* Does the backup keep this relation? Tables by the table set (which the
 * filters chose); other relations (views, sequences, ...) by the filters. */
bool meta_keep_relation(const MetaContext *ctx, uint32_t oid, char relkind, const char *schema,
                        const char *name);

/* Rows of a query result grouped by an oid column, for lookups without a
 * scan per object. The result must be ordered by that column. */
typedef struct RowIndex {
    uint32_t *oids;
    int *first;
    int *count;
    size_t n;
} RowIndex;

void meta_row_index(RowIndex *ix, const Result *r, const char *column);
/* First row for oid and the number of rows (*count), or -1 and 0. */
int meta_row_find(const RowIndex *ix, uint32_t oid, int *count);
void meta_row_index_free(RowIndex *ix);

/* Privileges. An AclSet holds, for every object of one catalog whose ACL
 * is not the default, the GRANT and REVOKE statements that turn the
 * default ACL into the object's ACL, in the order of the ACL's items (so
 * the restored ACL lists them in the same order). */
typedef struct AclSet AclSet;

/* Load the ACLs of a catalog. catalog is e.g. "pg_catalog.pg_class",
 * key_expr the object key (e.g. "o.oid", or for columns
 * "o.attrelid::text || '.' || o.attnum"), acl_col and owner_expr the ACL
 * and owner columns, objtype the acldefault() kind ('r' relation, 's'
 * sequence, 'f' function, 'l' language, 'L' large object, 's' schema 'n',
 * 't' tablespace, 'F' FDW, 'S' server, 'T' type, 'd' database, 'c' column),
 * where an extra condition or NULL. All are constants of the calling
 * module, never user input. */
Error *meta_acl_load(MetaContext *ctx, const char *catalog, const char *key_expr,
                     const char *acl_col, const char *owner_expr, char objtype, const char *where,
                     AclSet **out);
/* Append the statements for object key: "REVOKE ... ON <kind> <object>
 * FROM ...;" and "GRANT ... ON <kind> <object> TO ...;". For column
 * privileges pass column (quoted) and kind "TABLE": "GRANT SELECT (col) ON
 * TABLE t TO x". Nothing when the object has its default ACL. */
void meta_acl_append(MetaContext *ctx, StrBuf *sb, const AclSet *acls, const char *key,
                     const char *kind, const char *object, const char *column);
void meta_acl_free(AclSet *acls);

/* Every type module. */
extern const MetaType meta_schemas;
extern const MetaType meta_types;
extern const MetaType meta_sequences;
extern const MetaType meta_tables;
extern const MetaType meta_sequence_owners;
extern const MetaType meta_views;
extern const MetaType meta_constraints;
extern const MetaType meta_indexes;
extern const MetaType meta_languages;
extern const MetaType meta_functions;
extern const MetaType meta_aggregates;
extern const MetaType meta_casts;
extern const MetaType meta_operators;
extern const MetaType meta_opfamilies;
extern const MetaType meta_collations;
extern const MetaType meta_conversions;
extern const MetaType meta_triggers;
extern const MetaType meta_event_triggers;
extern const MetaType meta_rules;
extern const MetaType meta_policies;
extern const MetaType meta_text_search;
extern const MetaType meta_extensions;
extern const MetaType meta_statistics_ext;
extern const MetaType meta_security_labels;
extern const MetaType meta_default_privileges;
extern const MetaType meta_foreign_data;
extern const MetaType meta_foreign_tables;
extern const MetaType meta_publications;
extern const MetaType meta_subscriptions;
extern const MetaType meta_matviews;
extern const MetaType meta_globals;
extern const MetaType meta_database;
extern const MetaType meta_gp_objects;

void metadata_context_free(MetaContext *ctx);

/* Version branches, pure (test/unit/meta_version_test.c). server_version
 * is conn_server_version(): Greenplum 6 is 9.4 (90400-90499). */

/* CREATE SEQUENCE with every parameter (numbers as the server prints them;
 * qualified and type already quoted/formatted); "AS type" only from
 * PostgreSQL 10 on, where CREATE SEQUENCE takes it. Caller owns. */
char *meta_sequence_create_sql(int server_version, const char *qualified, const char *type,
                               const char *start, const char *increment, const char *min,
                               const char *max, const char *cache, bool cycle);

/* pg_proc's kind of routine for alias p: p.prokind (PostgreSQL 11+), or
 * from proisagg/proiswindow before ('a', 'w', 'f'). */
const char *meta_prokind_expr(int server_version);

#endif

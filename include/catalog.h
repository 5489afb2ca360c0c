/* The backup's view of the catalog: which tables are in the backup set,
 * their columns and sizes. Read by the leader under the exported snapshot;
 * shared read-only with the metadata writers and the data phase. */
#ifndef GPB_CATALOG_H
#define GPB_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "error.h"
#include "filter.h"

typedef struct Column {
    char *name;
    int attnum;
    char *type;          /* format_type(), schema-qualified where needed */
    bool notnull;
    char *default_expr;  /* NULL when none (or when generated) */
    char identity;       /* 'a' always, 'd' by default, 0 none */
    char generated;      /* 's' stored, 0 none */
    char *collation;     /* quoted qualified collation when not the type's default, else NULL */
    char *comment;       /* NULL when none */
} Column;

typedef struct TableInfo {
    uint32_t oid;
    char *schema;
    char *name;
    char *qualified;     /* "schema"."name", quoted with libpq */
    char relkind;        /* 'r' table, 'p' partitioned table */
    char persistence;    /* 'p' permanent, 'u' unlogged */
    char *owner;
    char *reloptions;    /* "fillfactor=70,..." or NULL */
    char *comment;       /* NULL when none */
    Column *columns;
    size_t ncolumns;
    char *copy_columns;  /* "(\"a\", \"b\")": every column COPY reads and writes */
    uint64_t size;       /* bytes on disk (table + TOAST), for scheduling and ETA */
    uint32_t filenode;   /* relfilenode under the snapshot */
    int natts;           /* relnatts under the snapshot */
    char *attnums;       /* "{1,2,4}": attribute numbers of the copied columns */
} TableInfo;

typedef struct TableSet {
    TableInfo *items;
    size_t n;
    size_t *by_oid;      /* indexes into items, sorted by oid, for catalog_find */
} TableSet;

/* Every user table the filter keeps (system schemas and extension members
 * excluded), ordered by schema and name. A table named by --include-table
 * that does not exist is an ERR_NOT_FOUND error. */
Error *catalog_list_tables(Conn *c, const Filter *filter, TableSet *out);

/* Fill columns and copy_columns of every table (one query). */
Error *catalog_load_columns(Conn *c, TableSet *set);

/* Fill size of every table. With exact, from the size functions: call
 * that once the tables are locked, as they take a lock and would wait behind
 * another session's lock request. Otherwise estimated from pg_class, which
 * takes no lock (--no-lock). */
Error *catalog_load_sizes(Conn *c, TableSet *set, bool exact);

/* "{1,2,3}" array literal of the set's oids, for = ANY($1::oid[]). Caller owns. */
char *catalog_oid_array(const TableSet *set);

/* Find a table by oid, NULL when it is not in the set (binary search: the
 * metadata writers look up every catalog row of 100,000-table sets). */
TableInfo *catalog_find(const TableSet *set, uint32_t oid);

void catalog_free(TableSet *set);

/* SQL fragment that excludes system schemas, for nspname column n. */
#define CATALOG_USER_SCHEMA(n)                                                   \
    "(" n " NOT IN ('pg_catalog', 'information_schema') AND " n " !~ '^pg_toast' " \
    "AND " n " !~ '^pg_temp_')"

#endif

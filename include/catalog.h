/* The backup's view of the catalog: which relations are in the backup set,
 * their columns and sizes. Read by the leader under the exported snapshot;
 * shared read-only with the metadata writers and the data phase. The set
 * holds the tables (locked, and copied when they hold rows) and, after them,
 * the other relations the filters keep: views, materialized views and
 * foreign tables, which have no data to copy and which LOCK TABLE refuses
 * (matviews, foreign tables), but whose indexes, triggers, rules,
 * comments and grants go with them as a table's do. */
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
    bool islocal;        /* declared by the table itself (attislocal), not only inherited */
    int inhcount;        /* number of parents it is inherited from */
    char storage;        /* attstorage: 'p', 'e', 'm', 'x' */
    char type_storage;   /* the type's default storage (typstorage) */
    char compression;    /* attcompression: 'p' pglz, 'l' lz4, 0 the default */
    int stattarget;      /* attstattarget, -1 for the default */
    bool binary_io;      /* a built-in type whose binary COPY form is safe to restore
                          * anywhere (see catalog_load_columns) */
    char pack_mode;      /* its mode in the packed data format (include/pack.h) */
} Column;

typedef struct TableInfo {
    uint32_t oid;
    char *schema;
    char *name;
    char *qualified;     /* "schema"."name", quoted with libpq */
    char relkind;        /* 'r' table, 'p' partitioned table; after the tables:
                          * 'v' view, 'm' materialized view, 'f' foreign table */
    char persistence;    /* 'p' permanent, 'u' unlogged */
    char *owner;
    char *reloptions;    /* "fillfactor=70,..." or NULL */
    char *comment;       /* NULL when none */
    char *access_method; /* table access method when not heap (nor none), else NULL */
    char *tablespace;    /* tablespace when not the database's default, else NULL */
    char replident;      /* relreplident: 'd' default, 'n' nothing, 'f' full, 'i' index */
    bool ispartition;    /* a partition (relispartition) */
    bool populated;      /* relispopulated: false for a matview created WITH NO DATA */
    Column *columns;
    size_t ncolumns;
    char *copy_columns;  /* "(\"a\", \"b\")": every column COPY reads and writes */
    uint64_t size;       /* bytes on disk (table + TOAST), for scheduling and ETA */
    bool replicated;     /* Greenplum/Cloudberry: DISTRIBUTED REPLICATED */
    bool no_data;        /* Greenplum 6: no rows to copy of its own (an external table, or
                          * a member of a partitioned table, whose root's COPY has its rows) */
    uint32_t filenode;   /* relfilenode under the snapshot */
    int natts;           /* relnatts under the snapshot */
    char *attnums;       /* "{1,2,4}": attribute numbers of the copied columns */
    bool binary_io;      /* every copied column is binary_io: COPY's binary format may be used */
    char *pack_modes;    /* the copied columns' pack_mode, in order */
} TableInfo;

typedef struct TableSet {
    TableInfo *items;    /* [0, n): the tables ('r', 'p'), which are locked and
                          * whose rows are copied; [n, nall): views, matviews
                          * and foreign tables, neither locked nor copied */
    size_t n;
    size_t nall;
    size_t *by_oid;      /* indexes into items (all nall), sorted by oid, for catalog_find */
} TableSet;

/* Every user relation the filter keeps (system schemas and extension
 * members excluded): the tables ordered by schema and name, then the views,
 * materialized views and foreign tables in the same order. A name given to
 * --include-table that is none of these is an ERR_NOT_FOUND error. */
Error *catalog_list_tables(Conn *c, const Filter *filter, TableSet *out);

/* Fill columns and copy_columns of every relation of the set (one query). */
Error *catalog_load_columns(Conn *c, TableSet *set);

/* Fill size of every table. With exact, from the size functions: call
 * that once the tables are locked, as they take a lock and would wait behind
 * another session's lock request. Otherwise estimated from pg_class, which
 * takes no lock (--no-lock). The other relations keep size 0: they are not
 * locked, and the size functions would lock them. */
Error *catalog_load_sizes(Conn *c, TableSet *set, bool exact);

/* "{1,2,3}" array literal of the oids of every relation of the set (all
 * nall), for = ANY($1::oid[]). Caller owns. */
char *catalog_oid_array(const TableSet *set);

/* Find a relation of the set by oid, NULL when it is not in the set (binary
 * search: the metadata writers look up every catalog row of 100,000-table
 * sets). */
TableInfo *catalog_find(const TableSet *set, uint32_t oid);

void catalog_free(TableSet *set);

/* SQL fragment that excludes system schemas, for nspname column n. */
/* (Greenplum's own schemas gp_toolkit, pg_aoseg and pg_bitmapindex are
 * system schemas there; no PostgreSQL database has them.) */
#define CATALOG_USER_SCHEMA(n)                                                   \
    "(" n " NOT IN ('pg_catalog', 'information_schema', 'gp_toolkit', 'pg_aoseg', " \
    "'pg_bitmapindex') AND " n " !~ '^pg_toast' AND " n " !~ '^pg_temp_')"

#endif

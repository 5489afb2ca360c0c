/* Include/exclude filters on schemas and tables, shared by backup and
 * restore. Table names are "schema.table"; either part may be written in
 * double quotes (with "" for a quote) to hold dots or spaces; unquoted parts
 * are taken literally, case preserved, as gpbackup does. */
#ifndef GPB_FILTER_H
#define GPB_FILTER_H

#include <stdbool.h>

#include "error.h"
#include "util.h"

typedef struct Filter {
    StrList include_schemas;
    StrList exclude_schemas;
    /* Tables as parsed pairs: schemas[i], tables[i]. */
    StrList include_table_schemas, include_table_names;
    StrList exclude_table_schemas, exclude_table_names;
} Filter;

/* Split "schema.table" into its parts (caller owns both). ERR_USAGE naming
 * the text when it is not of that form. */
Error *filter_parse_table_name(const char *text, char **schema, char **table);

/* Parse a schema name given on the command line: "s" or "\"s\"". */
Error *filter_parse_schema_name(const char *text, char **schema);

/* Add a table to the include or exclude list (parses it). */
Error *filter_add_table(Filter *f, bool include, const char *text);
Error *filter_add_schema(Filter *f, bool include, const char *text);

/* Read names from a file, one per line (blank lines and lines starting with
 * '#' skipped), adding each as a table or schema. */
Error *filter_add_file(Filter *f, bool include, bool tables, const char *path);

/* Does the filter keep this schema / this table? */
bool filter_keeps_schema(const Filter *f, const char *schema);
bool filter_keeps_table(const Filter *f, const char *schema, const char *table);

/* Any table includes? (Then schemas not named by them are dropped.) */
bool filter_has_table_includes(const Filter *f);

/* "schema.table" in the form the filters accept, quoting parts that need it.
 * Caller owns. */
char *filter_format_table_name(const char *schema, const char *table);

void filter_free(Filter *f);

#endif

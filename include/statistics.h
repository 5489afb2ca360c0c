/* Planner statistics for gpbackup --with-stats: the statistics file
 * (gpbackup_<TS>_statistics.sql) and its TOC entries, one per table. */
#ifndef GPB_STATISTICS_H
#define GPB_STATISTICS_H

#include "catalog.h"
#include "conn.h"
#include "error.h"
#include "toc.h"
#include "util.h"

/* Read, under the caller's snapshot, the pg_class counters and the
 * pg_statistic rows of every table of the set (two queries in all) and
 * append to sql, per table, the statements that put them back: an UPDATE
 * of pg_class, a DELETE of the table's pg_statistic rows and one INSERT per
 * column, matched by column name. Adds one "STATISTICS" entry per table to
 * toc (toc->stats). Needs a superuser: pg_statistic is readable by no one
 * else. *slots_dropped counts statistics slots of kinds whose value type
 * is unknown, left out. */
Error *statistics_dump(Conn *c, const TableSet *tables, StrBuf *sql, Toc *toc,
                       int *slots_dropped);

#endif

/* The table of contents of a backup set (gpbackup_<TS>_toc.yaml), written and
 * read with libyaml. Key names follow gpbackup's toc.yaml; our additions
 * (formatversion, data file name, byte counts) are extra keys. The format is
 * specified in docs/backup-set-format.md. */
#ifndef GPB_TOC_H
#define GPB_TOC_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define TOC_FORMAT_VERSION 1

typedef enum TocSection {
    TOC_GLOBAL = 0,
    TOC_PREDATA,
    TOC_POSTDATA,
    TOC_NSECTIONS
} TocSection;

/* One metadata object: a statement range [startbyte, endbyte) of the
 * metadata SQL file. */
typedef struct TocEntry {
    char *schema;
    char *name;
    char *objecttype;      /* "TABLE", "INDEX", "SEQUENCE SET", ... */
    char *referenceobject; /* owning table "schema.table" for indexes etc, "" otherwise */
    uint64_t startbyte;
    uint64_t endbyte;
    /* ours: a number unique in the TOC, and the numbers of the entries that
     * must be replayed before this one (pre-data: earlier in the list;
     * post-data: run when they are done). */
    uint32_t dumpid;
    uint32_t *dependencies;
    size_t ndependencies;
} TocEntry;

/* On an MPP cluster, one segment's file of a table (ours): written by
 * gpbackup_helper on that segment, described by its sidecar. */
typedef struct TocSegmentFile {
    int content;
    uint64_t rows;
    uint64_t rawbytes;
    uint64_t filebytes;
    char checksum[33];
} TocSegmentFile;

/* A large table's file is written in parts, each a stream that loads on
 * its own (a zstd frame or gzip member; in binary and packed data with
 * its own header and trailer), so that gprestore can load them on several
 * connections at once. Ordered by offset; they cover the file. */
typedef struct TocPart {
    uint64_t offset;
    uint64_t filebytes;
    uint64_t rawbytes;
    uint64_t rows;
    char checksum[33];
} TocPart;

/* The most parts a TOC entry may list (the reader refuses more). */
#define TOC_MAX_PARTS 1000000

/* One table's data file. */
typedef struct TocDataEntry {
    char *schema;
    char *name;
    uint32_t oid;            /* source oid, part of the file name */
    char *attributestring;   /* quoted column list "(\"a\",\"b\")" */
    uint64_t rowscopied;
    char *partitionroot;     /* "" on plain PostgreSQL */
    int isreplicated;
    int distbyenum;
    /* ours */
    char *file;              /* data file name, relative to the backup set dir */
    uint64_t rawbytes;       /* uncompressed COPY bytes */
    uint64_t filebytes;      /* size of the data file */
    char checksum[33];       /* XXH3-128 of the data file, hex */
    char *dataformat;        /* "csv" or "binary" (COPY's FORMAT); NULL: the set's
                              * dataformat (config), as in sets written before 0.4 */
    /* A table that shares its file with others (small tables copied in one
     * transaction): its data is the filebytes bytes from offset on, a
     * compressed stream of its own; filebytes and checksum are then of
     * that part. has_offset 0: the whole file is the table's. */
    int has_offset;
    uint64_t offset;
    /* ours, MPP sets only: file is then "gpbackup_<SEGID>_<TS>_<oid>..."
     * (the name on every segment with its content id in place of <SEGID>),
     * the sums above are over the segments, checksum is all zeros, and
     * each segment's file is described here, ordered by content. */
    TocSegmentFile *segments;
    size_t nsegments;
    /* ours, from formatversion 4 sets: the parts of the table's own file
     * (nparts 0: one stream, loaded whole). */
    TocPart *parts;
    size_t nparts;
} TocDataEntry;

typedef struct Toc {
    int formatversion;
    TocEntry *entries[TOC_NSECTIONS];
    size_t nentries[TOC_NSECTIONS];
    size_t capentries[TOC_NSECTIONS];
    TocDataEntry *data;
    size_t ndata;
    size_t capdata;
    /* gpbackup --with-stats: one entry per table, byte ranges into
     * gpbackup_<TS>_statistics.sql (not metadata.sql). */
    TocEntry *stats;
    size_t nstats;
    size_t capstats;
} Toc;

/* An empty TOC of the current format version; caller owns (toc_free). */
Toc *toc_new(void);
void toc_free(Toc *toc);                      /* accepts NULL */

/* Append entries; strings are copied. Returns the stored entry. */
TocEntry *toc_add_entry(Toc *toc, TocSection section, const char *schema, const char *name,
                        const char *objecttype, const char *referenceobject,
                        uint64_t startbyte, uint64_t endbyte);
TocDataEntry *toc_add_data(Toc *toc, const TocDataEntry *e);
/* Append a statistics entry (a range of the statistics file). */
TocEntry *toc_add_statistics_entry(Toc *toc, const char *schema, const char *name,
                                   const char *objecttype, const char *referenceobject,
                                   uint64_t startbyte, uint64_t endbyte);
/* Record that e depends on the entry numbered dumpid (no duplicates). */
void toc_add_dependency(TocEntry *e, uint32_t dumpid);

/* Serialise to YAML text; caller owns *out. */
Error *toc_to_yaml(const Toc *toc, char **out, size_t *len);
/* Parse YAML text. Unknown format versions, missing keys, wrong types are
 * ERR_FORMAT errors naming the key. */
Error *toc_from_yaml(const char *text, size_t len, Toc **out);

/* Write atomically to path / read from path. */
Error *toc_write(const Toc *toc, const char *path);
Error *toc_read(const char *path, Toc **out);

/* Name of a section as used in YAML keys: "globalentries", ... */
const char *toc_section_key(TocSection s);

#endif

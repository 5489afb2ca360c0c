/* gpbackup_helper: the program the database server runs through
 * COPY ... TO PROGRAM / FROM PROGRAM (ON SEGMENT on Greenplum), as the
 * server's OS user. Backup mode compresses standard input into a data file
 * and writes its sidecar; restore mode decompresses a data file to standard
 * output and checks its checksum at the end. Its only ways to report are its
 * exit status (the server's COPY fails when it is not 0), standard error
 * (the server log) and the --error-file the coordinator reads back.
 * Specified in docs/gpbackup_helper.md; the command lines are built by
 * helper_backup_command / helper_restore_command (common/helper.c). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "error.h"
#include "fileio.h"
#include "helper.h"
#include "options.h"
#include "pack.h"
#include "util.h"

#define PROGRAM "gpbackup_helper"

/* The helper's own exit codes: the server only tells zero from non-zero,
 * and a person reading its log can still tell a bad command line from a
 * failed run. */
enum { HELPER_EXIT_OK = 0, HELPER_EXIT_FAILED = 1, HELPER_EXIT_USAGE = 2 };

/* COPY rows are small; large chunks keep the system calls and the codec
 * calls few on multi-gigabyte tables. */
#define CHUNK_SIZE (1024 * 1024)

typedef struct HelperOptions {
    const char *backup_file;
    const char *restore_file;
    CodecType codec;
    bool codec_given;
    int level;
    bool level_given;
    int content;
    bool content_given;
    const char *checksums;       /* the raw --checksums list, or NULL */
    char expected[CHECKSUM_HEX_LEN + 1]; /* this content's entry of it */
    const char *error_file;      /* set only once known to be absolute */
    const char **print_files;    /* --print-file, in the order given */
    size_t nprint_files;
    bool missing_ok;
    bool unpack;                 /* --restore-file of a packed file: decode it */
    bool help;
    bool version;
} HelperOptions;

enum {
    OPT_BACKUP_FILE = 256,
    OPT_RESTORE_FILE,
    OPT_COMPRESSION,
    OPT_COMPRESSION_LEVEL,
    OPT_CONTENT,
    OPT_CHECKSUMS,
    OPT_ERROR_FILE,
    OPT_PRINT_FILE,
    OPT_MISSING_OK,
    OPT_UNPACK,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option long_options[] = {
    {"backup-file", required_argument, NULL, OPT_BACKUP_FILE},
    {"restore-file", required_argument, NULL, OPT_RESTORE_FILE},
    {"compression", required_argument, NULL, OPT_COMPRESSION},
    {"compression-level", required_argument, NULL, OPT_COMPRESSION_LEVEL},
    {"content", required_argument, NULL, OPT_CONTENT},
    {"checksums", required_argument, NULL, OPT_CHECKSUMS},
    {"error-file", required_argument, NULL, OPT_ERROR_FILE},
    {"print-file", required_argument, NULL, OPT_PRINT_FILE},
    {"missing-ok", no_argument, NULL, OPT_MISSING_OK},
    {"unpack", no_argument, NULL, OPT_UNPACK},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

static const char usage_text[] =
    PROGRAM " writes or reads one data file of a backup for the database server,\n"
    "which runs it through COPY ... TO PROGRAM / FROM PROGRAM. gpbackup and gprestore\n"
    "build its command lines; it is not meant to be run by hand, but for\n"
    "--restore-file --unpack, which turns a file of gpbackup's packed data format\n"
    "into the binary COPY stream that COPY ... FROM STDIN WITH (FORMAT binary) loads.\n"
    "\n"
    "Usage:\n"
    "  " PROGRAM " --backup-file PATH [OPTION]...   < COPY output\n"
    "  " PROGRAM " --restore-file PATH [OPTION]...  > COPY input\n"
    "  " PROGRAM " --content N --print-file PATH... [--missing-ok]\n"
    "\n"
    "Options:\n"
    "  --backup-file PATH         compress standard input into PATH (absolute), then\n"
    "                             write PATH.meta (rows, sizes, checksum)\n"
    "  --restore-file PATH        decompress PATH (absolute) to standard output\n"
    "  --unpack                   restore only: PATH is in the packed data format;\n"
    "                             write its binary COPY form\n"
    "  --compression TYPE         zstd (default), gzip or none\n"
    "  --compression-level N      backup only: zstd 1-19, gzip 1-9 (default 1)\n"
    "  --content N                segment content id of this server (default -1, the\n"
    "                             coordinator, as on plain PostgreSQL)\n"
    "  --checksums C:HEX[,...]    restore only: expected checksum of each content's\n"
    "                             file; this content's entry must be present\n"
    "  --error-file PATH          on failure, also write the error message to PATH\n"
    "                             (absolute); a successful run removes it\n"
    "  --print-file PATH          one per content -1, 0, 1, ... in that order: print\n"
    "                             this content's file as one CSV row (content, text)\n"
    "  --missing-ok               with --print-file: print nothing for an absent file\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 success, 1 failed, 2 invalid command line.\n";

static Error *usage_error(Error *e)
{
    return error_hint(e, "try \"%s --help\" for more information", PROGRAM);
}

static Error *unknown_option(int argc, char **argv, int optopt_value)
{
    const char *bad = (optind - 1 < argc && optind > 0) ? argv[optind - 1] : "?";
    if (optopt_value && optopt_value < OPT_BACKUP_FILE)
        return usage_error(ERROR_NEW(ERR_USAGE, "invalid option -- '%c'", optopt_value));
    if (optopt_value && strchr(bad, '='))
        return usage_error(ERROR_NEW(ERR_USAGE, "option \"%.*s\" takes no value",
                                     (int)(strchr(bad, '=') - bad), bad));
    if (optopt_value)
        return usage_error(ERROR_NEW(ERR_USAGE, "option \"%s\" requires a value", bad));
    return usage_error(ERROR_NEW(ERR_USAGE, "unrecognized option \"%s\"", bad));
}

/* The server runs the helper in its data directory: a relative path would
 * put backup files among the database's own. */
static Error *set_path(const char *opt, const char *value, const char **field)
{
    if (*field)
        return usage_error(ERROR_NEW(ERR_USAGE, "option --%s given twice", opt));
    if (value[0] != '/')
        return usage_error(ERROR_NEW(ERR_USAGE, "option --%s must be an absolute path: \"%s\"",
                                     opt, value));
    *field = value;
    return NULL;
}

static Error *content_error(Error *e, const char *value)
{
    error_free(e);
    e = error_detail(ERROR_NEW(ERR_USAGE, "invalid value \"%s\" for option --content", value),
                     "The value must be -1 (the coordinator) or a segment's content id, "
                     "without leading zeros.");
    /* The placeholder reached us verbatim: the server did not substitute
     * it, which only COPY ... ON SEGMENT does. */
    if (strchr(value, '<'))
        return error_hint(e, "The server replaces <SEGID> only in COPY ... ON SEGMENT on "
                             "Greenplum; on PostgreSQL pass -1.");
    return usage_error(e);
}

static Error *parse_level(const char *value, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end != '\0' || v < INT_MIN || v > INT_MAX)
        return usage_error(ERROR_NEW(ERR_USAGE, "invalid value \"%s\" for option --compression-level",
                                     value));
    *out = (int)v;
    return NULL;
}

/* Everything a command line can get wrong is found here, before any file
 * is touched. */
static Error *options_parse(int argc, char **argv, HelperOptions *o)
{
    memset(o, 0, sizeof *o);
    o->codec = CODEC_ZSTD;
    o->content = -1;
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":", long_options, NULL)) != -1) {
        Error *e = NULL;
        switch (opt) {
        case OPT_BACKUP_FILE:
            e = set_path("backup-file", optarg, &o->backup_file);
            break;
        case OPT_RESTORE_FILE:
            e = set_path("restore-file", optarg, &o->restore_file);
            break;
        case OPT_ERROR_FILE:
            e = set_path("error-file", optarg, &o->error_file);
            break;
        case OPT_PRINT_FILE: {
            const char *p = NULL;
            if (!(e = set_path("print-file", optarg, &p))) {
                o->print_files = xrealloc(o->print_files, (o->nprint_files + 1) * sizeof(char *));
                o->print_files[o->nprint_files++] = p;
            }
            break;
        }
        case OPT_MISSING_OK:
            o->missing_ok = true;
            break;
        case OPT_UNPACK:
            o->unpack = true;
            break;
        case OPT_COMPRESSION:
            /* codec_parse's hint lists the valid types: keep it. */
            if (o->codec_given)
                e = usage_error(ERROR_NEW(ERR_USAGE, "option --compression given twice"));
            else
                e = codec_parse(optarg, &o->codec);
            o->codec_given = true;
            break;
        case OPT_COMPRESSION_LEVEL:
            if (o->level_given)
                e = usage_error(ERROR_NEW(ERR_USAGE, "option --compression-level given twice"));
            else
                e = parse_level(optarg, &o->level);
            o->level_given = true;
            break;
        case OPT_CONTENT:
            if (o->content_given)
                e = usage_error(ERROR_NEW(ERR_USAGE, "option --content given twice"));
            else if ((e = helper_content_parse(optarg, &o->content)))
                e = content_error(e, optarg);
            o->content_given = true;
            break;
        case OPT_CHECKSUMS:
            if (o->checksums)
                e = usage_error(ERROR_NEW(ERR_USAGE, "option --checksums given twice"));
            o->checksums = optarg;
            break;
        case OPT_HELP:
            o->help = true;
            break;
        case OPT_VERSION:
            o->version = true;
            break;
        default:
            e = unknown_option(argc, argv, optopt);
            break;
        }
        if (e)
            return e;
    }
    if (optind < argc)
        return usage_error(ERROR_NEW(ERR_USAGE, "unexpected argument \"%s\"", argv[optind]));
    if (o->help || o->version)
        return NULL;
    if (o->backup_file && o->restore_file)
        return usage_error(ERROR_NEW(ERR_USAGE, "options --backup-file and --restore-file "
                                                "cannot be used together"));
    if (o->nprint_files && (o->backup_file || o->restore_file || o->error_file ||
                            o->codec_given || o->level_given || o->checksums))
        return usage_error(ERROR_NEW(ERR_USAGE, "option --print-file can only be used with "
                                                "--content and --missing-ok"));
    if (o->missing_ok && !o->nprint_files)
        return usage_error(ERROR_NEW(ERR_USAGE, "option --missing-ok can only be used with "
                                                "--print-file"));
    if (o->nprint_files) {
        if ((size_t)o->content + 1 >= o->nprint_files)
            return usage_error(ERROR_NEW(ERR_USAGE, "no --print-file for content %d: %zu given",
                                         o->content, o->nprint_files));
        return NULL;
    }
    if (!o->backup_file && !o->restore_file)
        return usage_error(ERROR_NEW(ERR_USAGE, "option --backup-file or --restore-file is required"));
    if (o->unpack && !o->restore_file)
        return usage_error(ERROR_NEW(ERR_USAGE, "option --unpack can only be used with "
                                                "--restore-file"));
    if (o->restore_file && o->level_given)
        return usage_error(ERROR_NEW(ERR_USAGE, "option --compression-level can only be used "
                                                "with --backup-file"));
    if (o->backup_file && o->checksums)
        return usage_error(ERROR_NEW(ERR_USAGE, "option --checksums can only be used with "
                                                "--restore-file"));
    if (o->backup_file) {
        int min, max;
        codec_level_range(o->codec, &min, &max);
        if (!o->level_given) {
            o->level = codec_default_level(o->codec);
        } else if (o->level < min || o->level > max) {
            Error *e = ERROR_NEW(ERR_USAGE, "invalid value \"%d\" for option --compression-level",
                                 o->level);
            if (o->codec == CODEC_NONE)
                error_detail(e, "compression type none takes no level");
            else
                error_detail(e, "compression type %s takes a level from %d to %d",
                             codec_name(o->codec), min, max);
            return usage_error(e);
        }
    }
    if (o->checksums) {
        Error *e = helper_checksums_lookup(o->checksums, o->content, o->expected);
        if (e)
            return e;
    }
    return NULL;
}

/* ---- Backup ------------------------------------------------------------- */

/* The temporary files of a backup run. A query cancel or a backend's
 * termination signals the backend's whole process group (the helper with
 * it), so a canceled COPY kills the helper before it sees the end of its
 * input and publishes nothing; these names are what it would leave behind. */
static char *volatile temp_paths[2];

static void on_fatal_signal(int sig)
{
    for (size_t i = 0; i < sizeof temp_paths / sizeof temp_paths[0]; i++)
        if (temp_paths[i])
            unlink(temp_paths[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_fatal_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* Fill buf from standard input; *n < cap only at end of input. */
static Error *read_stdin(char *buf, size_t cap, size_t *n)
{
    *n = 0;
    while (*n < cap) {
        ssize_t r = read(STDIN_FILENO, buf + *n, cap - *n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return ERROR_NEW(ERR_IO, "could not read from standard input: %s", strerror(errno));
        if (r == 0)
            break;
        *n += (size_t)r;
    }
    return NULL;
}

/* Compress standard input into w; counts the rows as they pass. */
static Error *copy_stdin(CodecWriter *w, HelperSidecar *s)
{
    char *buf = xmalloc(CHUNK_SIZE);
    CsvRowCounter rc = {false, 0};
    char last = '\n';
    Error *err = NULL;
    for (;;) {
        size_t n;
        if ((err = read_stdin(buf, CHUNK_SIZE, &n)) || n == 0)
            break;
        csv_count_rows(&rc, buf, n);
        last = buf[n - 1];
        if ((err = codec_writer_write(w, buf, n)) || n < CHUNK_SIZE)
            break;
    }
    free(buf);
    /* COPY ends every row with a newline outside quotes. Input that stops
     * elsewhere was cut short, and a file of it would restore a damaged
     * last row. */
    if (!err && (rc.in_quotes || last != '\n'))
        err = error_detail(ERROR_NEW(ERR_DATA, "standard input ends inside a row"),
                           rc.in_quotes ? "The input ends inside a quoted CSV field."
                                        : "The last line of the input has no newline.");
    s->rows = rc.rows;
    return err;
}

static Error *run_backup(const HelperOptions *o)
{
    const char *path = o->backup_file;
    char *dir = path_dirname(path);
    Error *err = file_mkdir_p(dir);
    free(dir);
    if (err)
        return err;
    /* A sidecar is the promise that its data file is complete: an old one
     * must not outlive the file it describes if this run fails. */
    char *meta = xasprintf("%s%s", path, HELPER_SIDECAR_SUFFIX);
    file_remove(meta);
    /* The names codec_writer_open and file_write_atomic write through. */
    char *data_tmp = xasprintf("%s.tmp", path);
    char *meta_tmp = xasprintf("%s.tmp", meta);
    temp_paths[0] = data_tmp;
    temp_paths[1] = meta_tmp;
    catch_fatal_signals();

    HelperSidecar s;
    memset(&s, 0, sizeof s);
    s.content = o->content;
    CodecWriter *w = NULL;
    err = codec_writer_open(path, o->codec, o->level, &w);
    if (!err) {
        codec_writer_checksum_to(w, s.checksum);
        err = copy_stdin(w, &s);
        if (err)
            codec_writer_abort(w);
        else
            err = codec_writer_close(w, &s.rawbytes, &s.filebytes);
    }
    if (!err) {
        char *text = helper_sidecar_to_text(&s);
        err = file_write_atomic(meta, text, strlen(text));
        free(text);
        /* Without its sidecar the file is incomplete: leave none. */
        if (err)
            file_remove(path);
    }
    free(meta);
    /* The paths stay set (and allocated) until exit: a late signal still
     * finds valid names, and unlinking a file that is gone does no harm. */
    return err;
}

/* ---- Restore ------------------------------------------------------------ */

static Error *write_stdout(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t r = write(STDOUT_FILENO, buf, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int saved = errno;
            Error *e = ERROR_NEW(ERR_IO, "could not write to standard output: %s", strerror(saved));
            if (saved == EPIPE)
                error_detail(e, "The server stopped reading the data.");
            return e;
        }
        buf += r;
        len -= (size_t)r;
    }
    return NULL;
}

static Error *unpacked_to_stdout(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    return write_stdout(data, len);
}

/* len bytes of a packed file through the decoder (len 0: its end). */
static Error *unpack_chunk(PackCoder *unpack, const char *path, const char *buf, size_t len)
{
    Error *e = len ? pack_write(unpack, buf, len) : pack_finish(unpack);
    if (e && e->code == ERR_FORMAT)
        e = error_prefix(e, "data file \"%s\"", path);
    return e;
}

static Error *run_restore(const HelperOptions *o)
{
    const char *path = o->restore_file;
    CodecReader *r = NULL;
    /* codec_reader_open refuses symbolic links and anything but a regular
     * file (file_open_read_regular). */
    Error *err = codec_reader_open(path, o->codec, &r);
    if (err)
        return err;
    char *buf = xmalloc(CHUNK_SIZE);
    PackCoder *unpack = o->unpack ? pack_decoder_new(unpacked_to_stdout, NULL) : NULL;
    bool done = false;
    while (!err && !done) {
        size_t fill = 0;
        while (fill < CHUNK_SIZE) {
            size_t n;
            if ((err = codec_reader_read(r, buf + fill, CHUNK_SIZE - fill, &n)))
                break;
            if (n == 0) {
                done = true;
                break;
            }
            fill += n;
        }
        if (!err && fill > 0)
            err = unpack ? unpack_chunk(unpack, path, buf, fill) : write_stdout(buf, fill);
    }
    if (!err && unpack)
        err = unpack_chunk(unpack, path, NULL, 0);
    pack_free(unpack);
    free(buf);
    /* Every row is already with the server when the checksum is known; the
     * non-zero exit is what makes its COPY fail, and the transaction that
     * loaded them roll back. */
    if (!err && o->checksums) {
        char actual[CHECKSUM_HEX_LEN + 1];
        uint64_t bytes = 0;
        codec_reader_checksum(r, actual, &bytes);
        if (strcmp(actual, o->expected) != 0)
            err = error_hint(error_detail(ERROR_NEW(ERR_DATA, "checksum of file \"%s\" does not "
                                                              "match the backup's table of contents",
                                                    path),
                                          "Expected %s, computed %s over %llu bytes.", o->expected,
                                          actual, (unsigned long long)bytes),
                             "The file was changed or damaged after the backup was written.");
    }
    codec_reader_close(r);
    return err;
}

/* ---- Printing a file ----------------------------------------------------- */

/* The coordinator cannot read a segment's files (pg_read_file takes no
 * absolute path before PostgreSQL 11, and Greenplum 6 is 9.4): it loads
 * them through COPY ... FROM PROGRAM ON SEGMENT running this mode. */
static Error *run_print(const HelperOptions *o)
{
    const char *path = o->print_files[o->content + 1];
    struct stat st;
    if (o->missing_ok && lstat(path, &st) != 0 && errno == ENOENT)
        return NULL;
    int fd;
    Error *e = file_open_read_regular(path, &fd);
    if (e)
        return e;
    char *buf = xmalloc(HELPER_PRINT_MAX);
    size_t len = 0;
    while (len < HELPER_PRINT_MAX) {
        ssize_t r = read(fd, buf + len, HELPER_PRINT_MAX - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            e = ERROR_NEW(ERR_IO, "could not read file \"%s\": %s", path, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    if (!e) {
        char *row = helper_print_row(o->content, buf, len);
        e = write_stdout(row, strlen(row));
        free(row);
    }
    free(buf);
    return e;
}

/* ---- Reporting ---------------------------------------------------------- */

/* Write text to path through a temporary file of a fresh, unguessable name
 * (mkstemp: O_EXCL, mode 0600), then rename. The error file may live in a
 * shared directory such as /tmp (gprestore puts it there), where a fixed
 * temporary name could be planted in advance as a symbolic link to a file
 * of the server's user; rename replaces a link, it never writes through it. */
static Error *write_error_file(const char *path, const char *text, size_t len)
{
    char *tmp = xasprintf("%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        Error *e = ERROR_NEW(ERR_IO, "could not create file \"%s\": %s", tmp, strerror(errno));
        free(tmp);
        return e;
    }
    Error *e = file_write_all(fd, text, len, tmp);
    Error *ce = file_close(fd, tmp);
    if (!e)
        e = ce;
    else
        error_free(ce);
    if (!e)
        e = file_rename(tmp, path);
    if (e)
        file_remove(tmp);
    free(tmp);
    return e;
}

/* The message goes to standard error (the server log) and, with
 * --error-file, to that file, where the coordinator reads it back. */
static void report(const Error *e, const HelperOptions *o)
{
    error_print(e, PROGRAM, stderr);
    if (!o->error_file)
        return;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    error_print(e, PROGRAM, f);
    if (fclose(f) != 0) {
        free(text);
        return;
    }
    Error *we = NULL;
    if (o->backup_file) {
        /* The error may be that the backup directory could not be made;
         * the error file usually lives in it. */
        char *dir = path_dirname(o->error_file);
        we = file_mkdir_p(dir);
        free(dir);
    }
    if (!we)
        we = write_error_file(o->error_file, text, len);
    if (we) {
        error_prefix(we, "could not write error file \"%s\"", o->error_file);
        error_print(we, PROGRAM, stderr);
        error_free(we);
    }
    free(text);
}

int main(int argc, char **argv)
{
    HelperOptions o;
    Error *e = options_parse(argc, argv, &o);
    if (e) {
        report(e, &o);
        error_free(e);
        return HELPER_EXIT_USAGE;
    }
    if (o.help) {
        fputs(usage_text, stdout);
        return HELPER_EXIT_OK;
    }
    if (o.version) {
        printf("%s version %s\n", PROGRAM, GPB_VERSION);
        return HELPER_EXIT_OK;
    }
    /* A reader that goes away must show up as a write error we report, not
     * as a silent death by signal. */
    signal(SIGPIPE, SIG_IGN);
    /* Whatever happens next, an error file from an earlier run must not be
     * read as this run's. */
    if (o.error_file)
        file_remove(o.error_file);

    e = o.nprint_files ? run_print(&o) : o.backup_file ? run_backup(&o) : run_restore(&o);
    codec_thread_done();
    free(o.print_files);
    if (e) {
        report(e, &o);
        error_free(e);
        return HELPER_EXIT_FAILED;
    }
    return HELPER_EXIT_OK;
}

#!/bin/bash
# Failures must be clean: bad options exit 2 before any connection with a
# message on stderr; a missing database or an unreachable server exits 2
# quickly; --help and --version exit 0; --create-db never touches an existing
# database.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_cluster

# A TCP port on 127.0.0.1 where nothing listens.
closed_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((30000 + RANDOM % 30000))
        if ! ss -Hltn 2>/dev/null | awk '{print $4}' | grep -q "[:.]$p\$"; then
            echo "$p"
            return 0
        fi
    done
    echo "no closed port found" >&2
    return 1
}

# usage_error BINARY ARGS...: must exit 2 without connecting anywhere, say why on
# stderr, and leave no file behind. @DIR@ in ARGS stands for an empty absolute
# backup directory. The connection environment points at a closed port, so a
# tool that connected before checking its options would report a connection
# failure instead.
usage_error() {
    local bin=$1 dir port arg args=() left
    shift
    dir="$CASE_DIR/backups"
    mkdir -p "$dir"
    for arg in "$@"; do
        args+=("${arg//@DIR@/$dir}")
    done
    port=$(closed_port)
    expect_exit 2 env -u PGDATABASE PGHOST=127.0.0.1 PGPORT="$port" "$bin" "${args[@]}"
    [ -s last.err ] || fail "nothing on stderr explains the error"
    assert_no_grep last.err 'could not connect|connection refused|connection to server|timeout expired' \
        "the tool tried to connect before checking its options"
    left=$(find "$CASE_DIR" -mindepth 1 ! -name log ! -name 'last.*' ! -path "$dir")
    if [ -n "$left" ]; then
        echo "$left" >&2
        fail "a rejected command left files behind"
    fi
}

backup_usage_error() {
    usage_error "$GPBACKUP_BIN" "$@"
}

restore_usage_error() {
    usage_error "$GPRESTORE_BIN" "$@"
}

test_restore_unknown_timestamp() {
    restore_usage_error --timestamp 20000101000000 --backup-dir @DIR@
    assert_grep last.err '20000101000000' "the message should name the timestamp that was not found"
}

test_missing_database() {
    local dir
    dir=$(new_backup_dir backups)
    expect_exit 2 gpbackup --dbname no_such_db_e2e --backup-dir "$dir"
    assert_grep last.err 'does not exist' "the message should say that the database does not exist"
    assert_grep last.err 'no_such_db_e2e' "the message should name the database"
}

test_unreachable_server() {
    local dir port start secs
    dir=$(new_backup_dir backups)
    port=$(closed_port)
    start=$(date +%s)
    expect_exit 2 gpbackup --dbname postgres --host 127.0.0.1 --port "$port" --backup-dir "$dir"
    secs=$(($(date +%s) - start))
    [ "$secs" -le 10 ] || fail "took ${secs}s to give up on a closed port"
    [ -s last.err ] || fail "nothing on stderr explains the error"
}

test_help_version() {
    local bin=$1
    expect_exit 0 "$bin" --help
    [ -s last.out ] || [ -s last.err ] || fail "--help printed nothing"
    grep -q -- '--' last.out last.err || fail "--help does not list any option"
    expect_exit 0 "$bin" --version
    grep -q '[0-9]' last.out last.err || fail "--version printed no version number"
}

test_create_db_exists() {
    local dir ts
    create_db err_exists_src
    q err_exists_src "CREATE TABLE t (id integer); INSERT INTO t VALUES (1), (2)"
    create_db err_exists_dst
    q err_exists_dst "CREATE TABLE marker (v text); INSERT INTO marker VALUES ('untouched')"
    dir=$(new_backup_dir backups)
    ts=$(do_backup backup --dbname err_exists_src --backup-dir "$dir")
    expect_exit 2 gprestore --timestamp "$ts" --backup-dir "$dir" --redirect-db err_exists_dst --create-db
    [ -s last.err ] || fail "nothing on stderr explains the error"
    assert_eq untouched "$(q err_exists_dst 'SELECT v FROM marker')" "the existing database's data"
    assert_eq 0 "$(q err_exists_dst "SELECT count(*) FROM pg_class WHERE relname = 't' AND relkind = 'r'")" \
        "tables restored into the existing database"
    # Without --redirect-db the target is the source database itself, which exists.
    expect_exit 2 gprestore --timestamp "$ts" --backup-dir "$dir" --create-db
    assert_eq 2 "$(q err_exists_src 'SELECT count(*) FROM t')" "rows in the source database"
}

run_test backup_unknown_option backup_usage_error --dbname postgres --backup-dir @DIR@ --no-such-option
run_test backup_jobs_zero backup_usage_error --dbname postgres --backup-dir @DIR@ --jobs 0
run_test backup_jobs_abc backup_usage_error --dbname postgres --backup-dir @DIR@ --jobs abc
run_test backup_compression_lz4 backup_usage_error --dbname postgres --backup-dir @DIR@ --compression-type lz4
run_test backup_compression_level_99 backup_usage_error --dbname postgres --backup-dir @DIR@ --compression-level 99
run_test backup_data_and_metadata_only backup_usage_error --dbname postgres --backup-dir @DIR@ --data-only --metadata-only
run_test backup_no_compression_with_type backup_usage_error --dbname postgres --backup-dir @DIR@ --no-compression --compression-type gzip
run_test backup_relative_backup_dir backup_usage_error --dbname postgres --backup-dir relative/backups
run_test backup_missing_dbname backup_usage_error --backup-dir @DIR@
run_test restore_missing_timestamp restore_usage_error --backup-dir @DIR@
run_test restore_malformed_timestamp restore_usage_error --timestamp 2024-01-01 --backup-dir @DIR@
run_test restore_short_timestamp restore_usage_error --timestamp 2024010112 --backup-dir @DIR@
run_test restore_unknown_timestamp test_restore_unknown_timestamp
run_test missing_database test_missing_database
run_test unreachable_server test_unreachable_server
run_test gpbackup_help_version test_help_version "$GPBACKUP_BIN"
run_test gprestore_help_version test_help_version "$GPRESTORE_BIN"
run_test create_db_exists test_create_db_exists
finish

#!/bin/bash
# gpbackup_manager against real backup sets: list-backups (table and JSON)
# shows a complete backup, and an incomplete one once its completion marker
# is gone; verify passes an intact set and fails, naming the file, for a
# deleted, extra or truncated data file, an altered byte of metadata.sql and
# a damaged or missing manifest; display-report prints the report;
# delete-backup --yes deletes, refuses without a terminal, and on a terminal
# asks and honours the answer; usage errors exit 2.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_cluster

MANAGER_BIN=${MANAGER_BIN:-$E2E_BIN/gpbackup_manager}
gpbackup_manager() { timeout -k 5 "$E2E_CMD_TIMEOUT" "$MANAGER_BIN" "$@"; }

# A database name that JSON and the table must carry intact.
SRC_DB='mgr "src" é'

setup_source() {
    local ident="\"${SRC_DB//\"/\"\"}\""
    timeout -k 5 "$E2E_CMD_TIMEOUT" psql -X -q -v ON_ERROR_STOP=1 -d postgres \
        -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $ident"
    q postgres "CREATE DATABASE $ident"
    q_file "$SRC_DB" <<'SQL'
CREATE TABLE public.t1 AS SELECT g AS id, md5(g::text) AS t FROM generate_series(1, 5000) g;
CREATE TABLE public.t2 (id int PRIMARY KEY, note text);
INSERT INTO public.t2 VALUES (1, 'one'), (2, 'two');
SQL
}

require_manager() {
    [ -x "$MANAGER_BIN" ] || fail "$MANAGER_BIN not found (make bin/gpbackup_manager)"
}

# new_set: backs up the source into a fresh --backup-dir; sets DIR, TS, SET.
new_set() {
    require_manager
    DIR=$(new_backup_dir backups)
    TS=$(do_backup backup --dbname "$SRC_DB" --backup-dir "$DIR")
    SET=$(backup_set_dir "$DIR" "$TS")
    [ -f "$SET/gpbackup_${TS}_complete" ] || fail "gpbackup wrote no completion marker gpbackup_${TS}_complete"
    [ -f "$SET/gpbackup_${TS}_manifest.yaml" ] || fail "gpbackup wrote no manifest gpbackup_${TS}_manifest.yaml"
}

# A data file of the set (the largest: the one of t1).
data_file() {
    local f
    f=$(find "$SET" -name "gpbackup_-1_${TS}_*" -printf '%s %p\n' | sort -rn | head -n 1 | cut -d' ' -f2-)
    [ -n "$f" ] || fail "no data file in $SET"
    echo "$f"
}

# flip_byte FILE OFFSET: xor one byte with 0x01, keeping the size.
flip_byte() {
    python3 - "$1" "$2" <<'PY'
import sys
path, off = sys.argv[1], int(sys.argv[2])
data = bytearray(open(path, "rb").read())
data[off] ^= 0x01
open(path, "wb").write(data)
PY
}

# verify_fails NAME-ERE: verify must exit 2 and name the file (and problem).
verify_fails() {
    expect_exit 2 gpbackup_manager verify "$TS" --backup-dir "$DIR"
    cat last.out last.err >verify.all
    assert_grep verify.all "$1" "verify output"
    assert_grep last.err "failed verification" "verify's verdict on stderr"
}

# on_terminal ANSWER cmd...: runs cmd on a pseudo-terminal, answers the
# [y/N] prompt with ANSWER, prints what the terminal showed and exits as cmd.
on_terminal() {
    timeout -k 5 "$E2E_CMD_TIMEOUT" python3 - "$@" <<'PY'
import os, pty, select, sys, time
answer, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out, sent, deadline = b"", False, time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.5)
    if not ready:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:  # EIO: the child closed the terminal
        break
    if not data:
        break
    out += data
    if not sent and b"[y/N]" in out:
        os.write(fd, answer.encode() + b"\n")
        sent = True
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
if not sent:
    sys.stdout.write("\n(no [y/N] prompt was shown)\n")
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
PY
}

# ---------------------------------------------------------------------------

test_list_complete() {
    new_set
    expect_exit 0 gpbackup_manager list-backups --backup-dir "$DIR"
    assert_grep last.out "^TIMESTAMP +DATABASE +STATUS +SIZE +DURATION" "table header"
    assert_grep last.out "^$TS +mgr \"src\" é +complete +[0-9.]+ (bytes|kB|MB) +[0-9]+s" "the backup's line"
    expect_exit 0 gpbackup_manager list-backups --backup-dir "$DIR" --json
    python3 - last.out "$TS" "$SRC_DB" "$SET" <<'PY' || fail "list-backups --json: wrong document"
import json, sys
ts, db, set_dir = sys.argv[2:]
doc = json.load(open(sys.argv[1], encoding="utf-8"))
[b] = doc["backups"]
assert b["timestamp"] == ts, b
assert b["database"] == db, b
assert b["status"] == "complete", b
assert b["reason"] is None, b
assert isinstance(b["size_bytes"], int) and b["size_bytes"] > 0, b
assert isinstance(b["duration_seconds"], (int, float)) and b["duration_seconds"] >= 0, b
assert b["directory"] == set_dir, b
PY
}

test_list_incomplete() {
    new_set
    rm "$SET/gpbackup_${TS}_complete"
    expect_exit 0 gpbackup_manager list-backups --backup-dir "$DIR"
    assert_grep last.out "^$TS .* incomplete .*completion marker is missing" "the backup's line"
    expect_exit 0 gpbackup_manager list-backups --backup-dir "$DIR" --json
    python3 -c '
import json, sys
[b] = json.load(sys.stdin)["backups"]
assert b["status"] == "incomplete", b
assert "completion marker is missing" in b["reason"], b
' <last.out || fail "list-backups --json: the set should be incomplete"
    verify_fails "gpbackup_${TS}_complete: the backup is incomplete"
}

test_list_empty_and_several() {
    require_manager
    DIR=$(new_backup_dir backups)
    expect_exit 0 gpbackup_manager list-backups --backup-dir "$DIR"
    assert_grep last.out "no backups" "list of an empty directory"
    expect_exit 0 gpbackup_manager list-backups --backup-dir "$DIR" --json
    python3 -c 'import json, sys; assert json.load(sys.stdin) == {"backups": []}' <last.out ||
        fail "list-backups --json of an empty directory"
    local ts1 ts2
    ts1=$(do_backup b1 --dbname "$SRC_DB" --backup-dir "$DIR")
    sleep 1
    ts2=$(do_backup b2 --dbname "$SRC_DB" --backup-dir "$DIR" --metadata-only)
    expect_exit 0 gpbackup_manager list-backups --backup-dir "$DIR"
    assert_eq "$ts1 $ts2" "$(awk 'NR > 1 { printf "%s%s", sep, $1; sep = " " }' last.out)" "listed timestamps, oldest first"
    expect_exit 2 gpbackup_manager list-backups --backup-dir "$DIR/no-such-dir"
    assert_grep last.err "no-such-dir" "the message names the directory"
}

test_verify_intact() {
    new_set
    expect_exit 0 gpbackup_manager verify "$TS" --backup-dir "$DIR"
    assert_grep last.out "backup $TS is intact" "verify's verdict"
    expect_exit 0 gpbackup_manager verify "$TS" --backup-dir "$DIR" --json
    python3 - last.out "$TS" "$SET" <<'PY' || fail "verify --json: wrong document"
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
assert doc == {"timestamp": sys.argv[2], "directory": sys.argv[3], "status": "ok", "problems": []}, doc
PY
    # gprestore's own files in the set are not part of the backup.
    : >"$SET/gprestore_${TS}_20990101000000_report"
    : >"$SET/gprestore_${TS}_20990101000000_error_tables_data"
    expect_exit 0 gpbackup_manager verify "$TS" --backup-dir "$DIR"
}

test_verify_deleted_data_file() {
    new_set
    local f
    f=$(data_file)
    rm "$f"
    verify_fails "$(basename "$f"): missing"
}

test_verify_extra_file() {
    new_set
    echo "not part of the backup" >"$SET/gpbackup_-1_${TS}_99999.zst"
    verify_fails "gpbackup_-1_${TS}_99999.zst: not in the manifest"
}

test_verify_truncated_data_file() {
    new_set
    local f size
    f=$(data_file)
    size=$(stat -c %s "$f")
    truncate -s $((size / 2)) "$f"
    verify_fails "$(basename "$f"): size $((size / 2)), expected $size"
}

test_verify_altered_metadata() {
    new_set
    local f="$SET/gpbackup_${TS}_metadata.sql"
    flip_byte "$f" $(($(stat -c %s "$f") / 2))
    verify_fails "gpbackup_${TS}_metadata.sql: checksum differs"
    expect_exit 2 gpbackup_manager verify "$TS" --backup-dir "$DIR" --json
    python3 - last.out "$TS" <<'PY' || fail "verify --json: wrong document"
import json, sys
ts = sys.argv[2]
doc = json.load(open(sys.argv[1], encoding="utf-8"))
assert doc["status"] == "failed", doc
assert doc["problems"] == [{"file": f"gpbackup_{ts}_metadata.sql", "problem": "checksum differs"}], doc
PY
}

test_verify_damaged_manifest() {
    new_set
    local f="$SET/gpbackup_${TS}_manifest.yaml"
    flip_byte "$f" $(($(stat -c %s "$f") / 3))
    verify_fails "gpbackup_${TS}_manifest.yaml: manifest checksum mismatch: the manifest is damaged"
    rm "$f"
    verify_fails "gpbackup_${TS}_manifest.yaml: missing"
}

test_verify_failed_backup() {
    new_set
    # What a failed backup leaves: status Failure with its error.
    sed -i -e 's/^status: .*/status: Failure/' -e 's/^error: .*/error: "could not write: disk full"/' \
        "$SET/gpbackup_${TS}_config.yaml"
    verify_fails "gpbackup_${TS}_config.yaml: the backup failed: could not write: disk full"
    expect_exit 0 gpbackup_manager list-backups --backup-dir "$DIR"
    assert_grep last.out "^$TS .* failed +.*the backup failed: could not write: disk full" "the backup's line"
}

test_display_report() {
    new_set
    expect_exit 0 gpbackup_manager display-report "$TS" --backup-dir "$DIR"
    cmp -s last.out "$SET/gpbackup_${TS}_report" || fail "display-report does not print the report as it is"
    rm "$SET/gpbackup_${TS}_report"
    expect_exit 2 gpbackup_manager display-report "$TS" --backup-dir "$DIR"
    assert_grep last.err "report of backup $TS" "the message names the backup"
}

test_delete_yes() {
    new_set
    expect_exit 0 gpbackup_manager delete-backup "$TS" --backup-dir "$DIR" --yes
    assert_grep last.out "deleted backup $TS" "delete's message"
    [ ! -e "$SET" ] || fail "the set directory is still there"
    [ ! -e "$(dirname "$SET")" ] || fail "the empty day directory is still there"
    [ -d "$DIR/backups" ] || fail "delete removed $DIR/backups"
    expect_exit 0 gpbackup_manager list-backups --backup-dir "$DIR"
    assert_no_grep last.out "$TS" "list after delete"
    expect_exit 2 gpbackup_manager delete-backup "$TS" --backup-dir "$DIR" --yes
    assert_grep last.err "backup $TS not found" "delete of a deleted backup"
}

test_delete_without_terminal() {
    new_set
    expect_exit 2 gpbackup_manager delete-backup "$TS" --backup-dir "$DIR"
    assert_grep last.err "refusing to delete backup $TS" "the refusal"
    assert_grep last.err "HINT: .*--yes" "the hint"
    [ -f "$SET/gpbackup_${TS}_config.yaml" ] || fail "the set was touched"
}

test_delete_on_terminal() {
    new_set
    local n rc=0
    n=$(find "$SET" -type f | wc -l)
    on_terminal n "$MANAGER_BIN" delete-backup "$TS" --backup-dir "$DIR" >term.out 2>&1 || rc=$?
    cat term.out >&2
    assert_eq 0 "$rc" "exit code after answering n"
    assert_grep term.out "delete backup $TS of database mgr \"src\" é \($n files, [0-9.]+ (bytes|kB|MB)\)\? \[y/N\]" "the question"
    assert_grep term.out "not deleted" "the answer n"
    assert_eq "$n" "$(find "$SET" -type f | wc -l)" "files left after answering n"
    rc=0
    on_terminal y "$MANAGER_BIN" delete-backup "$TS" --backup-dir "$DIR" >term.out 2>&1 || rc=$?
    cat term.out >&2
    assert_eq 0 "$rc" "exit code after answering y"
    assert_grep term.out "deleted backup $TS" "the answer y"
    [ ! -e "$SET" ] || fail "the set is still there after answering y"
}

test_usage_errors() {
    require_manager
    DIR=$(new_backup_dir backups)
    local args
    for args in "" "frobnicate" "verify" "verify 2024" "verify 2024010112000x" \
        "verify 20240101120000 extra" "list-backups --yes" "display-report 20240101120000 --json" \
        "list-backups --backup-dir relative" "list-backups --no-such-option" "list-backups --backup-dir"; do
        # shellcheck disable=SC2086
        expect_exit 2 gpbackup_manager $args
        assert_grep last.err "^gpbackup_manager: error: " "usage error for '$args'"
        assert_grep last.err "HINT: .*--help" "hint for '$args'"
    done
    expect_exit 2 gpbackup_manager verify 20000101000000 --backup-dir "$DIR"
    assert_grep last.err "backup 20000101000000 not found" "unknown timestamp"
    expect_exit 0 gpbackup_manager --help
    assert_grep last.out "list-backups" "help"
    expect_exit 0 gpbackup_manager --version
    assert_grep last.out "^gpbackup_manager version [0-9]" "version"
}

setup_source || { echo "could not create the source database" >&2; exit 1; }
run_test list_complete test_list_complete
run_test list_incomplete test_list_incomplete
run_test list_empty_and_several test_list_empty_and_several
run_test verify_intact test_verify_intact
run_test verify_deleted_data_file test_verify_deleted_data_file
run_test verify_extra_file test_verify_extra_file
run_test verify_truncated_data_file test_verify_truncated_data_file
run_test verify_altered_metadata test_verify_altered_metadata
run_test verify_damaged_manifest test_verify_damaged_manifest
run_test verify_failed_backup test_verify_failed_backup
run_test display_report test_display_report
run_test delete_yes test_delete_yes
run_test delete_without_terminal test_delete_without_terminal
run_test delete_on_terminal test_delete_on_terminal
run_test usage_errors test_usage_errors
finish

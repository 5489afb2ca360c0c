#!/bin/bash
# make demo: start a throwaway PostgreSQL, load sample data, back it up with
# gpbackup --jobs 4, restore it into a new database with gprestore --jobs 4,
# and prove the two databases equal (per-table checksums and schema dumps).
#
#   ci/demo.sh BIN_DIR        (KEEP_TMP=1 keeps the backup and logs)
# Exits non-zero if a step fails or anything differs.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: ci/demo.sh BIN_DIR" >&2
    exit 2
fi
REPO=$(cd "$(dirname "$0")/.." && pwd)
case $1 in /*) BIN=$1 ;; *) BIN=$REPO/$1 ;; esac
for b in gpbackup gprestore; do
    [ -x "$BIN/$b" ] || { echo "demo: $BIN/$b not found; run make first" >&2; exit 2; }
done

step_start=0
step() {
    step_start=$(date +%s%N)
    printf '\n==> %s\n' "$*"
}
done_step() {
    printf '    done in %s s\n' "$(awk -v a="$step_start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')"
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpb-demo.XXXXXX")
PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/gpb-demo-pg.XXXXXX")
cleanup() {
    "$REPO/ci/pg-stop.sh" "$PGDIR" >/dev/null 2>&1 || echo "demo: could not stop the cluster in $PGDIR" >&2
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "demo: backup and logs kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
export HOME="$WORK/home" # gpAdminLogs land here, not in the real home
mkdir -p "$HOME"

step "Starting a throwaway PostgreSQL 15 cluster in $PGDIR"
"$REPO/ci/pg-start.sh" "$PGDIR" 2>&1 | sed 's/^/    /'
# shellcheck disable=SC1091
. "$PGDIR/env"
E2E_BIN=$BIN E2E_CMD_TIMEOUT=600
# shellcheck source=test/e2e/lib.sh
. "$REPO/test/e2e/lib.sh"
CASE_DIR=$WORK
done_step

step "Loading sample data into database demo: pgbench -i -s 10 (1,000,000 accounts) plus mixed-type tables"
createdb demo
pgbench -i -s 10 -q demo 2>&1 | tail -n 1 | sed 's/^/    /'
psql -X -q -v ON_ERROR_STOP=1 -d demo <<'SQL'
CREATE SCHEMA shop;
CREATE TYPE shop.order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE TABLE shop.customers (
    id integer PRIMARY KEY,
    name text NOT NULL,
    email varchar(120) UNIQUE,
    created timestamptz NOT NULL DEFAULT now(),
    vip boolean NOT NULL DEFAULT false,
    tags text[]
);
INSERT INTO shop.customers
  SELECT g, 'Customer ' || g || CASE WHEN g % 10 = 0 THEN E' "the\tbest"' ELSE '' END,
         CASE WHEN g % 7 = 0 THEN NULL ELSE 'c' || g || '@example.com' END,
         timestamptz '2023-01-01 00:00+00' + g * interval '17 minutes', g % 13 = 0,
         ARRAY['t' || g % 5, CASE WHEN g % 2 = 0 THEN 'even' END]
    FROM generate_series(1, 100000) g;
CREATE TABLE shop.orders (
    id bigserial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES shop.customers (id) ON DELETE CASCADE,
    amount numeric(10,2) NOT NULL CHECK (amount >= 0),
    status shop.order_status NOT NULL DEFAULT 'new',
    placed_at timestamptz NOT NULL,
    details jsonb
);
INSERT INTO shop.orders (customer_id, amount, status, placed_at, details)
  SELECT 1 + g % 100000, (g % 50000) / 100.0, (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + g % 4]::shop.order_status,
         timestamptz '2024-01-01 00:00+00' + g * interval '1 minute',
         jsonb_build_object('items', g % 9 + 1, 'note', CASE WHEN g % 100 = 0 THEN E'line\nbreak, comma; "quote"' END)
    FROM generate_series(1, 400000) g;
CREATE INDEX orders_customer_placed_idx ON shop.orders (customer_id, placed_at);
CREATE TABLE shop.events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind text NOT NULL,
    payload bytea,
    duration interval,
    client inet,
    score double precision
);
INSERT INTO shop.events (kind, payload, duration, client, score)
  SELECT 'k' || g % 20, decode(md5(g::text), 'hex'), g * interval '1.5 seconds',
         ('10.' || g % 256 || '.' || (g / 256) % 256 || '.1')::inet,
         CASE WHEN g % 1000 = 0 THEN 'NaN'::float8 ELSE g / 3.0 END
    FROM generate_series(1, 200000) g;
CREATE VIEW shop.revenue_by_status AS
  SELECT status, count(*) AS orders, sum(amount) AS revenue FROM shop.orders GROUP BY status;
COMMENT ON TABLE shop.orders IS 'sample orders for the gpbackup demo';
ANALYZE;
SQL
psql -X -At -d demo -c "SELECT '    ' || count(*) || ' tables, ' || pg_size_pretty(pg_database_size('demo'))
                        FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
done_step

BACKUPS="$WORK/backups"
mkdir -p "$BACKUPS"
step "Backing up: gpbackup --dbname demo --backup-dir $BACKUPS --jobs 4"
rc=0
"$BIN/gpbackup" --dbname demo --backup-dir "$BACKUPS" --jobs 4 2>&1 | tee "$WORK/gpbackup.log" | sed 's/^/    /' ||
    rc=$?
if [ "$rc" -ne 0 ]; then
    echo "demo: gpbackup failed (exit $rc)" >&2
    exit 1
fi
TS=$(backup_ts "$WORK/gpbackup.log")
done_step

step "Backup report of $TS"
REPORT="$(backup_set_dir "$BACKUPS" "$TS")/gpbackup_${TS}_report"
if [ ! -f "$REPORT" ]; then
    REPORT=$(find "$BACKUPS" -name "gpbackup_${TS}_report" | head -n 1)
fi
if [ -z "$REPORT" ] || [ ! -f "$REPORT" ]; then
    echo "demo: no report file gpbackup_${TS}_report under $BACKUPS" >&2
    exit 1
fi
sed 's/^/    /' "$REPORT"
echo "    files in the backup set:"
find "$(dirname "$REPORT")" -maxdepth 1 -type f -printf "      %10s  %f\n" | sort -k2

step "Restoring: gprestore --timestamp $TS --backup-dir $BACKUPS --create-db --redirect-db demo_restored --jobs 4"
rc=0
"$BIN/gprestore" --timestamp "$TS" --backup-dir "$BACKUPS" --create-db --redirect-db demo_restored --jobs 4 2>&1 |
    tee "$WORK/gprestore.log" | sed 's/^/    /' || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "demo: gprestore failed (exit $rc)" >&2
    exit 1
fi
done_step

step "Comparing every table of demo and demo_restored (row count and md5 of the sorted rows)"
table_checksums demo >"$WORK/demo.sums" &
sums_pid=$!
table_checksums demo_restored >"$WORK/demo_restored.sums"
wait "$sums_pid"
differ=0
printf '    %-28s %9s  %-32s  %-32s  %s\n' table rows "checksum demo" "checksum demo_restored" equal
while IFS=$'\t' read -r table rows sum; do
    other=$(awk -F'\t' -v t="$table" '$1 == t { print $2 "\t" $3 }' "$WORK/demo_restored.sums")
    orows=${other%%$'\t'*}
    osum=${other#*$'\t'}
    if [ -n "$other" ] && [ "$orows" = "$rows" ] && [ "$osum" = "$sum" ]; then
        eq=yes
    else
        eq=NO
        differ=1
        [ -n "$other" ] || osum="(missing)"
        [ "$orows" = "$rows" ] || rows="$rows/${orows:-0}"
    fi
    printf '    %-28s %9s  %-32s  %-32s  %s\n' "$table" "$rows" "$sum" "$osum" "$eq"
done <"$WORK/demo.sums"
# Tables that exist only in the restored database.
while IFS=$'\t' read -r table rows sum; do
    printf '    %-28s %9s  %-32s  %-32s  %s\n' "$table" "$rows" "(missing)" "$sum" NO
    differ=1
done < <(awk -F'\t' 'NR == FNR { seen[$1] = 1; next } !($1 in seen)' "$WORK/demo.sums" "$WORK/demo_restored.sums")
done_step

step "Comparing the schemas (pg_dump --schema-only of both)"
schema_dump demo >"$WORK/demo.schema.sql"
schema_dump demo_restored >"$WORK/demo_restored.schema.sql"
if diff -u "$WORK/demo.schema.sql" "$WORK/demo_restored.schema.sql" >"$WORK/schema.diff"; then
    echo "    identical ($(grep -c '^CREATE' "$WORK/demo.schema.sql") CREATE statements, $(wc -l <"$WORK/demo.schema.sql") lines)"
else
    differ=1
    echo "    the schema dumps differ:"
    head -n 60 "$WORK/schema.diff" | sed 's/^/    /'
fi

if [ "$differ" -ne 0 ]; then
    printf '\n==> FAILED: demo_restored differs from demo\n'
    exit 1
fi
printf '\n==> OK: demo_restored is identical to demo (%s tables, schema and data)\n' "$(wc -l <"$WORK/demo.sums")"

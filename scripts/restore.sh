#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a PostgreSQL database.
#   scripts/restore.sh FILE TARGET_URL
# TARGET_URL (postgresql://user@host:port/db) is created when missing. An existing database with tables is
# refused unless FORCE=1 (then its objects are dropped and replaced). Afterwards point DATABASE_URL at it and
# start the app; `flask db upgrade` brings an older backup to the current schema.
set -euo pipefail
FILE=${1:?usage: scripts/restore.sh FILE TARGET_URL}
TARGET=${2:?usage: scripts/restore.sh FILE TARGET_URL}
TARGET=${TARGET/postgresql+psycopg2:/postgresql:}
[ -f "$FILE" ] || { echo "restore: no file $FILE" >&2; exit 2; }
pg_restore --list "$FILE" >/dev/null || { echo "restore: $FILE is not a pg_dump custom-format file" >&2; exit 2; }
DB=${TARGET##*/}; DB=${DB%%\?*}
SERVER=${TARGET%/*}/postgres
# psql variables quote the name (:'db' a literal, :"db" an identifier); they work on stdin, not with -c.
if [ -z "$(echo "SELECT 1 FROM pg_database WHERE datname = :'db'" | psql -XAtq "$SERVER" -v db="$DB")" ]; then
  echo 'CREATE DATABASE :"db"' | psql -Xq "$SERVER" -v db="$DB"
  echo "restore: created database $DB"
fi
tables=$(psql -XAtq "$TARGET" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
clean=()
if [ "$tables" != 0 ]; then
  [ "${FORCE:-0}" = 1 ] || { echo "restore: $DB already has $tables tables; FORCE=1 replaces them" >&2; exit 3; }
  clean=(--clean --if-exists)
fi
pg_restore --no-owner --exit-on-error --single-transaction "${clean[@]}" --dbname="$TARGET" "$FILE"
echo "restore: $FILE -> $DB ($(psql -XAtq "$TARGET" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") tables)"

#!/usr/bin/env bash
# Back up the PostgreSQL database: pg_dump in custom format (compressed; restore it with scripts/restore.sh).
#   scripts/backup.sh [FILE]        default FILE: backups/crm-<UTC time>.dump
# The database is DATABASE_URL (postgresql://user@host:port/db). A consistent snapshot: pg_dump reads one
# transaction, the app keeps running meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
URL=${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database to back up}
URL=${URL/postgresql+psycopg2:/postgresql:}
case $URL in postgres*) ;; *) echo "backup: DATABASE_URL is not PostgreSQL ($URL); copy the SQLite file instead" >&2; exit 2 ;; esac
FILE=${1:-backups/crm-$(date -u +%Y%m%dT%H%M%SZ).dump}
mkdir -p "$(dirname "$FILE")"
pg_dump --format=custom --no-owner --file="$FILE.partial" "$URL"
mv "$FILE.partial" "$FILE"   # never leave a half-written file under the final name
echo "backup: $FILE ($(du -h "$FILE" | cut -f1))"

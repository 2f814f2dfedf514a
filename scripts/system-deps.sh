#!/usr/bin/env bash
# System packages the tests use, from Debian's archive: faketime (the fault matrix skews a CLI's
# wall clock with it) and postgresql-15 (the sandbox runs a real PostgreSQL server behind each RDB
# instance: initdb, pg_ctl, postgres, pg_dump, pg_restore; Debian keeps them in
# /usr/lib/postgresql/<v>/bin), python3-alembic and python3-psycopg2 (the sandbox runs the migration
# runner's command, python3 with Alembic and psycopg2, with Debian's /usr/bin/python3, never a python
# of the PATH). Installed when missing and we may (root, apt-get); otherwise says how.
set -euo pipefail
missing=()
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
pg_found=""
for d in "${EVALAP_PG_BIN:-}" "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin; do
  [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/pg_dump" ] && pg_found=1 && break
done
[ -n "$pg_found" ] || missing+=(postgresql-15)
/usr/bin/python3 -c 'import alembic' >/dev/null 2>&1 || missing+=(python3-alembic)
/usr/bin/python3 -c 'import psycopg2' >/dev/null 2>&1 || missing+=(python3-psycopg2)
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]} (Debian packages)" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "system-deps: missing ${missing[*]}: install with 'sudo apt-get install ${missing[*]}' (the fault-matrix and sandbox tests need them)" >&2
fi

#!/bin/sh
# docker-compose `db` (the primary), first start only (/docker-entrypoint-initdb.d): let the `standby` service
# stream WAL from it. The image's pg_hba.conf lets the network reach every database, but replication is not
# a database: it needs its own line, with the same password authentication.
set -e
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"

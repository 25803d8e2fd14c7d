#!/bin/sh
# docker-compose `standby`: a hot standby of `db`, as `python -m geo.localdb start --standby` makes one locally
# (docs/scale.md). The first start clones the primary with pg_basebackup through the replication slot
# gridmap_standby (so the primary keeps the WAL the standby has not received); later starts just start it.
# Runs as the image's postgres user (compose `user: postgres`).
set -e
export PGPASSWORD="$POSTGRES_PASSWORD"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -h db -U "$POSTGRES_USER" -d "$POSTGRES_DB" >/dev/null; do sleep 1; done
    # A slot left by an earlier standby volume would refuse -C: the new clone starts from now.
    psql -h db -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc \
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'gridmap_standby'"
    pg_basebackup -h db -U "$POSTGRES_USER" -D "$PGDATA" -X stream -C -S gridmap_standby -R -c fast
    chmod 700 "$PGDATA"
fi
exec postgres -D "$PGDATA" -c hot_standby=on -c hot_standby_feedback=on

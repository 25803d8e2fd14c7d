"""A county's incident partitions, made when its area is created (docs/scale.md, "Partitioned by county").

Incidents and their events are partitioned by county (layers/sql/functions/partitions.sql). `load_demo` makes
a county's partitions itself, filled while they stand alone and attached afterwards. A county created any other
way (the areas import, the admin, the mini demo: every path goes through `Area.save`) gets them here, so its
incidents never sit in the default partition, which every query on the incidents reads.

Why after the commit, in a transaction of its own, and not in the creating transaction (a trigger on grids_area):
attaching a partition takes an ACCESS EXCLUSIVE lock on the default partitions (PostgreSQL must prove they hold
no row of the new county) and keeps it until that transaction ends; every read of the incidents that is not
pruned to one county (tiles, figures, lists: they select by grid-code prefix) plans over the default partition,
so it would wait for the whole of an areas import. Here the lock lasts the few milliseconds of creating two
empty tables, and `lock_timeout` bounds the wait behind a long reader (then, logged, the partitions are made by
`SELECT layers_incident_partition('<code>')` when it is run; until then the county's incidents are in the
default partition, where every query still finds them: a slower layout, never a wrong answer). Rows of the
county written in the creating transaction move into its partitions (layers_incident_partition moves them).
"""

from __future__ import annotations

import logging
import re

from django.db import DatabaseError, connection, transaction

from grids.codes import Level

log = logging.getLogger(__name__)
LOCK_TIMEOUT = "2s"
COUNTY_CODE = re.compile(r"[0-9]{6}")


def make_partitions(code: str) -> int:
    """Create county `code`'s incident partitions if missing, in a transaction of its own; returns how many
    were made (0: there already, or the locks were not granted within LOCK_TIMEOUT, logged)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute("SELECT layers_incident_partition(%s)", [code])
            return cursor.fetchone()[0]
    except DatabaseError as error:
        log.warning("county %s: its incident partitions were not made (%s); its incidents stay in the default "
                    "partition until SELECT layers_incident_partition('%s') is run", code, error, code)
        return 0


def county_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """post_save of grids.Area: a new county gets its partitions once its transaction has committed."""
    if not created or raw or instance.level != Level.COUNTY or not COUNTY_CODE.fullmatch(instance.code):
        return
    code = instance.code
    transaction.on_commit(lambda: make_partitions(code))

"""What a statement's plan reads of the incidents, for tests that an index can answer a read alone."""

from __future__ import annotations

import re

from django.db import connection

SCAN = re.compile(r"->\s+(?:Parallel )?(Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan)(?: Backward)?"
                  r"(?: using \w+)? on (?:\w+\.)?(layers_incident\w*) (\w+)")


def index_columns(index: str) -> set[str]:
    """The table columns an index holds, keys and INCLUDEd (an expression key holds none by name)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT a.attname FROM pg_index x JOIN pg_attribute a ON a.attrelid = x.indrelid "
                       "AND a.attnum = ANY(x.indkey) WHERE x.indexrelid = %s::regclass", [index])
        return {name for (name,) in cursor.fetchall()}


def scanned_columns(statement: str, params) -> list[tuple[str, set[str]]]:
    """Per scan of an incidents' partition in the statement's plan (EXPLAIN VERBOSE, which names every column
    with its table's alias): the partition and every column the scan reads, in its output, conditions and
    filters. Whatever scan the planner picks (a test's few unvacuumed rows make it a tie between an
    index-only scan and others), an index holding all of them could answer it alone."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (VERBOSE, COSTS OFF) " + statement, params)
        lines = [row[0] for row in cursor.fetchall()]
    scans: list[tuple[str, set[str]]] = []
    depth, alias = -1, None
    for line in lines:
        match = SCAN.search(line)
        if match:
            depth, alias = line.index("->"), match.group(3)
            scans.append((match.group(2), set()))
        elif alias is not None and (line.lstrip().startswith("->") or len(line) - len(line.lstrip()) <= depth):
            alias = None
        elif alias is not None:
            scans[-1][1].update(re.findall(rf"\b{alias}\.(\w+)", line))
    return scans

"""What an incident names beyond its own fields (the person or enterprise concerned), kept by an app above
layers.

layers may not import people (tests/geo/test_layering.py), yet intake takes `person` and `enterprise`
and an incident's answer shows them. So the people app hands layers one Linker in its ready(), as it
hands its stats section and its OpenAPI paths: layers reads the intake fields raw, asks the linker to
check them before anything is written, to store them in the transaction of the insert, and to describe
them in every answer that shows incidents by the API: intake, the one incident, the list, each loop
step's answer (views.py, listing.py). The linker also hands the incident's admin page an inline
(`provide_inline`). Without a linker (people not installed) the fields are refused by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from geo.access import Access
from geo.errors import InvalidInput

FIELDS = ("person", "enterprise")


class Linker(Protocol):
    def check(self, access: Access, given: dict[str, Any]) -> Any:
        """The resolved targets, or a 4xx naming the field (nothing written)."""

    def store(self, access: Access, incident_id: int, resolved: Any) -> None:
        """Keep the link and audit it, inside the intake's transaction."""

    def describe(self, access: Access, incident_ids: list[int]) -> dict[int, dict[str, Any]]:
        """{incident id: the properties its answer shows for its links} for the incidents named (one
        answer: a page of the list, or one incident), audited once when personal."""


LINKERS: list[Linker] = []
# Admin inlines the apps above layers add to the incident's admin page (people: its links).
INLINES: list[type] = []


def provide(linker: Linker) -> None:
    if linker not in LINKERS:
        LINKERS.append(linker)


def provide_inline(inline: type) -> None:
    if inline not in INLINES:
        INLINES.append(inline)


def given(fields: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The link fields of an intake body that are set, as (name, value) pairs in FIELDS order: part of
    the report (and of its digest), so a retry naming another person is a different report."""
    found = []
    for name in FIELDS:
        value = fields.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise InvalidInput(f"{name}: expected an id (or for an enterprise its credit code), got "
                               f"{type(value).__name__}", field=name)
        found.append((name, value))
    if found and not LINKERS:
        raise InvalidInput(f"{found[0][0]}: this installation keeps no people or enterprises", field=found[0][0])
    return tuple(found)


def check(access: Access, pairs: tuple[tuple[str, Any], ...]) -> list[Any]:
    return [linker.check(access, dict(pairs)) for linker in LINKERS] if pairs else []


def store(access: Access, incident_id: int, resolved: list[Any]) -> None:
    for linker, targets in zip(LINKERS, resolved, strict=False):
        linker.store(access, incident_id, targets)


def describe(access: Access, incident_ids: list[int]) -> dict[int, dict[str, Any]]:
    """{incident id: link properties} for those of the incidents that have any to show this caller."""
    props: dict[int, dict[str, Any]] = {}
    for linker in LINKERS:
        for pk, found in linker.describe(access, list(incident_ids)).items():
            props.setdefault(pk, {}).update(found)
    return props


def add_to(features: list[dict[str, Any]], access: Access) -> list[dict[str, Any]]:
    """The features (GeoJSON incidents) with their links' properties, for this caller."""
    if features and LINKERS:
        found = describe(access, [f["id"] for f in features])
        for feature in features:
            feature["properties"].update(found.get(feature["id"], {}))
    return features

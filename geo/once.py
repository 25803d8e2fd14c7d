"""Store once per client id: what every phone-facing write does so that a retry never doubles a record.

A phone that lost its connection after sending does not know whether the server stored its visit, video
patrol or follow-up, so it sends the same body again under the same `client_id`. The server answers the
first record, not a second one, in two places: before any work (the usual retry, long after the first
committed) and when the insert hits the unique `client_id` (a retry racing the first request). Visits,
video patrols and key-group follow-ups share this; incident intake has its own (it also compares the
report's digest, to refuse a different report under a used id).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, models, transaction

from geo.errors import Conflict

M = TypeVar("M", bound=models.Model)


def earlier(model: type[M], client_id: str | None) -> M | None:
    """The record already stored under this client id, if any."""
    return model.objects.filter(client_id=client_id).first() if client_id else None


def create_once(model: type[M], client_id: str | None, create: Callable[[], M], replay: Callable[[M], M],
                retry_message: str) -> tuple[M, bool]:
    """(record, created): `create()` in its own transaction, or, when a concurrent request committed the same
    client id first, `replay(that record)` (which refuses an id used by someone else). An integrity error
    that is not such a race is a 409 asking for a retry, never a 500."""
    try:
        with transaction.atomic():
            return create(), True
    except IntegrityError as exc:
        first = earlier(model, client_id)
        if first is None:
            raise Conflict(retry_message, field="client_id") from exc
        return replay(first), False

"""Rate limits on expensive endpoints hold across callers' requests and answer 429 with Retry-After."""

from __future__ import annotations

import pytest

from geo import ratelimit
from geo.access import access_for_user, create_user
from geo.errors import TooManyRequests, error_response


def test_limit_per_user_and_window(db, settings):
    settings.GRIDMAP_RATE_LIMITS = {"export": (3, 60)}
    alice = access_for_user(create_user("alice", "analyst", "419001")[0])
    bob = access_for_user(create_user("bob", "analyst", "419001")[0])
    for _ in range(3):
        ratelimit.check(alice, "export")
    with pytest.raises(TooManyRequests) as err:
        ratelimit.check(alice, "export")
    assert "at most 3 per 60 s" in err.value.message
    response = error_response(err.value)
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    ratelimit.check(bob, "export")  # another caller has a budget of their own


def test_unlimited_bucket_is_never_refused(db, settings):
    settings.GRIDMAP_RATE_LIMITS = {}
    alice = access_for_user(create_user("alice2", "analyst", "419001")[0])
    for _ in range(50):
        ratelimit.check(alice, "export")

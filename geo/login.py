"""Login throttling: a few attempts per user name and address, then 429 with Retry-After and an audit row.

Built on geo.ratelimit (a counter in PostgreSQL shared by every worker) rather than django-axes: it
needs no new app, tables or authentication backend, and it keys on the user name *and* the address.
A county's intranet often reaches Gridmap through one reverse proxy, so an address alone would lock
every user out together, and a user name alone would let anyone lock the administrator out; here a
guesser only spends their own budget. Both login pages (/accounts/login/ and the admin's) use it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

from geo import ratelimit
from geo.access import audit
from geo.errors import TooManyRequests
from geo.models import AuditRecord

BUCKET = "login"


def throttled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a login view: each POST counts against (user name, address); past the limit, 429."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            username = str(request.POST.get("username", ""))[:150]
            ip = request.META.get("REMOTE_ADDR") or "-"
            who = "login:" + hashlib.sha256(f"{username.strip().lower()}\0{ip}".encode()).hexdigest()[:48]
            try:
                ratelimit.check(None, BUCKET, who=who)
            except TooManyRequests as exc:
                retry = exc.detail["retry_after"]
                audit(None, AuditRecord.Action.LOGIN_FAILED, target=username,
                      detail={"reason": "throttled", "retry_after": retry}, request=request)
                message = _("Too many login attempts for this user from this address: try again in %(seconds)d s.")
                page = f"<!doctype html><meta charset=utf-8><title>429</title><p>{escape(message % {'seconds': retry})}"
                response = HttpResponse(page, status=429, content_type="text/html; charset=utf-8")
                response["Retry-After"] = str(retry)
                return response
        return view(request, *args, **kwargs)

    return wrapped

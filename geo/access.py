"""Access: who is asking, with which role, limited to which area, allowed to do what.

Every view that serves or changes data starts with `access = require(request, "view")` (or another
permission) and passes `access.scope` to the querysets' `within()`. Outside one's scope an object is
simply not found (404), and lists, tiles and exports leave it out: nothing tells a township leader
that another township's incident exists.

Identity comes from a session (pages) or an API token (`Authorization: Bearer <key>`, or
`?token=<key>` for map clients that cannot set headers, or Open311's `api_key` parameter).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import db
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone

from geo import replica
from geo.errors import AUTHENTICATE, Forbidden, NotAuthenticated
from geo.kept import Keeper
from geo.models import ApiToken, AuditRecord, Profile, Role

PERMISSIONS = {
    "view": "read maps, lists, stats inside the scope",
    "report": "report incidents",
    "transition": "move incidents through the closed loop",
    "redraw": "change grid boundaries",
    "export": "export layers",
    "export_personal": "see and export personal fields",
    "manage_users": "manage users and tokens",
    "addresses": "create building and room addresses, import address registers",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OPERATOR: frozenset({"view", "report", "transition", "export", "addresses"}),
    Role.PLANNER: frozenset({"view", "redraw", "export", "addresses"}),
    Role.LEADER: frozenset({"view", "transition", "export"}),
    Role.ANALYST: frozenset({"view", "export"}),
    Role.GRID_WORKER: frozenset({"view", "report", "transition"}),
    # A functional department (司法局, 住建局…): sees, moves and exports only the matters dispatched to
    # it (Access.department narrows every path), within its area scope.
    Role.DEPARTMENT: frozenset({"view", "transition", "export"}),
    Role.ADMINISTRATOR: frozenset(PERMISSIONS),
}


@dataclass(frozen=True)
class Access:
    """The caller as the data layer sees it. `scope` None means unrestricted (administrators).

    `department` is set for department accounts only: the code of their department. Every path that
    reads or moves incidents narrows to the matters with an open dispatch to it (layers/desk/scope.py),
    on top of the area scope; a department account without a department sees no incident at all.
    """

    user_id: int | None
    username: str
    role: str | None
    scope: str | None
    permissions: frozenset[str] = field(default_factory=frozenset)
    department: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def personal_data(self) -> bool:
        return self.can("export_personal")

    def cache_key(self) -> str:
        """What changes what this caller sees: scope, department and personal-data right. Part of every
        tile cache key, so one department's tile is never served to another or to the center."""
        base = f"{self.scope or '*'}:{int(self.personal_data)}"
        return f"{base}:d={self.department_code}" if self.role == Role.DEPARTMENT else base

    @property
    def department_code(self) -> str:
        """The department a department account is narrowed to; "-" (matching no department) when the
        account has none, so a misconfigured account sees nothing rather than everything."""
        return self.department or "-"

    @property
    def narrowed(self) -> bool:
        """Whether incidents are narrowed to a department's matters (department accounts)."""
        return self.role == Role.DEPARTMENT


ANONYMOUS = Access(user_id=None, username="", role=None, scope=None)


def access_for_user(user) -> Access:
    """Build the Access of a user from their profile (superusers without a profile are administrators)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    profile = Profile.objects.filter(user=user).first()
    if profile is None:
        if user.is_superuser:
            return Access(user.pk, user.get_username(), Role.ADMINISTRATOR, None,
                          ROLE_PERMISSIONS[Role.ADMINISTRATOR])
        return Access(user.pk, user.get_username(), None, None, frozenset())
    permissions = set(ROLE_PERMISSIONS.get(profile.role, frozenset()))
    if profile.personal_data:
        permissions.add("export_personal")
    return Access(user.pk, user.get_username(), profile.role, profile.scope or None, frozenset(permissions),
                  department=profile.department or None)


# Token → (Access, expiry): tile clients send hundreds of requests a second with the same token; a few
# seconds of caching spares the database without letting a revoked token live on for long.
TOKEN_CACHE_SECONDS = 10.0
_TOKENS = Keeper("api tokens", TOKEN_CACHE_SECONDS, max_entries=4096)


# Bodies whose fields Django parses into request.POST (where an Open311 client puts its api_key).
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def token_from_request(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in {"bearer", "token"} and value.strip():
        return value.strip()
    # api_key is Open311 GeoReport's name for the same thing; its clients send it in the query or a form.
    form_key = request.POST.get("api_key") if request.content_type in FORM_TYPES else None
    return request.GET.get("token") or request.GET.get("api_key") or form_key or None


def access_for_token(key: str) -> Access | None:
    """The access of an API token's user; kept TOKEN_CACHE_SECONDS, an unknown or revoked token never."""
    return _TOKENS.get(ApiToken.hash(key), lambda: _read_token(key), keep_none=False)


def _read_token(key: str) -> Access | None:
    token = ApiToken.objects.matching(key).select_related("user").first()
    if token is None or not token.user.is_active:
        return None
    access = access_for_user(token.user)
    if not token.last_used_at or (timezone.now() - token.last_used_at).total_seconds() > 60:
        try:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        except (db.OperationalError, db.InterfaceError):
            # The token was read from the standby while the primary is down (geo/replica.py): a wall screen
            # keeps drawing; "last used" is bookkeeping, written again at the next use after the primary is back.
            if replica.read_alias(ApiToken) == replica.PRIMARY:
                raise
    return access


def clear_token_cache() -> None:
    _TOKENS.forget()


def request_access(request: HttpRequest) -> Access:
    """The caller's Access, resolved once per request (token first, then the session)."""
    cached = getattr(request, "_gridmap_access", None)
    if cached is not None:
        return cached
    key = token_from_request(request)
    if key:
        access = access_for_token(key)
        if access is None:
            raise NotAuthenticated("the API token is unknown or revoked")
    else:
        access = access_for_user(getattr(request, "user", None))
    request._gridmap_access = access
    return access


def require(request: HttpRequest, permission: str = "view") -> Access:
    """The caller's Access if it holds `permission`; 401 if anonymous, 403 if the role lacks it."""
    return check(request_access(request), permission)


def check(access: Access, permission: str) -> Access:
    """`access` if it holds `permission` (require() for a caller already known, as in geo.fastpath)."""
    if not access.authenticated:
        raise NotAuthenticated(AUTHENTICATE)
    if not access.can(permission):
        role = access.role or "no role"
        raise Forbidden(f"{access.username} ({role}) may not {PERMISSIONS.get(permission, permission)}")
    return access


def refuse_departments(access: Access, why: str) -> Access:
    """`access` unless it is a department account's; 403 with `why` (what it sees instead) if it is.

    For the paths a department account does not get at all (the unit-wide analysis, the grid workers'
    coverage): its figures are narrowed to the matters dispatched to it, and these cannot be."""
    if access.narrowed:
        raise Forbidden(f"{access.username}: {why}")
    return access


def public_layers() -> frozenset[str]:
    """Tile/export layers opened read-only to anonymous callers by GRIDMAP_PUBLIC_LAYERS (none by default)."""
    return frozenset(getattr(settings, "GRIDMAP_PUBLIC_LAYERS", ()))


def audit(access_or_user, action: str, *, target: str = "", detail: dict | None = None, rows: int | None = None,
          request: HttpRequest | None = None) -> AuditRecord:
    """Write one audit record. Call it inside the transaction of the audited change."""
    if isinstance(access_or_user, Access):
        user_id, username = access_or_user.user_id, access_or_user.username
    elif access_or_user is not None and getattr(access_or_user, "is_authenticated", False):
        user_id, username = access_or_user.pk, access_or_user.get_username()
    else:
        user_id, username = None, str(access_or_user or "")
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    return AuditRecord.objects.create(user_id=user_id, username=username, action=action, target=target,
                                      detail=detail or {}, rows=rows, ip=ip)


def audit_personal_read(access: Access, kind: str, ids: list, fields: list[str], *, target: str,
                        rows: int | None = None, request: HttpRequest | None = None) -> None:
    """One `personal_read` record for an answer that shows personal fields (an incident's reporter, a
    person, a patrol track, a visit's note): who read whose data, and when. The one rule every app
    follows: a caller without the personal-data right never gets the fields, so nothing is recorded for
    them, nor for an answer that holds no record. `ids` name the records read (detail[kind]); `rows`
    defaults to their number."""
    if access.personal_data and ids:
        audit(access, AuditRecord.Action.PERSONAL_READ, target=target, detail={kind: ids, "fields": list(fields)},
              rows=len(ids) if rows is None else rows, request=request)


def create_user(username: str, role: str, scope: str = "", password: str | None = None,
                personal_data: bool = False, department: str = "") -> tuple[object, str]:
    """Create (or update) a user with a role and scope (and, for department accounts, the department's
    code, checked by the caller against the departments); returns (user, new API token key)."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(Role.values)}")
    if (role == Role.DEPARTMENT) != bool(department):
        raise ValueError("a department account needs --department, and only a department account takes one")
    users = get_user_model()
    user, _ = users.objects.get_or_create(username=username)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.is_staff = role == Role.ADMINISTRATOR
    user.save()
    Profile.objects.update_or_create(user=user, defaults={"role": role, "scope": scope,
                                                          "personal_data": personal_data,
                                                          "department": department})
    return user, ApiToken.issue(user, label="created by add_user")


class TokenCsrfExemptMiddleware:
    """Requests that authenticate with an API token are not subject to CSRF checks.

    CSRF protects cookie sessions, which a browser attaches to any request on its own; an API token
    travels in a header or the URL and must be known to be sent, so a forged cross-site request cannot
    carry it. Without this, phones and scripts posting with a token would get Django's CSRF 403.
    Placed before CsrfViewMiddleware.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if token_from_request(request):
            request._dont_enforce_csrf_checks = True
        return self.get_response(request)

"""Gunicorn's logger with credentials removed: no API token, key or session ever reaches a log file.

Pages, tiles, OGC and wall screens take `?token=…` (map clients cannot set headers), Open311 takes
`api_key=…`, and gunicorn writes the request line, the Referer (a wall screen opened with ?token=
sends it with every tile) and, on an error, the URI verbatim. A log file is read by more people than
the tokens are meant for and kept for months, so every string gunicorn logs goes through `redact`:
the value of a credential parameter (plain or percent-encoded, as in `?next=/%3Ftoken%3D…`) becomes
`[redacted]`, and credential headers (Authorization, Cookie, …) are never written even when a custom
access-log format asks for them.

Used by geo/gunicorn.conf.py (`logger_class`); imports nothing from Django, because gunicorn's master
loads it before the application.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# Query parameters that carry a credential. `key` is deliberately included: 天地图 and many services
# call their key just that.
PARAMETERS = ("token", "access_token", "api_key", "apikey", "key", "tk", "password", "secret", "sessionid",
              "csrfmiddlewaretoken")
_PARAMETER = re.compile(
    r"(?i)((?:^|[?&;\s\"'/]|%3F|%26|%2F)(?:" + "|".join(PARAMETERS) + r")(?:=|%3D))"  # name= (maybe %-encoded)
    r"[^&\s\"';]*?(?=%26|&|;|\s|\"|'|$)")  # the value, up to the next parameter or the end
_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
                      "x-csrftoken", "http_authorization", "http_proxy_authorization", "http_cookie",
                      "http_x_api_key", "http_x_csrftoken"})


def redact(text: str) -> str:
    """The text with every credential parameter's value replaced (idempotent)."""
    return _PARAMETER.sub(lambda m: m.group(1) + REDACTED, text)


class _RedactingFilter(logging.Filter):
    """For the error log: gunicorn logs "Error handling request <uri>" with the query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RedactingLogger(Logger):
    """gunicorn.glogging.Logger whose access and error lines carry no credential (see the module)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        self.error_log.addFilter(_RedactingFilter())

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            key = name[1:-2] if name.startswith("{") else name  # "{authorization}i" → "authorization"
            if key.lower() in _HEADERS:
                atoms[name] = REDACTED
            elif isinstance(value, str):
                atoms[name] = redact(value)
        return atoms

"""Calling a WSGI application in a test as Django's test client calls Django: without the signals that
would close the test's database connection (and with it the test's transaction)."""

from __future__ import annotations

import io
from typing import Any

from django.core import signals
from django.db import close_old_connections


def call_wsgi(app, method: str, path: str, query: str = "", body: bytes = b"",
              **environ: Any) -> tuple[str, dict[str, str], bytes]:
    """(status line, headers, body) of `app` for one request; `environ` adds headers (HTTP_...) and the rest."""
    request = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "testserver",
               "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
               "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(), **environ}
    seen: dict[str, Any] = {}

    def start_response(status: str, header_list: list) -> None:
        seen["status"], seen["headers"] = status, dict(header_list)

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        content = b"".join(app(request, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return seen["status"], seen["headers"], content

"""A headless Chromium driven over the DevTools protocol, and a gunicorn serving Gridmap, for tests
and screenshots of the dashboards.

The DevTools protocol over a websocket (websocket-client) rather than `--dump-dom`: it sees console
errors, uncaught exceptions and every network response with its status, can log in through the real
login form, and takes screenshots of a logged-in page.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import websocket

from tests.support.served import free_port

ROOT = Path(__file__).resolve().parents[2]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-port=0"]


# Every request to a host other than the loopback fails, as on an intranet with no internet: names do not
# resolve, and a dead proxy catches what resolves without DNS (IP literals). Chromium never sends
# loopback requests through a proxy.
OFFLINE_FLAGS = ["--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]


class BrowserError(RuntimeError):
    """Chromium is missing, did not start, or a page did not settle."""


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise BrowserError("Chromium is not installed: the browser tests need Debian's `chromium` "
                       "(`make test` installs it via scripts/setup_system.sh; or apt-get install chromium)")


@dataclass
class PageLog:
    """What a page did: console errors, exceptions, and each response's URL and status."""

    errors: list[str] = field(default_factory=list)
    responses: dict[str, int] = field(default_factory=dict)  # url → status
    failed: list[str] = field(default_factory=list)
    pending: set[str] = field(default_factory=set)  # request ids in flight
    urls: dict[str, str] = field(default_factory=dict)  # request id → url, to name failed requests
    loaders: dict[str, str] = field(default_factory=dict)  # request id → the document (loader) that sent it
    loader: str = ""  # the document goto() opened; "" counts every request

    def in_flight(self) -> list[str]:
        """The URLs still loading for this page. A poll the previous page sent just as goto() navigated
        away is cancelled with that page, and DevTools may never report it: it is not this page's."""
        return sorted(self.urls.get(request, request) for request in self.pending
                      if not self.loader or self.loaders.get(request) == self.loader)


class Chromium:
    def __init__(self, width: int = 1600, height: int = 900, offline: bool = False) -> None:
        """offline: block every request that does not go to the loopback (see OFFLINE_FLAGS)."""
        self.profile = tempfile.mkdtemp(prefix="gridmap-chromium-")
        flags = [*FLAGS, *(OFFLINE_FLAGS if offline else [])]
        self.process = subprocess.Popen(
            [chromium_binary(), *flags, f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._ids = itertools.count(1)
        self.log = PageLog()
        self.ws = websocket.create_connection(self._page_socket(), timeout=30, suppress_origin=True)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)

    def _page_socket(self) -> str:
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrowserError(f"Chromium exited at start with status {self.process.returncode}")
            if port_file.exists() and port_file.read_text().strip():
                port = int(port_file.read_text().split()[0])
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                        targets = json.load(r)
                except (OSError, ValueError):
                    targets = []
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            time.sleep(0.1)
        raise BrowserError("Chromium did not open its DevTools port within 30 s")

    # -------------------------------------------------------------------------------- protocol

    def send(self, method: str, **params) -> dict:
        """Call a DevTools method and wait for its answer, recording the events that arrive meanwhile."""
        call_id = next(self._ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def _event(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.log.errors.append("console: " + " ".join(str(a.get("value", a.get("description", "")))
                                                          for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.log.errors.append("exception: " + str(details.get("exception", {}).get("description")
                                                       or details.get("text")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.log.errors.append(f"log: {entry.get('text')} {entry.get('url', '')}".strip())
        elif method == "Network.requestWillBeSent":
            self.log.pending.add(params["requestId"])
            self.log.urls[params["requestId"]] = params["request"]["url"]
            self.log.loaders[params["requestId"]] = params.get("loaderId", "")
        elif method == "Network.responseReceived":
            self.log.responses[params["response"]["url"]] = params["response"]["status"]
        elif method == "Network.loadingFinished":
            self.log.pending.discard(params["requestId"])
        elif method == "Network.loadingFailed":
            self.log.pending.discard(params["requestId"])
            if not params.get("canceled"):
                url = self.log.urls.get(params["requestId"], params["requestId"])
                self.log.failed.append(f"{params.get('errorText')} ({url})")

    def pump(self, seconds: float) -> None:
        """Record events for a while."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.ws.settimeout(left)
            try:
                self._event(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                break
        self.ws.settimeout(30)

    # ------------------------------------------------------------------------------- page helpers

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def goto(self, url: str, settle: float = 1.0, timeout: float = 30) -> None:
        """Open a page and wait until it has loaded and the network has been quiet for `settle` seconds."""
        self.log = PageLog()
        self.log.loader = self.send("Page.navigate", url=url).get("loaderId", "")
        self.wait_idle(settle, timeout)

    def wait_idle(self, settle: float = 1.0, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            self.pump(0.2)
            ready = self.evaluate("document.readyState") == "complete"
            if ready and not self.log.in_flight():
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle:
                    return
            else:
                quiet_since = None
        waiting = self.log.in_flight()
        raise BrowserError(f"page did not settle within {timeout} s; {len(waiting)} requests pending: {waiting}")

    def login(self, base: str, username: str, password: str, next_path: str = "/") -> None:
        """Log in through the real login form (the session cookie then rides on every request)."""
        self.goto(f"{base}/accounts/login/?next={next_path}")
        self.evaluate(f"""(function () {{
            document.getElementById('id_username').value = {json.dumps(username)};
            document.getElementById('id_password').value = {json.dumps(password)};
            document.querySelector('form').submit(); }})()""")
        self.pump(0.5)
        self.wait_idle()

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


class Server:
    """gunicorn serving Gridmap on a free loopback port, against the given database, with the configuration
    Gridmap is deployed with (geo/gunicorn.conf.py: gthread workers, preloaded, the redacting access log)."""

    def __init__(self, database_url: str, workers: int = 2) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.cache = tempfile.mkdtemp(prefix="gridmap-tilecache-")
        self.errors = open(Path(self.cache) / "gunicorn.log", "w+b")  # noqa: SIM115 - closed in close()
        env = {**os.environ, "DATABASE_URL": database_url, "GRIDMAP_TILE_CACHE_DIR": self.cache,
               "DJANGO_SETTINGS_MODULE": "tests.support.browser_settings"}
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "geo/gunicorn.conf.py", "geo.wsgi",
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=self.errors)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrowserError(f"gunicorn exited: {self.stderr()[-2000:]}")
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=2).close()
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.close()
        raise BrowserError("gunicorn did not answer /healthz within 30 s")

    def stderr(self) -> str:
        """What gunicorn and Django logged (tracebacks of server errors)."""
        self.errors.flush()
        return (Path(self.cache) / "gunicorn.log").read_text(errors="replace")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.errors.close()
        shutil.rmtree(self.cache, ignore_errors=True)


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for another process to reach the same database as this one."""
    from urllib.parse import quote

    user = quote(settings_dict["USER"] or "")
    password = f":{quote(settings_dict['PASSWORD'])}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    options = settings_dict.get("OPTIONS") or {}
    query = "?" + "&".join(f"{quote(str(k))}={quote(str(v))}" for k, v in options.items()) if options else ""
    return f"postgres://{user}{password}@{host}{port}/{settings_dict['NAME']}{query}"

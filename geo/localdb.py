"""A PostgreSQL + PostGIS cluster private to this checkout, so `make run` needs no configuration.

Why a helper at all: developers and CI start from a clean clone on a machine that may have nothing
set up, and the tests must run against a real PostGIS. The cluster lives under the git-ignored
`.data/`, listens on loopback only, on a port derived from the checkout's path (two checkouts on one
machine do not collide), and trusts local connections: it holds demo data, never production data.

`initdb` refuses to run as root, so when we are root the server runs as the unprivileged `postgres`
system user (created by Debian's postgresql-common). If that user cannot reach the checkout (a home
directory with mode 700, say), the data directory goes under /var/lib/gridmap/<hash> and `.data/server`
points there.

Layout: .data/server/{pg,run,postgres.log} (.data/server may be that link).

This module uses the standard library only: it runs before the virtualenv exists.

    python -m geo.localdb start    # initdb if needed, start, create the database; prints its URL
    python -m geo.localdb start --standby   # the same, plus a hot standby streaming from it (docs/scale.md)
    python -m geo.localdb stop     # stops the standby too
    python -m geo.localdb status
    python -m geo.localdb url      # (url --standby: the standby's)

The standby (`start --standby`) is a streaming-replication copy of the whole cluster in
.data/server/standby, on its own port (GRIDMAP_PG_STANDBY_PORT, or derived like the primary's), made
once by pg_basebackup through a physical replication slot, so that the primary keeps the WAL it has not
yet received; later starts only start it. It serves read-only queries (hot standby), as a production
read replica would: DATABASE_REPLICA_URL pointed at it routes tiles, dashboards, stats, exports and OGC
to it (geo/replica.py).
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
# Everything the server itself touches: a directory, or a link to one the service user can reach.
SERVER = DATA / "server"
PGDATA = SERVER / "pg"
SOCKET_DIR = SERVER / "run"
LOG = SERVER / "postgres.log"
STANDBY = SERVER / "standby"
STANDBY_LOG = SERVER / "standby.log"
SLOT = "gridmap_standby"
SUPERUSER = "gridmap"
SERVICE_USER = "postgres"

# Settings for a development/benchmark cluster on a 2-core, 24 GiB machine. synchronous_commit is
# off because this cluster holds regenerable demo data; jit is off because it slows short tile and
# lookup queries far more than it helps the few long ones.
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "100",
    "shared_buffers": "'1GB'",
    "work_mem": "'64MB'",
    "maintenance_work_mem": "'512MB'",
    "effective_cache_size": "'8GB'",
    "max_wal_size": "'4GB'",
    "synchronous_commit": "off",
    "jit": "off",
    "random_page_cost": "1.1",
    "max_parallel_workers_per_gather": "1",
    "timezone": "'UTC'",
    "log_min_duration_statement": "2000",
    # Streaming replication to the local standby (the first three are PostgreSQL 15's defaults, written
    # down because the standby depends on them). A slot keeps WAL for a stopped standby, but never more
    # than max_slot_wal_keep_size: past that the slot is lost and `start --standby` clones it again,
    # rather than the disk filling up under a standby nobody restarts.
    "wal_level": "replica",
    "max_wal_senders": "10",
    "hot_standby": "on",
    "max_slot_wal_keep_size": "'8GB'",
    # On a standby: report the oldest snapshot in use, so that vacuum on the primary does not remove
    # rows a long export is still reading (which would cancel the export); ignored on the primary.
    "hot_standby_feedback": "on",
}


class LocalDbError(RuntimeError):
    """A problem a person can act on; printed without a traceback."""


def port() -> int:
    """The cluster's port: GRIDMAP_PG_PORT, or a stable value derived from the checkout path."""
    if os.environ.get("GRIDMAP_PG_PORT"):
        return int(os.environ["GRIDMAP_PG_PORT"])
    digest = hashlib.sha1(str(ROOT).encode()).hexdigest()
    return 55000 + int(digest[:6], 16) % 900


def standby_port() -> int:
    """The standby's port: GRIDMAP_PG_STANDBY_PORT, or derived from the checkout path as the primary's is, in
    a range of its own (56000-56899), so it collides with no checkout's primary."""
    if os.environ.get("GRIDMAP_PG_STANDBY_PORT"):
        return int(os.environ["GRIDMAP_PG_STANDBY_PORT"])
    return port() - 55000 + 56000


def standby_url() -> str:
    return f"postgres://{SUPERUSER}@127.0.0.1:{standby_port()}/{database_name()}"


def database_name() -> str:
    return os.environ.get("GRIDMAP_DB_NAME", "gridmap")


def url() -> str:
    return f"postgres://{SUPERUSER}@127.0.0.1:{port()}/{database_name()}"


def _bindir() -> Path:
    """The newest PostgreSQL server binaries: Debian keeps them off PATH, under /usr/lib/postgresql."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version_key)
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise LocalDbError(
        "PostgreSQL server binaries not found. Run `bash scripts/setup_system.sh` as root, or "
        "install postgresql-15 and postgresql-15-postgis-3."
    )


def _version_key(path: str) -> tuple[int, ...]:
    part = path.split("/")[4]
    return tuple(int(x) for x in part.split(".") if x.isdigit())


def _as_root() -> bool:
    return os.geteuid() == 0


def _run(cmd: list[str], *, check: bool = True, quiet: bool = False) -> subprocess.CompletedProcess:
    """Run a server command, as the service user when we are root (postgres refuses root)."""
    if _as_root():
        cmd = ["runuser", "-u", SERVICE_USER, "--", *cmd]
    # cwd "/": the service user may not be able to enter the caller's directory.
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise LocalDbError(f"`{' '.join(cmd)}` failed:\n{detail}")
    if not quiet and proc.stdout.strip():
        print(proc.stdout.strip())
    return proc


def _service_user_can_reach(path: Path) -> bool:
    proc = subprocess.run(["runuser", "-u", SERVICE_USER, "--", "test", "-x", str(path)], capture_output=True)
    return proc.returncode == 0


def _prepare_directories() -> None:
    DATA.mkdir(exist_ok=True)
    if not _as_root():
        for path in (SERVER, PGDATA, SOCKET_DIR):
            path.mkdir(exist_ok=True)
        LOG.touch()
        return
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError as exc:
        raise LocalDbError(
            f"Running as root, but there is no `{SERVICE_USER}` system user to run the server as. "
            "Install postgresql-common (bash scripts/setup_system.sh) or run as a normal user."
        ) from exc
    if not SERVER.exists():
        if _service_user_can_reach(DATA):
            SERVER.mkdir()
        else:
            # The checkout is not traversable by the service user (e.g. under /root): keep the
            # server's files where it can reach them, keyed by the checkout's path.
            outside = Path("/var/lib/gridmap") / hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]
            outside.mkdir(parents=True, exist_ok=True)
            SERVER.symlink_to(outside)
    server = SERVER.resolve()
    os.chown(server, entry.pw_uid, entry.pw_gid)
    for path in (PGDATA, SOCKET_DIR):
        path.mkdir(exist_ok=True)
        os.chown(path.resolve(), entry.pw_uid, entry.pw_gid)
    LOG.touch()
    os.chown(LOG, entry.pw_uid, entry.pw_gid)


def _initdb(bindir: Path) -> None:
    if (PGDATA / "PG_VERSION").exists():
        return
    print(f"==> initdb {PGDATA}")
    _run(
        [str(bindir / "initdb"), "-D", str(PGDATA.resolve()), "-U", SUPERUSER, "--auth=trust",
         "-E", "UTF8", "--no-locale"],
        quiet=True,
    )


def _write_config(pgdata: Path = PGDATA, server_port: int | None = None) -> None:
    """Write our settings to an included file, rewritten each start so a port change takes effect."""
    settings = dict(SERVER_SETTINGS)
    settings["port"] = str(server_port or port())
    settings["unix_socket_directories"] = f"'{SOCKET_DIR.resolve()}'"
    conf = pgdata / "gridmap.conf"
    content = "".join(f"{k} = {v}\n" for k, v in settings.items())
    if not conf.exists() or conf.read_text() != content:
        _write_as_service_user(conf, content)
    main_conf = pgdata / "postgresql.conf"
    if "include_if_exists = 'gridmap.conf'" not in main_conf.read_text():
        _write_as_service_user(main_conf, main_conf.read_text() + "\ninclude_if_exists = 'gridmap.conf'\n")


def _write_as_service_user(path: Path, content: str) -> None:
    path.write_text(content)
    if _as_root():
        entry = pwd.getpwnam(SERVICE_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def running(pgdata: Path = PGDATA) -> bool:
    bindir = _bindir()
    if not (pgdata / "PG_VERSION").exists():
        return False
    status = _run([str(bindir / "pg_ctl"), "-D", str(pgdata.resolve()), "status"], check=False, quiet=True)
    return status.returncode == 0


def _psql(sql: str, database: str = "postgres", server_port: int | None = None) -> str:
    psql = shutil.which("psql") or str(_bindir() / "psql")
    proc = subprocess.run(
        [psql, "-h", "127.0.0.1", "-p", str(server_port or port()), "-U", SUPERUSER, "-d", database,
         "-v", "ON_ERROR_STOP=1", "-tAc", sql],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise LocalDbError(f"psql failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def check_null_device(path: str = "/dev/null") -> None:
    """initdb and the server write to /dev/null; if something replaced it with a regular file (a root
    process renaming a file over it), they fail with a cryptic "Permission denied". Say so plainly."""
    if not stat.S_ISCHR(os.stat(path).st_mode):
        raise LocalDbError(
            f"{path} is not the null device (something replaced it with a file). As root, restore it: "
            f"rm {path} && mknod -m 666 {path} c 1 3"
        )


def start(standby: bool = False) -> None:
    check_null_device()
    bindir = _bindir()
    _prepare_directories()
    _initdb(bindir)
    _write_config()
    if not running():
        print(f"==> starting PostgreSQL on 127.0.0.1:{port()} (log: {LOG})")
        _pg_start(bindir, PGDATA, LOG)
    _wait_ready()
    ensure_database(database_name())
    if standby:
        start_standby()


def _pg_start(bindir: Path, pgdata: Path, log: Path) -> None:
    proc = _run(
        [str(bindir / "pg_ctl"), "-D", str(pgdata.resolve()), "-l", str(log.resolve()), "-w", "-t", "60", "start"],
        check=False, quiet=True,
    )
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:] if log.exists() else []
        raise LocalDbError("PostgreSQL did not start.\n" + (proc.stderr or proc.stdout).strip()
                           + "\nLast lines of its log:\n" + "\n".join(tail))


def _wait_ready(timeout: float = 30, server_port: int | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _psql("select 1", server_port=server_port)
            return
        except LocalDbError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _system_identifier(pgdata: Path) -> str | None:
    """The cluster's system identifier (pg_controldata): a standby cloned from another incarnation of the
    primary (after `make clean-data`, say) has a different one and cannot follow it."""
    proc = _run([str(_bindir() / "pg_controldata"), "-D", str(pgdata.resolve())], check=False, quiet=True)
    for line in proc.stdout.splitlines():
        if line.startswith("Database system identifier:"):
            return line.split(":", 1)[1].strip()
    return None


def _standby_is_stale() -> str | None:
    """Why the standby's directory cannot be started as it is (None when it can)."""
    if not (STANDBY / "PG_VERSION").exists():
        return "no standby yet"
    if _system_identifier(STANDBY) != _system_identifier(PGDATA):
        return "it was cloned from an earlier incarnation of the primary"
    status = _psql(f"select wal_status from pg_replication_slots where slot_name = '{SLOT}'")
    if status in ("", "lost"):
        state = "gone" if not status else "lost (WAL it needed was removed)"
        return f"the primary's replication slot {SLOT} is {state}"
    return None


def start_standby() -> None:
    """Start the hot standby of the running primary, cloning it first if there is none (or it cannot follow).

    Idempotent: a running standby is only checked; a stopped one starts in a second or two; a clone
    (pg_basebackup, streaming the WAL written meanwhile) copies the whole cluster once.
    """
    bindir = _bindir()
    if running(STANDBY):
        _wait_ready(server_port=standby_port())
        _catch_up()
        return
    reason = _standby_is_stale()
    if reason is not None:
        _clone_standby(bindir, reason)
    _write_config(STANDBY, standby_port())
    print(f"==> starting the standby on 127.0.0.1:{standby_port()} (log: {STANDBY_LOG})")
    if _as_root():
        STANDBY_LOG.touch()
        shutil.chown(STANDBY_LOG, SERVICE_USER, SERVICE_USER)
    _pg_start(bindir, STANDBY, STANDBY_LOG)
    _wait_ready(60, server_port=standby_port())
    _catch_up()


def _catch_up(timeout: float = 900) -> None:
    """Wait until the standby has replayed what the primary had written when it was asked. A standby that
    stayed stopped while the primary wrote (a test database created and migrated since) starts behind, by
    gigabytes after a benchmark's load; whoever starts it expects the copy it asked for, not one that is
    still replaying (the replica tests give a running standby seconds to catch up). Says how far behind it
    is, and resumes a replay left paused by a stopped test session."""
    target = _psql("select pg_current_wal_insert_lsn()")
    standby = standby_port()
    if _psql("select pg_is_wal_replay_paused()", server_port=standby) == "t":
        _psql("select pg_wal_replay_resume()", server_port=standby)
    behind = int(_psql(f"select greatest(0, pg_wal_lsn_diff('{target}', pg_last_wal_replay_lsn()))",
                       server_port=standby) or 0)
    if behind == 0:
        return
    print(f"==> the standby replays {behind / 2**20:,.0f} MB of WAL written while it was stopped")
    deadline = time.monotonic() + timeout
    while _psql(f"select pg_last_wal_replay_lsn() >= '{target}'::pg_lsn", server_port=standby) != "t":
        if time.monotonic() > deadline:
            raise LocalDbError(f"the standby did not catch up within {timeout:.0f} s (log: {STANDBY_LOG})")
        time.sleep(0.5)


def _clone_standby(bindir: Path, reason: str) -> None:
    print(f"==> cloning the standby from the primary with pg_basebackup ({reason})")
    if STANDBY.exists():
        _run(["rm", "-rf", str(STANDBY.resolve())])
    exists = _psql(f"select count(*) from pg_replication_slots where slot_name = '{SLOT}'")
    if exists != "0":
        _psql(f"select pg_drop_replication_slot('{SLOT}')")
    # -C -S: pg_basebackup creates the slot and streams the WAL of the copy through it, so no WAL the
    # standby needs is removed between the copy and its first connection. -R writes standby.signal and
    # primary_conninfo/primary_slot_name. The data directory copy includes gridmap.conf, rewritten below.
    _run([str(bindir / "pg_basebackup"), "-D", str(STANDBY.resolve()),
          "-h", "127.0.0.1", "-p", str(port()), "-U", SUPERUSER, "-X", "stream", "-C", "-S", SLOT, "-R",
          "-c", "fast"], quiet=True)


def stop_standby() -> None:
    if running(STANDBY):
        _run([str(_bindir() / "pg_ctl"), "-D", str(STANDBY.resolve()), "-m", "fast", "-w", "stop"])


def ensure_database(name: str) -> None:
    """Create the database and its PostGIS extension if missing (idempotent)."""
    if not _psql(f"select 1 from pg_database where datname = '{name}'"):
        print(f"==> creating database {name}")
        _psql(f'create database "{name}"')
    try:
        _psql("create extension if not exists postgis", database=name)
    except LocalDbError as exc:
        raise LocalDbError(
            f"{exc}\nIs PostGIS installed? Run `bash scripts/setup_system.sh` as root "
            "(it installs postgresql-15-postgis-3)."
        ) from exc


def stop() -> None:
    stop_standby()
    if not running():
        print("local PostgreSQL is not running")
        return
    _run([str(_bindir() / "pg_ctl"), "-D", str(PGDATA.resolve()), "-m", "fast", "-w", "stop"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TemporaryCluster:
    """A throwaway cluster in a temporary directory, on a free port, with an empty PostGIS database:
    for a test or a benchmark that stops PostgreSQL under a running app without touching the checkout's
    cluster (whose test database the rest of a pytest session is using). A context manager: it is
    stopped and deleted on exit."""

    def __init__(self, database: str = "gridmap") -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="gridmap-cluster-", dir="/tmp"))
        if _as_root():  # the server runs as the service user, who must own its directory
            shutil.chown(self.directory, SERVICE_USER, SERVICE_USER)
        self.port = _free_port()
        self.database = database
        self.pgdata = self.directory / "pg"

    @property
    def url(self) -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{self.database}"

    def __enter__(self) -> TemporaryCluster:
        _run([str(_bindir() / "initdb"), "-D", str(self.pgdata), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
              "--no-locale"], quiet=True)
        self.start()
        self.psql(f'create database "{self.database}"', database="postgres")
        self.psql("create extension postgis")
        return self

    def __exit__(self, *exc) -> None:
        if self.standby_port is not None:
            self._pg_ctl("-m", "immediate", "stop", check=False, pgdata=self.directory / "standby")
        self._pg_ctl("-m", "immediate", "stop", check=False)
        shutil.rmtree(self.directory, ignore_errors=True)

    standby_port: int | None = None

    @property
    def standby_url(self) -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.standby_port}/{self.database}"

    def start_standby(self) -> None:
        """A hot standby of this cluster on another free port, cloned as `start --standby` clones the
        checkout's (pg_basebackup through a replication slot), or restarted if it exists."""
        standby = self.directory / "standby"
        if self.standby_port is None:
            self.standby_port = _free_port()
            _run([str(_bindir() / "pg_basebackup"), "-D", str(standby), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", SUPERUSER, "-X", "stream", "-C", "-S", SLOT, "-R", "-c", "fast"], quiet=True)
        options = (f"-p {self.standby_port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                   "-c shared_buffers=64MB -c max_connections=50 -c hot_standby_feedback=on")
        self._pg_ctl("-l", str(self.directory / "standby.log"), "-o", options, "-w", "-t", "60", "start",
                     pgdata=standby)

    def stop_standby(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop", pgdata=self.directory / "standby")

    def standby_psql(self, sql: str) -> str:
        return self.psql(sql, server_port=self.standby_port)

    def _pg_ctl(self, *args: str, check: bool = True, pgdata: Path | None = None) -> None:
        _run([str(_bindir() / "pg_ctl"), "-D", str(pgdata or self.pgdata), *args], check=check, quiet=True)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c shared_buffers=64MB "
                   "-c fsync=off -c synchronous_commit=off -c timezone=UTC -c max_connections=50")
        self._pg_ctl("-l", str(self.directory / "postgres.log"), "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        """A fast shutdown, as for maintenance: open connections are terminated."""
        self._pg_ctl("-m", "fast", "-w", "stop")

    def psql(self, sql: str, database: str | None = None, server_port: int | None = None) -> str:
        psql = shutil.which("psql") or str(_bindir() / "psql")
        proc = subprocess.run([psql, "-h", "127.0.0.1", "-p", str(server_port or self.port), "-U", SUPERUSER, "-d",
                               database or self.database, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise LocalDbError(f"psql failed: {proc.stderr.strip()}")
        return proc.stdout.strip()


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    with_standby = "--standby" in argv[2:]
    try:
        if command == "start":
            start(standby=with_standby)
            print(standby_url() if with_standby else url())
        elif command == "stop":
            stop()
        elif command == "status":
            print(f"{'running' if running() else 'stopped'}: {url()}")
            if (STANDBY / "PG_VERSION").exists():
                print(f"standby {'running' if running(STANDBY) else 'stopped'}: {standby_url()}")
        elif command == "url":
            print(standby_url() if with_standby else url())
        else:
            print(__doc__)
            return 2
    except LocalDbError as exc:
        print(f"gridmap localdb: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

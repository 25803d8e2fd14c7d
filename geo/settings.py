"""Gridmap settings, read once from the environment; every setting has a working default.

With no DATABASE_URL the project uses the checkout's private cluster (geo/localdb.py).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from urllib.parse import urlparse

from geo import localdb

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _database_from_url(url: str) -> dict:
    """postgres://user:password@host:port/name?option=value into Django's DATABASES entry.

    dj-database-url keeps the query string as OPTIONS, which psycopg passes to libpq: a managed
    PostgreSQL that wants `?sslmode=require` (or `connect_timeout`, `sslrootcert`, `options=-c ...`)
    gets it, instead of a connection attempt that silently drops it.
    """
    import dj_database_url  # here, not at the top: geo.localdb (standard library only) imports nothing else

    scheme = urlparse(url).scheme
    if scheme not in {"postgres", "postgresql", "postgis"}:
        raise ValueError(f"DATABASE_URL must be a postgres:// URL, got scheme {scheme!r}")
    config = dj_database_url.parse(
        url,
        engine="django.contrib.gis.db.backends.postgis",
        # Persistent connections: a tile request should not pay a connection set-up.
        conn_max_age=int(os.environ.get("GRIDMAP_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    config["NAME"] = config.get("NAME") or "gridmap"
    config["PORT"] = str(config.get("PORT") or "")
    config["TEST"] = {"NAME": os.environ.get("GRIDMAP_TEST_DB_NAME") or None}
    return config


# Development default so that `make run` works with no configuration; set it in production.
SECRET_KEY = os.environ.get("GRIDMAP_SECRET_KEY", "gridmap-insecure-development-key-change-me")
# Off unless asked for: error pages must not leak settings on a real server.
DEBUG = _env_bool("GRIDMAP_DEBUG", False)
ALLOWED_HOSTS = _env_list("GRIDMAP_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
# Where the private cluster lives unless DATABASE_URL points elsewhere (docker-compose does).
DATABASE_URL = os.environ.get("DATABASE_URL") or localdb.url()
DATABASES = {"default": _database_from_url(DATABASE_URL)}
# A streaming-replication hot standby of that database (docs/scale.md; `python -m geo.localdb start --standby`
# starts one beside the private cluster): tiles, dashboards, stats, exports and OGC read from it, writes and
# read-after-write stay on the primary (geo/replica.py). Unset: everything is on the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = _database_from_url(DATABASE_REPLICA_URL)
    # Tests: the standby replicates the whole cluster, test database included: same name, no database of its own.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["geo.replica.ReplicaRouter"]
# The lag guard: the standby serves reads only while at most this many seconds behind the primary (seconds,
# fractions allowed), looked at no more often than every GRIDMAP_REPLICA_CHECK_SECONDS per process.
GRIDMAP_REPLICA_MAX_LAG = float(os.environ.get("GRIDMAP_REPLICA_MAX_LAG", "5"))
GRIDMAP_REPLICA_CHECK_SECONDS = float(os.environ.get("GRIDMAP_REPLICA_CHECK_SECONDS", "1"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "geo",
    "grids",
    "layers",
    "layers.dashboards",
    "tiles",
    "people",
    "fixtures",
    "analysis",
    "reports",
    "field",
    "addresses",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Host, NUL/surrogates, dates, numbers, JSON depth: refused here before any domain code (geo/screen.py).
    "geo.screen.ScreenMiddleware",
    # GET/HEAD on tiles, dashboards, stats, exports and OGC may read from the standby (geo/replica.py).
    "geo.replica.ReadRouting",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "geo.i18n.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "geo.access.TokenCsrfExemptMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "geo.errors.JsonErrorMiddleware",
]

ROOT_URLCONF = "geo.urls"
WSGI_APPLICATION = "geo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Interface text is Chinese first: pages, admin labels and API error messages come from gettext catalogues
# (locale/, `make messages`); ?lang=en switches a browser to English and a cookie remembers it (geo/i18n.py).
LANGUAGE_CODE = os.environ.get("GRIDMAP_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "gridmap_language"
# Stored times are UTC; shown in China Standard Time, the time the centers work in.
TIME_ZONE = os.environ.get("GRIDMAP_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise warns at every start until collectstatic has run (make run runs it); not worth the noise.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Payload limit for API bodies (a drawn boundary with many vertices fits; a runaway upload does not).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("GRIDMAP_MAX_BODY_BYTES", str(5 * 1024 * 1024)))

# Secure defaults for cookies and headers; GRIDMAP_HTTPS=1 behind TLS turns on the HTTPS-only ones.
GRIDMAP_HTTPS = _env_bool("GRIDMAP_HTTPS", False)
SESSION_COOKIE_SECURE = GRIDMAP_HTTPS
CSRF_COOKIE_SECURE = GRIDMAP_HTTPS
CSRF_FAILURE_VIEW = "geo.errors.csrf_failure"  # JSON for API paths, 401 for callers with no credentials
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRIDMAP_LOG_LEVEL", "WARNING")},
}


# Debian 12 ships GDAL 3.6, older than the 3.9 Django wants for blocking file/network access in
# spatial-reference strings. Gridmap only ever passes integer EPSG codes to GDAL (geo/crs.py), never
# user-supplied SRS text, so the risk the check warns of does not arise.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Seconds a client is told to wait (Retry-After) when the database does not answer (a 503).
GRIDMAP_RETRY_AFTER = int(os.environ.get("GRIDMAP_RETRY_AFTER", "5"))

# Tile/export layers anonymous callers may read (comma-separated, e.g. "grids"); none by default:
# anonymous access is off everywhere except /healthz.
GRIDMAP_PUBLIC_LAYERS = _env_list("GRIDMAP_PUBLIC_LAYERS", "")
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# Tile cache: on by default; GRIDMAP_TILE_CACHE=0 turns it off (benchmarks of cold tiles do).
GRIDMAP_TILE_CACHE = _env_bool("GRIDMAP_TILE_CACHE", True)
GRIDMAP_TILE_CACHE_DIR = os.environ.get("GRIDMAP_TILE_CACHE_DIR", str(BASE_DIR / ".data" / "tilecache"))
GRIDMAP_TILE_CACHE_MAX_MB = int(os.environ.get("GRIDMAP_TILE_CACHE_MAX_MB", "2048"))

# Requests per window for expensive endpoints: bucket -> (count, seconds), per user (or IP if anonymous).
# export: /api/export/ and the export_layer command's HTTP twin. bulk: the area-wide computations over HTTP
# ("bulk lookups" when this was written; point lookups in bulk are the locate_points command, which needs
# shell access and is not limited): the coverage check of an area, /api/areas/<code>/check.
# login: attempts to log in (the login page and the admin's) per user name and address.
GRIDMAP_RATE_LIMITS = {
    "export": (int(os.environ.get("GRIDMAP_EXPORT_RATE", "30")), 60),
    "bulk": (int(os.environ.get("GRIDMAP_BULK_RATE", "10")), 60),
    "login": (int(os.environ.get("GRIDMAP_LOGIN_RATE", "10")), 300),
}

# Likely duplicates on intake (domain.md, FixMyStreet's lesson): a report of the same class within this
# many metres and days of an earlier one is linked to it (duplicate_of), never dropped.
GRIDMAP_DUPLICATE_RADIUS_M = float(os.environ.get("GRIDMAP_DUPLICATE_RADIUS_M", "50"))
GRIDMAP_DUPLICATE_DAYS = float(os.environ.get("GRIDMAP_DUPLICATE_DAYS", "7"))

# Dashboards' basemap: none (outlines and labels only; works on any intranet), osm or tianditu (both need the
# internet at view time, which is the deployment's choice).
# People (issue 18): the key of identity-number hashes and ciphertexts (people/identity.py; set it in
# production: changing it means re-keying every person), and the key-group count below which users
# without the personal-data right read "< N" instead of the number.
GRIDMAP_PERSONAL_KEY = os.environ.get("GRIDMAP_PERSONAL_KEY", "")
GRIDMAP_KEY_GROUP_THRESHOLD = int(os.environ.get("GRIDMAP_KEY_GROUP_THRESHOLD", "5"))

GRIDMAP_BASEMAP = os.environ.get("GRIDMAP_BASEMAP", "none").strip().lower()
# 天地图 key (https://console.tianditu.gov.cn), required by GRIDMAP_BASEMAP=tianditu.
GRIDMAP_TIANDITU_KEY = os.environ.get("GRIDMAP_TIANDITU_KEY", "")
# On by default: dashboards serve every JS/CSS file themselves, because intranets have no CDN and a page
# missing Leaflet shows nothing at all; 0 loads the same pinned versions from public CDNs instead.
GRIDMAP_OFFLINE_ASSETS = _env_bool("GRIDMAP_OFFLINE_ASSETS", True)

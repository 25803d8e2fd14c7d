"""Gunicorn as Gridmap is served: `make run`, the Dockerfile and the docs all use this file
(`gunicorn -c geo/gunicorn.conf.py geo.wsgi`). Command-line options override it (`make run` passes
--bind and --workers); the environment variables below set it without a command line (Docker).

Why each choice (README "Deployment", figures from bench/concurrency):
- gthread workers: an export streams for tens of seconds (a GeoPackage of 1M incidents ~48 s); a
  sync worker is gone for that long, so four analysts exporting stall every tile and every intake.
  A thread per request keeps the other threads of each worker answering tiles and intake meanwhile.
- timeout: with gthread it is the time a worker may stop answering the master's heartbeat, not a
  limit on a request (threads keep streaming). Generous anyway, so that a sync or overloaded worker
  is not killed in the middle of the longest export.
- recycling: each worker restarts after max_requests (± jitter, so that they do not all restart at
  once), which bounds the memory a long-lived Python process slowly accumulates; graceful_timeout lets
  an export in flight finish first.
- the access log goes through geo.accesslog.RedactingLogger: no `?token=`, `api_key=` or
  Authorization header is ever written.
"""

import os

bind = os.environ.get("GRIDMAP_BIND", "127.0.0.1:8000")
# 2 cores: 4 processes keep both busy while some wait on PostgreSQL; threads serve the slow requests.
workers = int(os.environ.get("GRIDMAP_WORKERS", "4"))
worker_class = "gthread"
threads = int(os.environ.get("GRIDMAP_THREADS", "8"))
# Import Django, folium and GDAL once in the master; workers (and recycled workers) fork ready to serve.
preload_app = True

timeout = int(os.environ.get("GRIDMAP_TIMEOUT", "300"))
graceful_timeout = timeout
keepalive = 5  # behind a reverse proxy that reuses connections

max_requests = int(os.environ.get("GRIDMAP_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10

accesslog = os.environ.get("GRIDMAP_ACCESS_LOG", "-")
# Apache's combined format plus the time taken in ms (%(M)s); geo.accesslog redacts every field.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
logger_class = "geo.accesslog.RedactingLogger"

# Gridmap web app. The database is a separate PostGIS service (see docker-compose.yml).
# tests/geo/test_deploy.py builds the file tree exactly as the COPY lines below copy it (from the files git
# tracks, minus .dockerignore) and serves the login page, a static file and a tile from it.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends gdal-bin libgdal32 libgeos-c1v5 libproj25 proj-data postgresql-client \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY geo geo
COPY grids grids
COPY layers layers
COPY tiles tiles
COPY fixtures fixtures
# The Chinese interface text (gettext catalogues, compiled): without it every page and error is English.
COPY locale locale
COPY templates templates
COPY manage.py ./
RUN pip install --no-cache-dir -e .
ENV DJANGO_SETTINGS_MODULE=geo.settings PYTHONUNBUFFERED=1 GRIDMAP_BIND=0.0.0.0:8000
# Static files (every vendored JS/CSS: the pages load nothing from the internet) are part of the image.
RUN python manage.py collectstatic --noinput -v0
# Not root: the app writes only its tile cache and the first admin password, both under /app/.data.
RUN useradd --system --home-dir /app gridmap && mkdir -p /app/.data && chown gridmap /app/.data
USER gridmap
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
# The same demo county as `make run`, and the same gunicorn configuration (geo/gunicorn.conf.py).
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py load_demo --scenario jiyuan --scale 0.05 --incidents 20000 --if-empty && python manage.py ensure_admin && exec gunicorn -c geo/gunicorn.conf.py geo.wsgi"]

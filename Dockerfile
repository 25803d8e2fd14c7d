# Gridmap web app. The database is a separate PostGIS service (see docker-compose.yml).
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
COPY manage.py ./
RUN pip install --no-cache-dir -e .
ENV DJANGO_SETTINGS_MODULE=geo.settings PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py load_demo --if-empty && python manage.py ensure_admin && python manage.py collectstatic --noinput -v0 && exec gunicorn geo.wsgi --bind 0.0.0.0:8000 --workers 4 --access-logfile -"]

"""WSGI entry point (gunicorn geo.wsgi): Django, behind the tile fast path for token requests."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
django_application = get_wsgi_application()

from tiles.fastpath import TileFastPath  # noqa: E402  (needs Django set up first)

application = TileFastPath(django_application)

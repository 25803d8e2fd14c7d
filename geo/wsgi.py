"""WSGI entry point (gunicorn geo.wsgi): Django, behind the fast path for token tile and intake requests.

The routes are those the apps registered when Django set them up (geo.fastpath.register).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
django_application = get_wsgi_application()

from geo import warm  # noqa: E402
from geo.fastpath import FastPath, registered  # noqa: E402

warm.run()  # before the first request (geo/warm.py); in gunicorn's master, before the workers fork

application = FastPath(django_application, registered())

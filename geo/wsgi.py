"""WSGI entry point (gunicorn geo.wsgi): Django, behind the fast path for token tile and intake requests."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
django_application = get_wsgi_application()

# Imported after Django is set up (they import models).
from geo.fastpath import FastPath  # noqa: E402
from layers import fastpath as layers_fastpath  # noqa: E402
from tiles import fastpath as tiles_fastpath  # noqa: E402

application = FastPath(django_application, [*tiles_fastpath.ROUTES, *layers_fastpath.ROUTES])

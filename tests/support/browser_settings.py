"""Settings for the gunicorn the browser tests start: Gridmap's own, serving static files straight from
the apps' directories (WhiteNoise's finders), so the tests need no collectstatic into the checkout."""

from geo.settings import *  # noqa: F403

WHITENOISE_USE_FINDERS = True

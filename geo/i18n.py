"""Which language a request is answered in: zh-Hans by default, English on request.

Django's gettext catalogues carry the text (locale/zh_Hans/LC_MESSAGES/django.po, the source strings
are English; `make messages` updates and compiles them). The language is chosen, in this order, by
`?lang=en` (or `?lang=zh-hans`; remembered in a cookie for the next pages), the language cookie, and
settings.LANGUAGE_CODE (GRIDMAP_LANGUAGE). The browser's Accept-Language is not consulted: a center's
wall screens and terminals show the language the deployment chose, whatever the browser was set up
with, and an API client gets the same messages whatever its HTTP library sends.

Used by LanguageMiddleware for Django's views and by the fast path (geo/fastpath.py), so an error
reads the same whichever door the request came in by.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

# ?lang= values and what they mean (a few spellings people type).
ALIASES = {"zh-hans": "zh-hans", "zh_hans": "zh-hans", "zh-cn": "zh-hans", "zh": "zh-hans", "en": "en",
           "en-us": "en", "en-gb": "en"}
COOKIE_AGE = 365 * 24 * 3600


def supported() -> set[str]:
    return {code for code, _ in settings.LANGUAGES}


def default() -> str:
    code = ALIASES.get(settings.LANGUAGE_CODE.lower(), settings.LANGUAGE_CODE.lower())
    return code if code in supported() else "zh-hans"


def normalize(value: str | None) -> str | None:
    """A supported language code for a ?lang= or cookie value, or None."""
    if not value:
        return None
    code = ALIASES.get(value.strip().lower())
    return code if code in supported() else None


def choose(asked: str | None, cookie: str | None) -> str:
    return normalize(asked) or normalize(cookie) or default()


def from_environ(environ: dict, params: dict) -> str:
    """The language of a WSGI request the fast path serves (no Django request object there)."""
    cookie = None
    raw = environ.get("HTTP_COOKIE")
    if raw:
        try:
            morsel = SimpleCookie(raw).get(settings.LANGUAGE_COOKIE_NAME)
            cookie = morsel.value if morsel else None
        except CookieError:
            cookie = None
    return choose(params.get("lang"), cookie)


class LanguageMiddleware:
    """Activate the request's language (see the module's docstring) and remember a ?lang= choice."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        asked = normalize(request.GET.get("lang"))
        language = asked or choose(None, request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()
        if asked and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != asked:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, asked, max_age=COOKIE_AGE, samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE, httponly=True)
        response.headers.setdefault("Content-Language", language)
        return response

"""Languages: zh-Hans by default from Django's catalogues, English with ?lang=en (remembered in a cookie),
for pages, admin labels and API errors, through Django's views and the fast path alike."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from geo.access import clear_token_cache, create_user
from geo.fastpath import FastPath
from geo.models import Role
from geo.wsgi import application
from layers.dashboards import i18n as dashboards_i18n
from tests.support.wsgi import call_wsgi


@pytest.fixture(autouse=True)
def _chinese_by_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"  # GRIDMAP_LANGUAGE's default; conftest pins English for the other tests


@pytest.fixture
def token(db):
    clear_token_cache()
    return create_user("reporter", "operator", "")[1]


def test_api_errors_are_chinese_by_default_and_english_on_request(client, token):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    chinese = client.get("/api/areas?level=planet", **auth)
    assert chinese.status_code == 400 and chinese["Content-Language"] == "zh-hans"
    assert chinese.json()["error"]["message"] == ("level：未知层级 'planet'；请用 1-5 或 "
                                                  "province, city, county, township, village, grid, dedicated")
    english = client.get("/api/areas?level=planet&lang=en", **auth)
    assert english.json()["error"]["message"].startswith("level: unknown level 'planet'")
    assert english.cookies["gridmap_language"].value == "en"
    # The cookie carries the choice to the next request.
    assert client.get("/api/areas?level=planet", **auth).json()["error"]["message"].startswith("level: unknown")


def test_anonymous_and_unknown_paths_answer_in_the_language(client, db):
    assert client.get("/api/me").json()["error"]["message"].startswith("请登录")
    assert client.get("/api/nothing").json()["error"]["message"].startswith("没有此路径")
    assert client.get("/api/me?lang=en").json()["error"]["message"].startswith("log in")


def test_the_fast_path_answers_in_the_same_language(token):
    """Intake over the fast path (no Django middleware behind it) reads ?lang= and the cookie like the views."""
    body = json.dumps({"category": "dispute", "source": "walk_in", "lon": 112.45, "lat": 35.05,
                       "severity": "huge"}).encode()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "CONTENT_TYPE": "application/json",
               "CONTENT_LENGTH": str(len(body))}
    fast = FastPath(_no_django, application.routes)
    status, answer_headers, content = call_wsgi(fast, "POST", "/api/incidents", "", body, **headers)
    assert status.startswith("400") and answer_headers["Content-Language"] == "zh-hans"
    assert "不是 general, larger, major 之一" in json.loads(content)["error"]["message"]
    status, _, content = call_wsgi(fast, "POST", "/api/incidents", "", body, HTTP_COOKIE="gridmap_language=en",
                                   **headers)
    assert "is not one of general, larger, major" in json.loads(content)["error"]["message"]


def _no_django(environ, start_response):
    raise AssertionError(f"the fast path handed {environ['PATH_INFO']} to Django")


def test_roles_and_admin_labels_are_one_language_at_a_time(client, db):
    with translation.override("zh-hans"):
        assert str(Role.OPERATOR.label) == "值班员"
    with translation.override("en"):
        assert str(Role.OPERATOR.label) == "command-center operator"
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "a-long-password-0")
    client.force_login(admin)
    page = client.get("/admin/").content.decode()
    assert "边界历史" in page and "审计记录" in page and "Boundary history" not in page
    page = client.get("/admin/?lang=en").content.decode()
    assert "Boundary history" in page and "边界历史" not in page


def test_login_page_switches_language(client, db):
    assert "用户名" in client.get("/accounts/login/").content.decode()
    english = client.get("/accounts/login/?lang=en").content.decode()
    assert "User name" in english and "用户名" not in english


def test_dashboard_wrappers_keep_their_interface():
    assert dashboards_i18n.strings("zh-hans")["intake"] == "受理"
    assert dashboards_i18n.strings("en")["intake"] == "Intake"
    # One English word, two meanings: contexts keep them apart.
    assert dashboards_i18n.strings("zh-hans")["open"] == "在办"
    assert dashboards_i18n.strings("zh-hans")["open_page"] == "进入"
    assert dashboards_i18n.classes("zh-hans")["safety_hazard"] == "安全隐患"
    assert dashboards_i18n.choice("in progress 处置中", "en") == "in progress"
    assert dashboards_i18n.choice("grid chief", "zh-hans") == "网格长"
    assert set(dashboards_i18n.strings("en")) == set(dashboards_i18n.strings("zh-hans"))


def test_every_catalogue_entry_is_translated_and_compiled():
    """An entry left empty shows English in a Chinese page; a .po newer than its .mo was not compiled."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"
    text = (folder / "django.po").read_text()
    entries = text.split("\n\n")[1:]
    untranslated = [e for e in entries if e.rstrip().endswith('msgstr ""') and "msgid_plural" not in e]
    assert not untranslated, untranslated[:3]
    assert "#, fuzzy" not in text
    assert (folder / "django.mo").stat().st_size > 1000
    with translation.override("zh-hans"):
        for entry in entries[:20]:
            assert "msgstr" in entry

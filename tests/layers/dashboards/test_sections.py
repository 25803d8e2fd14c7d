"""The panels apps hand to the dashboards (layers/dashboards/sections.py) render only what they carry."""

from django.template.loader import render_to_string

from geo.access import ANONYMOUS
from layers.dashboards import sections


def test_a_panel_without_items_draws_no_list(monkeypatch):
    """A panel of cards only (the people panel) must not draw its dict's keys as blank bullets: the template's
    `panel.items` would otherwise resolve to the dict's items() method."""
    monkeypatch.setattr(sections, "PANELS", [lambda access, code, lang, children=False: {
        "key": "cards", "title": "Cards only", "cards": [{"key": "n", "label": "N", "value": "1"}]}])
    shown = sections.panels(ANONYMOUS, "419001", "en")
    html = render_to_string("dashboards/_panels.html", {"panels": shown})
    assert "Cards only" in html and 'data-kpi="n"' in html
    assert "<ul" not in html and "<li" not in html
    # A panel with items draws each, linked.
    monkeypatch.setattr(sections, "PANELS", [lambda access, code, lang, children=False: {
        "key": "list", "title": "List", "cards": [], "items": [{"text": "one", "href": "/a"}]}])
    html = render_to_string("dashboards/_panels.html", {"panels": sections.panels(ANONYMOUS, "419001", "en")})
    assert html.count("<li") == 1 and '<a href="/a">one</a>' in html

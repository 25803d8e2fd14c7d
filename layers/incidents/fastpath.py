"""The fast-path route for intake: token POSTs of a JSON report to /api/incidents (see geo.fastpath).

Phones report by the hundred per second in a busy hour; this answers them with the same
layers.incidents.views.intake_answer() the Django view uses, without Django's middleware. Form-encoded
bodies and uploads without a Content-Length go to the Django view.
"""

from __future__ import annotations

import re

from geo.access import check
from geo.fastpath import Answer, FastRequest, Route, declares_length, json_answer, register
from layers.incidents.http import check_length, is_json, parse_json
from layers.incidents.views import GEOJSON, intake_answer

INCIDENTS_PATH = re.compile(r"^/api/incidents\Z")


def post_incident(request: FastRequest) -> Answer:
    access = check(request.access, "report")
    check_length(request.environ["CONTENT_LENGTH"])
    feature, headers = intake_answer(access, parse_json(request.body()))
    return json_answer(201, feature, content_type=GEOJSON, headers=headers)


def _takes(environ: dict) -> bool:
    return is_json(environ.get("CONTENT_TYPE", "")) and declares_length(environ)


ROUTES = [Route("POST", INCIDENTS_PATH, post_incident, accepts=_takes)]
register(*ROUTES)

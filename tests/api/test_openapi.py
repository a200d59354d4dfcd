"""The OpenAPI document: generated from the routes, and the API keeps its promises.

Schemathesis generates requests from the document for every operation (a bounded number of
examples each) as an administrator and as a client, against a database with tickets, and
fails on any 5xx, undocumented status, wrong content type or body that violates a schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tests.api.conftest import NEW, Api, issue_token

# schemathesis's strategies draw from the random module; Hypothesis warns about it (an error
# under our filterwarnings) only when another test touched random's state in this process.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning"
)

EXAMPLES = int(__import__("os").environ.get("ST_EXAMPLES", "25"))


@pytest.fixture
def api_world(app, soporte, client_user, collaborator, admin, monkeypatch):
    """Tickets in several states, and tokens for an administrator and a client."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 100_000)
    tokens = {"admin": issue_token(app, admin.email), "client": issue_token(app, client_user.email)}
    owner, desk = Api(app, tokens["client"]), Api(app, tokens["admin"])
    for index in range(3):
        number = owner.post("/tickets", json={**NEW, "subject": f"Caso {index}"}).json["number"]
        desk.post(f"/tickets/{number}/comments", json={"body": "Revisando"})
    desk.post("/tickets/1/status", json={"status": "closed", "resolution": "Listo"})
    return tokens


# Every check schemathesis has (its default when none is named). The token goes through
# schemathesis's own auth settings, so its checks know when a request carries it. One
# setting: a request can follow the schema and still break the desk's rules: an unknown or
# inactive type, the type's own form (422), an If-Match naming a version that is not the
# ticket's (412), as the document declares. So a schema-valid request may get those.
def config(secret: str) -> SchemathesisConfig:
    """Schemathesis settings for one user's token."""
    return SchemathesisConfig.from_dict(
        {
            "auth": {"openapi": {"bearer": {"bearer": secret}}},
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": [
                        "2xx",
                        "3xx",
                        "401",
                        "403",
                        "404",
                        "409",
                        "412",
                        "422",
                        "429",
                    ]
                }
            },
        }
    )


def _fuzz(app, secret: str, mode: GenerationMode, examples: int) -> list[str]:
    """Run generated requests for every operation; return what went wrong, once each."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config(secret))
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate],
        )
        def run(case):
            # Collected here rather than raised: Hypothesis would replay the case, and
            # schemathesis's strategies learn from earlier answers, so the replay differs.
            try:
                case.call_and_validate()
            except Exception as exc:  # noqa: BLE001 - every failure is reported below
                key = f"{case.method} {case.path}: {type(exc).__name__}"
                failures.setdefault(key, f"{key}: {exc}"[:3000])

        run()
    return list(failures.values())


@pytest.mark.parametrize("who", ["admin", "client"])
def test_api_conforms_to_its_document(app, api_world, who):
    assert _fuzz(app, api_world[who], GenerationMode.POSITIVE, EXAMPLES) == []


@pytest.mark.parametrize("who", ["admin", "client"])
def test_invalid_requests_get_documented_problems_never_a_5xx(app, api_world, who):
    assert _fuzz(app, api_world[who], GenerationMode.NEGATIVE, EXAMPLES // 2) == []


def test_document_is_openapi_31_and_lists_every_api_route(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    documented = {
        (path, method.upper()) for path, ops in document["paths"].items() for method in ops
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.reference":
            continue
        path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {path} is not documented"


def test_reference_page_renders_the_document(app):
    page = app.test_client().get("/api/v1/docs").get_data(as_text=True)
    assert "POST /api/v1/tickets" in page and "NewTicket" in page

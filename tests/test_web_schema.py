"""The web API fuzzed against its own OpenAPI schema (schemathesis, in-process): no
5xx, every response as the schema says, every error a JSON body."""

from __future__ import annotations

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance
from hypothesis import HealthCheck, given, settings

from newssearch import Archive
from newssearch.web import create_app

EXAMPLES = 60  # per operation
EXPECTED_400 = {"the query has no words to search for"}


def test_the_api_keeps_to_its_schema(corpus, isolated, fake_embedder):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
    app = create_app(isolated)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.path for operation in operations} == {"/api/search", "/api/articles/{article_id}", "/api/stats",
                                                            "/api/timeline", "/api/stories/{article_id}",
                                                            "/api/similar/{article_id}"}
    try:
        for operation in operations:
            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def keeps_to_schema(case):
                response = case.call()
                # No server error; status, content type and body as documented. A query the
                # schema allows can still hold no word to search for ("?!"): that is a 400.
                case.validate_response(response, excluded_checks=[positive_data_acceptance])
                if response.status_code >= 400:
                    assert isinstance(response.json().get("error"), str), response.text
                if response.status_code == 400:
                    message = response.json()["error"]
                    assert message in EXPECTED_400 or "--since" in message or "half-life" in message, response.text

            keeps_to_schema()
    finally:
        app.state.runner.close()

"""Schemathesis over the OpenAPI document (through the ASGI app): no 500, responses match the schema.

Driven through `operation.as_strategy()` under hypothesis (its pytest plugin does not load under
pytest 9), one test per engine covering every operation.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aidis.app import AppContext
from aidis.web.app import create_web_app


def test_api_never_fails_and_keeps_its_contract(app: AppContext) -> None:
    app.projects.create("alpha")
    app.sessions.start("fuzz-1", project="alpha")
    app.sessions.start("fuzz-2")
    # Schemathesis' ASGI client names its host "testserver"; allow that one name, nothing else.
    web = create_web_app(
        replace(app, settings=app.settings.model_copy(update={"allowed_hosts": ["testserver"]})),
        run_maintenance=False,
    )
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", web)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    seen: set[str] = set()

    def exercise_one(operation: Any) -> None:
        """Each operation its own examples: every one is exercised, every run."""

        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def exercise(data: st.DataObject) -> None:
            case = data.draw(operation.as_strategy())
            # Excluded: "positive data acceptance". An opaque cursor, or the id of a session that does not
            # exist, is schema-valid yet must be refused (422 / 404, both documented with their field).
            response = case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
            assert response.status_code < 500
            seen.add(operation.label)

        exercise()

    for operation in operations:
        exercise_one(operation)
    assert len(seen) == len(operations)

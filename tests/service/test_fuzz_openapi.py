"""Property-based fuzzing of the whole OpenAPI surface (schemathesis).

Every operation the app publishes is called with inputs generated from its own
schema, valid and invalid, against the real app under uvicorn on a real SQLite file
seeded with the demo corpus' brands and what one poll of two demo feeds stored. The properties:
no response is a server error, and every response documented in the schema matches
it. The number of examples per operation is bounded so the run stays short; the
seed is fixed so a failure reproduces.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from service._app import create_app
from service._runtime import Runtime
from service._settings import Settings
from tests._servers import serve_app
from tests.service.conftest import local_settings

# Examples per operation: enough to reach each parameter's edge cases (empty,
# huge, wrong type, bad enum) a few times, few enough for ~40 operations to run in
# well under a minute on 2 cores.
EXAMPLES = 25

# Operations that make Clarion open connections to URLs in their input (a WebSub
# callback answers a hub, a replayed delivery posts to a webhook's URL): generated
# host names would be looked up on a network the tests must not use. Their input
# validation is covered by their own tests.
OUTBOUND = {"/v1/webhooks/{hook_id}/deliveries/{delivery_id}/replay"}


def _operations() -> list[Any]:
    """The app's operations, from the schema it publishes (building it starts nothing)."""
    spec = create_app(Settings(crawl=False)).openapi()
    loaded = schemathesis.openapi.from_dict(spec).exclude(path=sorted(OUTBOUND))
    return [result.ok() for result in loaded.get_all_operations()]


OPERATIONS = _operations()


async def _poll_once(settings: Settings) -> None:
    """Metrics answer over stored mentions, not an empty store: one polling round first."""
    runtime = await Runtime.start(settings)
    try:
        await runtime.pipeline.run_once()
        assert await runtime.store.count_documents() > 0
    finally:
        await runtime.stop()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, demo_setup: dict[str, Any]) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    config = {"brands": demo_setup["brands"], "sources": demo_setup["sources"][:2]}
    settings = local_settings(tmp, config, alert_check_interval=86_400.0)
    asyncio.run(_poll_once(settings))
    with serve_app(create_app(settings)) as base:
        yield base


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_no_server_error_and_responses_match_schema(operation: Any, base_url: str) -> None:
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        response = case.call(base_url=base_url)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
        )
        case.validate_response(response, checks=[response_schema_conformance])

    check()

"""``/metrics``: Prometheus text that parses, the API's latency by route template,
and (in ``test_e2e.py``) the pipeline's counters after a real crawl."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from service._app import create_app
from service._settings import Settings
from tests._servers import serve_app

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def metric_samples(text: str) -> Samples:
    """Every sample of a Prometheus text exposition, by (name, sorted labels)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_api_latency_is_labelled_by_route_template(settings: Settings) -> None:
    with serve_app(create_app(settings)) as base, httpx.Client(base_url=base) as client:
        for _ in range(3):
            assert client.get("/v1/sources/no-such-source/health").status_code == 404
        assert client.get("/healthz").status_code == 200
        response = client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        found = metric_samples(response.text)
    route = (("method", "GET"), ("route", "/v1/sources/{source_id}/health"), ("status", "404"))
    assert found[("clarion_http_request_duration_seconds_count", route)] == 3
    assert not [key for key in found if "no-such-source" in str(key)]  # raw paths are no labels
    assert found[("clarion_pipeline_polls_total", ())] == 0  # crawl=False: nothing polled
    assert found[("clarion_pipeline_engagement_refreshed_total", ())] == 0

"""Prometheus metrics at ``/metrics``: what the pipeline and the API have done.

One registry per app (no module-level collectors, so two apps in one process, as
in the tests, never share counts). The pipeline's figures are read from
``IngestPipeline.stats`` and ``.queues`` when Prometheus scrapes, so ingest pays
nothing per document for them; API latency is a histogram observed by a
middleware, labelled by route template (``/v1/sources/{source_id}``), never by
raw path, so the label set stays bounded.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from service._webhook_metrics import webhook_metrics

__all__ = ["install_metrics"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds; 0.15 is the dashboard queries' p95 target (issue 6), so it is a bucket edge."""


class _PipelineCollector(Collector):
    """The ingest pipeline's counters, read at scrape time."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    def collect(self) -> Iterator[Metric]:
        audit = getattr(self._app.state, "audit", None)  # service._audit.AuditStats
        if audit is not None:
            doc = "Audit entries written."
            yield CounterMetricFamily("clarion_audit_entries", doc, value=audit.recorded)
            doc = "Audit entries that could not be written (the change itself stood)."
            yield CounterMetricFamily("clarion_audit_write_failures", doc, value=audit.failures)
        runtime = self._app.state.runtime
        if runtime is None:  # not started, or stopping
            return
        stats = runtime.pipeline.stats
        for name, value, doc in (
            ("polls", stats.polls, "Feed and sitemap polls."),
            ("polls_not_modified", stats.polls_not_modified, "Polls answered 304."),
            ("poll_errors", stats.poll_errors, "Polls that failed."),
            ("entries_new", stats.entries_new, "New entries found by polls."),
            (
                "engagement_refreshed",
                stats.engagement_refreshed,
                "Stored social posts whose engagement counts a poll refreshed in place.",
            ),
            ("pages_fetched", stats.pages_fetched, "Article pages fetched."),
            ("page_errors", stats.page_errors, "Article pages that could not be fetched."),
            ("extract_empty", stats.extract_empty, "Pages with no article text."),
        ):
            yield CounterMetricFamily(f"clarion_pipeline_{name}", doc, value=value)
        documents = CounterMetricFamily(
            "clarion_pipeline_documents", "Documents saved, by outcome.", labels=["outcome"]
        )
        for outcome, count in sorted(stats.documents.items()):
            documents.add_metric([outcome], count)
        yield documents
        errors = CounterMetricFamily(
            "clarion_pipeline_errors", "Failures counted by the pipeline, by class.", labels=["cls"]
        )
        for cls, count in sorted(stats.errors_by_class.items()):
            errors.add_metric([cls], count)
        yield errors
        busy = CounterMetricFamily(
            "clarion_pipeline_busy_seconds",
            "Seconds each step spent in its calls, summed over concurrent calls.",
            labels=["step"],
        )
        for step, seconds in sorted(stats.busy.items()):
            busy.add_metric([step], seconds)
        yield busy
        depth = GaugeMetricFamily(
            "clarion_pipeline_queue_depth", "Items waiting in each stage's inbox.", labels=["stage"]
        )
        for stage, queue in sorted(runtime.pipeline.queues.items()):
            depth.add_metric([stage], queue.qsize())
        yield depth
        if runtime.alerting is not None:  # webhook outcomes and latency
            yield from webhook_metrics(runtime.alerting.worker.stats)


def install_metrics(app: FastAPI) -> None:
    """Add ``GET /metrics`` and the API latency middleware to ``app``."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(_PipelineCollector(app))
    latency = Histogram(
        "clarion_http_request_duration_seconds",
        "API request latency, by method, route template and status.",
        ["method", "route", "status"],
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        began = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        latency.labels(request.method, template, str(response.status_code)).observe(
            time.perf_counter() - began
        )
        return response

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

"""The one choke point between the Elasticsearch store and the cluster.

Every request of the Elasticsearch store (``search._es`` and its ``_es_*`` parts)
goes through ``EsCalls.call`` (or ``bulk``, which is built on it). It times and
logs each call, and classifies failures into Clarion's store errors::

    StoreError                      the cluster rejected the call: 4xx/5xx, with
     │                              the status, error type and reason
     └── TemporaryStoreError        worth retrying later
          └── ElasticsearchBusy     429, 502, 503, 504, connection errors and
                                    timeouts; ``retry_after`` from the header

A conflict (409) is a ``VersionConflict`` (a ``StoreError``): the store uses
optimistic concurrency and retries the whole operation itself.

``ElasticsearchConfig`` holds what it takes to reach a cluster; ``connect``
builds the official async client from it. Nothing here reads the
environment: the service's settings fill the config.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from elastic_transport import ApiResponse, ConnectionError, ConnectionTimeout, TransportError
from elasticsearch import ApiError, AsyncElasticsearch, UnsupportedProductError

from search._store import StoreError, TemporaryStoreError

__all__ = [
    "DEFAULT_REQUEST_TIMEOUT",
    "ElasticsearchBusy",
    "ElasticsearchConfig",
    "EsCalls",
    "VersionConflict",
    "connect",
]

logger = logging.getLogger("clarion.search.elasticsearch")

# Seconds one request may take. Queries the API serves are aggregations over
# a window; 30 s is far beyond a healthy cluster's p99 and short enough that a
# stuck node surfaces as a TemporaryStoreError instead of a hung request.
DEFAULT_REQUEST_TIMEOUT = 30.0
# Statuses that mean "the cluster is overloaded or a node is down": the same
# call may succeed later (429 rejected execution, 502/503/504 from a proxy or
# a cluster without a master).
_TEMPORARY_STATUSES = frozenset({429, 502, 503, 504})
# Calls slower than this are logged at WARNING rather than DEBUG.
_SLOW_CALL_SECONDS = 2.0
# The HTTP client under the Elasticsearch client: httpx, already a Clarion
# dependency (the client's default, aiohttp, is not).
_NODE_CLASS = "httpxasync"
# Items of a bulk response reported in a StoreError message; the rest are counted.
_BULK_ERRORS_SHOWN = 3


class ElasticsearchBusy(TemporaryStoreError):
    """The cluster could not serve the call now; ``retry_after`` seconds, if it said."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class VersionConflict(StoreError):
    """A write lost an optimistic-concurrency race (409)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ElasticsearchConfig:
    """How to reach a cluster.

    ``url`` is one node or a load balancer (``https://es.example:9200``);
    authenticate with ``api_key`` (preferred) or ``username``/``password``;
    ``ca_certs`` is a PEM bundle for a cluster with its own CA.
    ``client_options`` are passed to ``AsyncElasticsearch`` as they are (tests
    use them to pick a transport node class).
    """

    url: str
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_certs: str | None = None
    verify_certs: bool = True
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    client_options: Mapping[str, Any] = field(default_factory=dict)


def connect(config: ElasticsearchConfig) -> AsyncElasticsearch:
    """The official async client for ``config`` (no request is made).

    Retries are left to the caller (``max_retries=0``): the store reports a
    TemporaryStoreError and the pipeline decides when to try again. Requests
    go through httpx (``_NODE_CLASS``).
    """
    options: dict[str, Any] = {
        "node_class": _NODE_CLASS,
        "request_timeout": config.request_timeout,
        "max_retries": 0,
        "retry_on_timeout": False,
        "verify_certs": config.verify_certs,
    }
    if config.api_key is not None:
        options["api_key"] = config.api_key
    elif config.username is not None:
        options["basic_auth"] = (config.username, config.password or "")
    if config.ca_certs is not None:
        options["ca_certs"] = config.ca_certs
    options.update(config.client_options)
    return AsyncElasticsearch(config.url, **options)


class EsCalls:
    """Every call to the cluster, timed, logged and with errors classified."""

    def __init__(self, client: AsyncElasticsearch) -> None:
        self.client = client

    async def call(
        self,
        action: str,
        fn: Callable[..., Awaitable[ApiResponse[Any]]],
        /,
        *,
        allow: Sequence[int] = (),
        **kwargs: Any,
    ) -> dict[str, Any]:
        """``fn(**kwargs)``'s body; statuses in ``allow`` return their body instead of raising.

        ``action`` names the call in logs and errors (``"save_document: index"``).
        """
        started = time.perf_counter()
        failure: StoreError | None = None
        try:
            response = await fn(**kwargs)
        except UnsupportedProductError as exc:
            failure = StoreError(f"elasticsearch {action}: not an Elasticsearch cluster: {exc}")
            raise failure from exc
        except ApiError as exc:
            if exc.meta.status in allow:
                return dict(exc.body) if isinstance(exc.body, Mapping) else {}
            failure = _classify(action, exc)
            raise failure from exc
        except (ConnectionError, ConnectionTimeout) as exc:
            failure = ElasticsearchBusy(f"elasticsearch {action}: {exc}")
            raise failure from exc
        except TransportError as exc:
            failure = StoreError(f"elasticsearch {action}: {exc}")
            raise failure from exc
        finally:
            _log(action, time.perf_counter() - started, failure)
        body = response.body
        return dict(body) if isinstance(body, Mapping) else {"result": body}

    async def bulk(self, action: str, operations: list[dict[str, Any]], *, refresh: str) -> None:
        """One ``_bulk`` request; any failed item raises (see ``bulk_error``).

        A delete of a missing document is not a failure. Items are independent:
        the ones before and after a failed item may have been applied, so
        callers make every bulk idempotent and retry it whole.
        """
        if not operations:
            return
        body = await self.call(action, self.client.bulk, operations=operations, refresh=refresh)
        if body.get("errors"):
            raise bulk_error(action, body.get("items", []))


def _log(action: str, elapsed: float, failure: StoreError | None) -> None:
    """One line per call: DEBUG when fine, WARNING when slow or failed.

    A version conflict is an expected outcome of a race the store retries: INFO.
    """
    if isinstance(failure, VersionConflict):
        logger.info("%s (%.3f s)", failure, elapsed)
    elif failure is not None:
        kind = "temporary" if isinstance(failure, TemporaryStoreError) else "permanent"
        logger.warning("%s (%s failure, %.3f s)", failure, kind, elapsed)
    elif elapsed > _SLOW_CALL_SECONDS:
        logger.warning("elasticsearch %s took %.3f s", action, elapsed)
    else:
        logger.debug("elasticsearch %s took %.3f s", action, elapsed)


def bulk_error(action: str, items: list[dict[str, Any]]) -> StoreError:
    """The error for a bulk response's failed items: temporary if every failure is."""
    failed: list[tuple[int, str]] = []
    for item in items:
        ((op, result),) = item.items()
        status = int(result.get("status", 500))
        if status >= 300 and not (op == "delete" and status == 404):
            error = result.get("error") or {}
            reason = error.get("reason", error) if isinstance(error, dict) else error
            failed.append((status, f"{op} {result.get('_id')}: {status} {reason}"))
    if not failed:
        return StoreError(f"elasticsearch {action}: the bulk request reported errors")
    shown = "; ".join(text for _, text in failed[:_BULK_ERRORS_SHOWN])
    more = len(failed) - _BULK_ERRORS_SHOWN
    message = f"elasticsearch {action}: {len(failed)} item(s) failed: {shown}" + (
        f" (and {more} more)" if more > 0 else ""
    )
    if all(status in _TEMPORARY_STATUSES for status, _ in failed):
        return ElasticsearchBusy(message)
    return StoreError(message)


def _classify(action: str, exc: ApiError) -> StoreError:
    status = exc.meta.status
    error_type, reason = _describe(exc.body)
    message = f"elasticsearch {action}: {status} {error_type}: {reason}"
    if status in _TEMPORARY_STATUSES:
        return ElasticsearchBusy(message, retry_after=_retry_after(exc))
    if status == 409:
        return VersionConflict(message)
    return StoreError(message)


def _describe(body: object) -> tuple[str, str]:
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            return str(error.get("type", "error")), str(error.get("reason", error))
        if error is not None:
            return "error", str(error)
    return "error", str(body)[:500]


def _retry_after(exc: ApiError) -> float | None:
    """Seconds from a ``Retry-After`` header in seconds; ``None`` when absent or a date."""
    value = exc.meta.headers.get("retry-after") if exc.meta.headers else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None

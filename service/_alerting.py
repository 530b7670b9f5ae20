"""Wiring of alerts: the detector, the delivery worker and their HTTP client.

``Alerting.build`` makes them from the settings (the client is closed by the
runtime's exit stack); ``start`` runs the worker and the periodic checks as
background tasks, ``stop`` cancels them. The runtime starts them in the API
process only: ``clarion crawl`` decides alerts and fills the outbox, and a
``clarion serve`` on the same store delivers them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx2

from crawlers import guarded_transport
from search import Store, alert_store
from service._alerts import AlertEngine
from service._delivery import CONCURRENCY, DeliveryWorker
from service._settings import Settings

__all__ = ["Alerting"]

log = logging.getLogger("clarion.alerts")


def webhook_client(settings: Settings) -> httpx2.AsyncClient:
    """The client deliveries go through: the SSRF guard checks every connection (as
    for sources), no proxy from the environment, redirects never followed."""
    transport = (
        guarded_transport(settings.allow_networks, max_connections=CONCURRENCY)
        if settings.block_private_addresses
        else None
    )
    return httpx2.AsyncClient(transport=transport, trust_env=False, follow_redirects=False)


@dataclass(kw_only=True)
class Alerting:
    engine: AlertEngine
    worker: DeliveryWorker
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def build(
        cls, settings: Settings, store: Store, exit_stack: contextlib.AsyncExitStack
    ) -> Alerting:
        alerts = alert_store(store)
        client = await exit_stack.enter_async_context(webhook_client(settings))
        worker = DeliveryWorker(
            store=alerts,
            client=client,
            max_attempts=settings.webhook_max_attempts,
            timeout=settings.webhook_timeout,
            backoff_base=settings.webhook_backoff_base,
            backoff_max=settings.webhook_backoff_max,
        )
        engine = AlertEngine(
            store=store,
            alerts=alerts,
            wake_delivery=worker.wake,
            check_interval=settings.alert_check_interval,
        )
        alerting = cls(engine=engine, worker=worker)
        exit_stack.push_async_callback(alerting.stop)  # before the client and store close
        return alerting

    def start(self) -> None:
        """Run the delivery worker and the periodic count checks in the background."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(
                    self._guard(self.worker.run_forever()), name="clarion-webhooks"
                ),
                asyncio.create_task(self._guard(self.engine.run_forever()), name="clarion-alerts"),
            ]

    @staticmethod
    async def _guard(run: Coroutine[Any, Any, None]) -> None:
        try:
            await run
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("alerting task stopped")
            raise

    def failure(self) -> str | None:
        """Why the delivery worker or the alert checks stopped, if one did (``/readyz``)."""
        for task in self._tasks:
            if task.done() and not task.cancelled():
                exc = task.exception()
                return f"{task.get_name()} stopped: {type(exc).__name__}: {exc}"
        return None

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

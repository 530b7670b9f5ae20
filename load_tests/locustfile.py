"""The dashboard's API traffic, for locust (``pip install -e '.[load]'``).

Each simulated user is one person with the dashboard open (``service/dashboard``),
making the requests its pages make, with the same parameters:

- **overview** (weight 3): share of voice over the period (``interval=day``), the
  scorecard against the previous period, executive visibility and key-message
  pull-through, for one brand and the last ``DAYS`` days;
- **coverage** (weight 2): the source list (for the filter pickers), then the
  mention list sorted by time, following ``next_cursor`` for up to ``PAGES``
  pages (the "Load more" button), sometimes with a full-text filter;
- **amplify** (weight 1): the amplification candidates of the last ``DAYS`` days.

The browser starts an overview's four requests at once; a locust user sends them one
after the other, so the per-request figures are comparable and the page time is their
sum. Between page views a user waits ``THINK`` seconds (someone reading the page).

Settings, by environment variable: ``CLARION_LOAD_API_KEY`` (an API key with read
scope, when the target runs with ``CLARION_AUTH=keys``), ``CLARION_LOAD_DAYS``
(default 30, the dashboard's default period), ``CLARION_LOAD_PAGE_SIZE`` (default 5:
the demo's 58 documents give a brand 3 to 15 mentions in the last 30 days, so the
dashboard's 50 per page would never exercise the cursor path), ``CLARION_LOAD_PAGES`` (default 3),
``CLARION_LOAD_END`` (an ISO 8601 instant, default now: where the periods end, e.g.
``2026-08-30T00:00:00+00:00`` for ``bench/_dataset.py``'s 1M mentions; amplify always
looks at the days before now, as the API does).
See ``load_tests/README.md`` for the command and BENCHMARKS.md for results.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from locust import HttpUser, between, task

DAYS = int(os.environ.get("CLARION_LOAD_DAYS", "30"))
PAGE_SIZE = int(os.environ.get("CLARION_LOAD_PAGE_SIZE", "5"))
PAGES = int(os.environ.get("CLARION_LOAD_PAGES", "3"))
END = os.environ.get("CLARION_LOAD_END")
THINK = (1.0, 3.0)
"""Seconds between two page views: a person glancing at panels, not a script."""
SEARCHES = ("launch", "CEO", "privacy", "space", "earnings")
"""Full-text filters typed into the coverage page (one view in four uses one)."""


class DashboardUser(HttpUser):
    """One person with the dashboard open (see the module docstring)."""

    wait_time = between(*THINK)

    def on_start(self) -> None:
        key = os.environ.get("CLARION_LOAD_API_KEY")
        if key:
            self.client.headers["Authorization"] = f"Bearer {key}"
        answer = self.client.get("/v1/brands", name="/v1/brands")
        answer.raise_for_status()
        self.brands = [b["id"] for b in answer.json()["items"]]
        if not self.brands:
            raise RuntimeError("the target has no brands: run it on `clarion demo` data")

    def _window(self) -> dict[str, Any]:
        to = datetime.fromisoformat(END) if END else datetime.now(UTC)
        return {
            "brand": random.choice(self.brands),
            "from": (to - timedelta(days=DAYS)).isoformat(),
            "to": to.isoformat(),
        }

    @task(3)
    def overview(self) -> None:
        window = self._window()
        interval = "week" if DAYS > 45 else "day"  # as the dashboard's period picker
        self.client.get(
            "/v1/share-of-voice", params={**window, "interval": interval}, name="/v1/share-of-voice"
        )
        self.client.get("/v1/scorecard", params=window, name="/v1/scorecard")
        self.client.get("/v1/executive-visibility", params=window, name="/v1/executive-visibility")
        self.client.get("/v1/pull-through", params=window, name="/v1/pull-through")

    @task(2)
    def coverage(self) -> None:
        self.client.get("/v1/sources", name="/v1/sources")
        query: dict[str, Any] = {**self._window(), "limit": PAGE_SIZE, "sort": "time"}
        if random.random() < 0.25:
            query["q"] = random.choice(SEARCHES)
        cursor: str | None = None
        for page in range(PAGES):
            params = query if cursor is None else {**query, "cursor": cursor}
            name = "/v1/mentions" if page == 0 else "/v1/mentions (next page)"
            with self.client.get(
                "/v1/mentions", params=params, name=name, catch_response=True
            ) as answer:
                if answer.status_code != 200:
                    answer.failure(f"HTTP {answer.status_code}")
                    return
                cursor = answer.json().get("next_cursor")
            if cursor is None:
                return

    @task(1)
    def amplify(self) -> None:
        brand = random.choice(self.brands)
        days = min(DAYS, 31)  # the API's own limit, as the dashboard applies it
        self.client.get(
            "/v1/amplify", params={"brand": brand, "days": days, "limit": 25}, name="/v1/amplify"
        )

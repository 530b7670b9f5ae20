"""A WebSub hub for tests (spec §5-§8), served on 127.0.0.1 like any other test server.

``POST /`` takes a subscription or unsubscription request, answers 202 (or
``status``), then verifies intent with a real GET on the callback, as a hub does
(after ``hold`` is set, when the test gives one). ``deliver`` POSTs content to a
verified subscriber, signed with the secret the subscriber gave. Everything it saw is
kept in plain lists that the test thread reads.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crawlers import sign


@dataclass
class Verification:
    form: dict[str, str]  # the subscription request verified
    mode: str
    topic: str
    lease_seconds: int | None
    status: int
    echoed: bool  # the body was exactly the challenge


@dataclass
class Hub:
    """``leases``: the lease granted at each verification in turn (the last one repeats;
    empty: the one asked for). ``status``: the answer to subscription requests."""

    leases: list[int] = field(default_factory=list)
    status: int = 202
    hold: threading.Event | None = None  # verifications wait until it is set
    url: str = ""  # set by the test once served
    requests: list[dict[str, str]] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/", self._subscribe, methods=["POST"])])

    async def _subscribe(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
        self.requests.append(form)
        if self.status != 202:
            return Response("no subscriptions today", status_code=self.status)
        task = asyncio.create_task(self._verify(form))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return Response(status_code=202)

    async def _verify(self, form: dict[str, str]) -> None:
        if self.hold is not None:
            await asyncio.to_thread(self.hold.wait)
        turn = sum(v.mode == "subscribe" for v in self.verifications)
        asked = form.get("hub.lease_seconds")
        lease = self.leases[min(turn, len(self.leases) - 1)] if self.leases else None
        lease = lease if lease is not None else (int(asked) if asked else None)
        if form["hub.mode"] == "unsubscribe":
            lease = None
        challenge = secrets.token_urlsafe(16)
        params = {
            "hub.mode": form["hub.mode"],
            "hub.topic": form["hub.topic"],
            "hub.challenge": challenge,
        }
        if lease is not None:
            params["hub.lease_seconds"] = str(lease)
        async with httpx.AsyncClient(trust_env=False) as client:
            answer = await client.get(form["hub.callback"], params=params)
        self.verifications.append(
            Verification(
                form=form,
                mode=form["hub.mode"],
                topic=form["hub.topic"],
                lease_seconds=lease,
                status=answer.status_code,
                echoed=answer.status_code == 200 and answer.text == challenge,
            )
        )

    def subscriber(self, topic: str) -> dict[str, str]:
        """The latest verified subscription request for ``topic``, waiting for a
        first one: Clarion's state says "active" as it answers the challenge, and
        this hub records the answer just after (``AssertionError`` if none comes)."""
        found: list[dict[str, str]] = []

        def verified() -> bool:
            found[:] = [
                check.form
                for check in self.verifications
                if check.topic == topic and check.echoed and check.mode == "subscribe"
            ]
            return bool(found)

        wait_for(verified, what=f"a verified subscriber for {topic}")
        return found[-1]

    def deliver(
        self,
        topic: str,
        body: bytes,
        *,
        content_type: str = "application/atom+xml",
        secret: str | None = None,
        method: str = "sha256",
        callback: str | None = None,
    ) -> httpx.Response:
        """POST ``body`` to the subscriber of ``topic``, signed with its secret (or ``secret``)."""
        form = self.subscriber(topic)
        headers = {
            "Content-Type": content_type,
            "X-Hub-Signature": sign(body, secret=secret or form["hub.secret"], method=method),
            "Link": f'<{topic}>; rel="self"',
        }
        return httpx.post(callback or form["hub.callback"], content=body, headers=headers)


def wait_for(condition: Callable[[], object], *, what: str, timeout: float = 120.0) -> None:
    """Poll ``condition`` until it is true: a hang guard, not a speed assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)

"""Dependency aliases, so that routes read like types."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from search import Store
from service._runtime import Runtime


def _runtime(request: Request) -> Runtime:
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise HTTPException(503, "Clarion is starting", headers={"Retry-After": "1"})
    return runtime


def _store(runtime: Annotated[Runtime, Depends(_runtime)]) -> Store:
    return runtime.store


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
StoreDep = Annotated[Store, Depends(_store)]

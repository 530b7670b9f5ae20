"""``Principal``: who is calling, with which scopes, seeing which brands.

Kept apart from the route dependencies (``service._auth``) so that ``service._access``
(which makes principals) and ``service._auth`` (which hands them to routes) need not
import each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import HTTPException

__all__ = ["EVERYONE", "Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request.

    ``key_id`` is ``None`` when authentication is off (``CLARION_AUTH=off``); then
    every scope and brand is allowed. ``scopes`` holds every scope the key grants
    (``admin`` grants ``read`` and ``write`` too). ``brands`` is ``None`` for a key
    that may see every brand, else the brand ids it may see.
    """

    key_id: str | None
    scopes: frozenset[str]
    brands: frozenset[str] | None = None

    @property
    def all_brands(self) -> bool:
        """Whether this key may see every brand (and so global configuration)."""
        return self.brands is None

    def sees(self, brand_id: str) -> bool:
        return self.brands is None or brand_id in self.brands

    def require_brand(self, brand_id: str) -> None:
        """Raise 404 for a brand this key may not see, whether it exists or not (so a
        key cannot probe which brands exist)."""
        if not self.sees(brand_id):
            raise HTTPException(404, f"no brand {brand_id!r}")

    def visible(self, brand_ids: Iterable[str]) -> list[str]:
        """``brand_ids`` this key may see, in their order."""
        return [b for b in brand_ids if self.sees(b)]


EVERYONE = Principal(key_id=None, scopes=frozenset({"read", "write", "admin"}))
"""The caller of every request when authentication is off."""

"""``TrafficEvent`` as one JSON object, shared by both stores (times as UTC microseconds)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from search._sqlite_codec import from_us, to_us
from search._traffic_store import TrafficEvent

__all__ = ["decode_event", "encode_event"]


def encode_event(event: TrafficEvent) -> str:
    out: dict[str, Any] = asdict(event)
    out["timestamp"] = to_us(event.timestamp)
    return json.dumps(out, sort_keys=True, separators=(",", ":"))


def decode_event(raw: str) -> TrafficEvent:
    data: dict[str, Any] = json.loads(raw)
    names = set(TrafficEvent.__dataclass_fields__)
    values = {k: v for k, v in data.items() if k in names}
    values["timestamp"] = from_us(int(values["timestamp"]))
    values["tags"] = tuple(values.get("tags", ()))
    return TrafficEvent(**values)

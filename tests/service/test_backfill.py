"""``clarion backfill`` on a real SQLite store with the shipped sentiment model: after a
brand's query changed, the stored mentions follow the new query; an interrupted run
resumes after its checkpoint; a second run changes nothing; ``--brand`` leaves the
other brands' mentions alone and ``--since`` the older documents."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawlers import Document
from enrichment import Brand, Mention, Sentiment
from search import SQLiteStore
from tests.service.test_cli import clarion

ROCKET = "Acme launched a new rocket on Tuesday. Engineers at Acme said the rocket flew well."
ANVIL = "Acme sold another anvil. Globex, a rival, said its anvils are better than Acme's."
# Six documents: the even ones mention the rocket (the new query keeps them), the odd
# ones only the anvil (the new query drops them). d4 and d5 are older than SINCE.
TEXTS = [ROCKET, ANVIL] * 3
SINCE = datetime(2026, 3, 1, tzinfo=UTC)


def _env(data: Path) -> dict[str, str]:
    return {"CLARION_DATA_DIR": str(data), "CLARION_STORE": "sqlite", "CLARION_MODEL_THREADS": "1"}


def _doc(i: int) -> Document:
    month = 5 if i < 4 else 1
    return Document(
        id=f"d{i}",
        url=f"https://news.example/d{i}",
        source_id="example",
        outlet="Example News",
        domain="news.example",
        title=f"Story {i}",
        text=TEXTS[i],
        language="en",
        fetched_at=datetime(2026, month, 2, tzinfo=UTC),
        published_at=datetime(2026, month, 1, tzinfo=UTC),
    )


def _old(doc_id: str, brand_id: str) -> Mention:
    """A mention as the old query found it (hand-built: no model can produce it)."""
    return Mention(
        document_id=doc_id, brand_id=brand_id, sentiment=Sentiment("neutral", 0.123), count=1
    )


def _run(action: Any) -> Any:
    async def go(path: Path) -> Any:
        store = SQLiteStore(path)
        await store.open()
        try:
            return await action(store)
        finally:
            await store.close()

    return go


def _seed(data: Path) -> None:
    async def seed(store: SQLiteStore) -> None:
        await store.put_brand(Brand(id="acme", name="Acme", query="Acme"))
        await store.put_brand(Brand(id="globex", name="Globex", query="Globex"))
        for i in range(len(TEXTS)):
            mentions = [_old(f"d{i}", "acme")]
            if "Globex" in TEXTS[i]:
                mentions.append(_old(f"d{i}", "globex"))
            await store.save_document(_doc(i), mentions)
        # The query changes: only rocket stories are Acme's now.
        await store.put_brand(Brand(id="acme", name="Acme", query="Acme AND rocket"))

    asyncio.run(_run(seed)(data / "clarion.db"))


def _mentions(data: Path) -> dict[str, dict[str, float]]:
    """Document id -> brand id -> sentiment score."""

    async def read(store: SQLiteStore) -> dict[str, dict[str, float]]:
        found: dict[str, dict[str, float]] = {}
        for document, mentions in await store.documents_after(None, limit=100):
            found[document.id] = {m.brand_id: m.sentiment.score for m in mentions}
        return found

    result: dict[str, dict[str, float]] = asyncio.run(_run(read)(data / "clarion.db"))
    return result


def _backfill(data: Path, *args: str) -> dict[str, Any]:
    done = clarion("backfill", *args, cwd=data, env=_env(data))
    assert done.returncode == 0, done.stderr
    assert "documents" in done.stderr  # the progress bar's label
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def test_backfill_follows_the_new_query_resumes_and_is_idempotent(tmp_path: Path) -> None:
    _seed(tmp_path)
    first = _backfill(tmp_path, "--batch", "2", "--stop-after-batches", "1")
    assert first["complete"] is False and first["seen"] == 2 and first["changed"] == 2
    checkpoint = Path(first["checkpoint"])
    assert checkpoint.exists()
    halfway = _mentions(tmp_path)
    assert set(halfway["d1"]) == {"globex"}  # d0, d1 re-enriched ...
    assert halfway["d2"] == {"acme": 0.123}  # ... d2 onwards not yet

    rest = _backfill(tmp_path, "--batch", "2")
    assert rest["complete"] is True and rest["resumed_after"] == "d1"
    assert rest["seen"] == 4 and rest["changed"] == 4  # d2..d5, not d0 and d1 again
    assert not checkpoint.exists()
    after = _mentions(tmp_path)
    for i, text in enumerate(TEXTS):
        expected = {"acme"} if "rocket" in text else set()
        expected |= {"globex"} if "Globex" in text else set()
        assert set(after[f"d{i}"]) == expected, i
    # Scores are the model's now, not the hand-built ones.
    assert all(score != 0.123 for brands in after.values() for score in brands.values())

    again = _backfill(tmp_path)
    assert again["complete"] is True and again["resumed_after"] is None
    assert again["selected"] == 6 and again["changed"] == 0 and again["unchanged"] == 6
    assert _mentions(tmp_path) == after


def test_brand_and_since_limit_what_is_rewritten(tmp_path: Path) -> None:
    _seed(tmp_path)
    report = _backfill(tmp_path, "--brand", "acme", "--since", "2026-03-01")
    assert report["complete"] is True and report["seen"] == 6 and report["selected"] == 4
    after = _mentions(tmp_path)
    assert after["d0"].keys() == {"acme"} and after["d0"]["acme"] != 0.123
    assert after["d1"] == {"globex": 0.123}  # acme dropped; globex kept as stored
    assert after["d3"] == {"globex": 0.123}
    assert after["d4"] == {"acme": 0.123}  # older than --since: untouched
    assert after["d5"] == {"acme": 0.123, "globex": 0.123}

    unknown = clarion("backfill", "--brand", "nope", cwd=tmp_path, env=_env(tmp_path))
    assert unknown.returncode == 2 and "no brand(s) nope" in unknown.stderr
    bad = clarion("backfill", "--since", "May", cwd=tmp_path, env=_env(tmp_path))
    assert bad.returncode == 2 and "--since 'May'" in bad.stderr

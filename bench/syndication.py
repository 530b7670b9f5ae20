"""Saving syndicated copies: the SQLite store's writer CPU per document as it fills.

    .venv/bin/python -m bench.syndication --documents 3000 --copies verbatim
    .venv/bin/python -m bench.syndication --documents 3000 --copies none

Saves ``--documents`` documents through ``Store.save_sketched`` in batches of
``--batch`` (the sizes the ingest pipeline hands the store: 4 to 12), each with the
text of one of the 58 demo pages (``service/demo/texts.json.gz``) and its sketch and
index words, as the extraction workers give them. ``verbatim``: document ``i`` has
text ``i mod 58``, so every text has ``documents / 58`` verbatim copies, as in the
ingest bench's feed farm (a wire story or a press release reprinted word for word);
``none``: every fourth word of each text carries the document's number, so no two
documents are copies, at the same lengths. Prints the CPU time of the store's
writer thread per document for each ``--window`` documents saved.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

from bench._proc import proc_stat
from crawlers import Document
from enrichment._syndication import sketch
from enrichment._tokens import index_text
from search import SketchedDocument, SQLiteStore

TEXTS = Path(__file__).resolve().parents[1] / "service" / "demo" / "texts.json.gz"


def _texts() -> list[str]:
    texts: dict[str, str] = json.loads(gzip.decompress(TEXTS.read_bytes()))
    return [text for _, text in sorted(texts.items())]


def _text(texts: list[str], n: int, copies: str) -> str:
    text = texts[n % len(texts)]
    if copies == "verbatim":
        return text
    words = text.split(" ")
    return " ".join(f"{w}{n}" if k % 4 == 0 else w for k, w in enumerate(words))


def _documents(count: int, copies: str) -> list[SketchedDocument]:
    texts = _texts()
    now = datetime(2026, 11, 16, 9, tzinfo=UTC)
    out = []
    for n in range(count):
        text = _text(texts, n, copies)
        signature, keys = sketch(text)
        document = Document(
            id=f"{n:020x}",
            url=f"http://127.0.0.1/f{n}/a.html",
            source_id=f"f{n}",
            outlet=f"Outlet {n}",
            domain="127.0.0.1",
            title=f"Story {n}",
            text=text,
            fetched_at=now,
            published_at=now,
        )
        out.append(SketchedDocument(document, [], signature, keys, index_text(text)))
    return out


def _writer_cpu() -> float:
    """CPU seconds of the store's writer thread (by its name) so far."""
    (writer,) = (t for t in threading.enumerate() if t.name.startswith("clarion-sqlite-writer"))
    return proc_stat(f"self/task/{writer.native_id}")[1]


async def run(args: argparse.Namespace) -> None:
    documents = _documents(args.documents, args.copies)
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "clarion.db")
        await store.open()
        try:
            await store.save_sketched(documents[:1])  # the writer thread exists from here
            saved, cpu = 1, _writer_cpu()
            for start in range(1, len(documents), args.batch):
                upto = min(start + args.batch, len(documents))
                await store.save_sketched(documents[start:upto])
                if upto - saved >= args.window or upto == len(documents):
                    now = _writer_cpu()
                    per = (now - cpu) / (upto - saved) * 1000
                    print(f"documents {saved:6d}-{upto:6d}: writer {per:5.2f} ms CPU a document")
                    saved, cpu = upto, now
        finally:
            await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=3000)
    parser.add_argument("--copies", choices=("verbatim", "none"), default="verbatim")
    parser.add_argument("--batch", type=int, default=8, help="documents a save_sketched call")
    parser.add_argument("--window", type=int, default=1000, help="documents a printed line")
    args = parser.parse_args()
    print(
        f"command: .venv/bin/python -m bench.syndication --documents {args.documents}"
        f" --copies {args.copies} --batch {args.batch} --window {args.window}"
    )
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

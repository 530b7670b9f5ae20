"""Documents and their mentions on Elasticsearch: saving, reading, retention.

A mixin of ``ElasticsearchStore``; where documents and mentions are stored
(monthly indices): ``search._es_codec``.

- **Saving a document** (no multi-document transactions in Elasticsearch):
  its mentions are written first (one bulk: index the new ones, delete the
  stale ones: those the stored document lists and, found by one search, any
  other mention of the document, left by a save that stopped before its
  document was written), the document last, with optimistic concurrency
  (``op_type=create`` for a new one, ``if_seq_no`` for an update). The
  document is the commit point: "unchanged" is only ever answered by a stored
  document, so a save that failed half-way is completed by the next save of
  the same document. A lost race (409) re-reads and decides again. A URL
  alias (``search._sqlite_codec.alias_id``) is written before the document,
  in the ``url-aliases`` configuration index.
- **Reading**: ids are looked up ``_IDS_CHUNK`` at a time with ``ids``
  queries over every month; ``stored_versions`` follows the URL aliases.
- **Refreshing engagement counts** (``update_engagement``): each changed document
  is indexed whole with its new ``extra``, conditionally on the version read
  (``if_seq_no``), in one bulk; its mentions are not touched.
- **Copying out and retention**: ``documents_after`` and ``delete_before`` are
  in ``search._es_maintenance``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crawlers import Document
from crawlers.social import with_engagement
from enrichment import Mention, Syndication
from search import _es_codec as esc
from search import _sqlite_codec as codec
from search._engagement import checked_counts
from search._es_client import EsCalls, VersionConflict, bulk_error
from search._es_maintenance import delete_before, documents_after, stray_mentions
from search._es_queries import MAX_PAGE_SIZE
from search._store import SaveOutcome, StoredVersion, StoreError, TemporaryStoreError

__all__ = ["ElasticsearchDocuments"]

# Attempts of save_document when it keeps losing optimistic-concurrency races;
# each lost race means another writer saved the same document in between, so
# five rounds settle any realistic burst of duplicate deliveries.
_SAVE_ATTEMPTS = 5
# Ids looked up per request by existing_document_ids: below the default
# max_result_window (10 000) and a modest request body.
_IDS_CHUNK = 1000


class ElasticsearchDocuments:
    """The documents and mentions of ``ElasticsearchStore`` (see the module docstring)."""

    prefix: str
    refresh: Any

    if TYPE_CHECKING:  # provided by ElasticsearchStore and ElasticsearchConfiguration

        def _opened(self) -> EsCalls:
            raise NotImplementedError

        async def _put(self, kind: str, key: str, body: str) -> None:
            raise NotImplementedError

    async def save_document(
        self,
        document: Document,
        mentions: Sequence[Mention],
        *,
        syndication: Syndication | None = None,
        replace: bool = False,
    ) -> SaveOutcome:
        """Write ``document`` and its mentions (see the module docstring and the contract).

        ``"unchanged"`` when the stored copy has the same title, text and ``updated_at``
        (unless ``replace``).
        """
        return await self._save_document(document, mentions, syndication, replace=replace)

    async def _save_document(
        self,
        document: Document,
        mentions: Sequence[Mention],
        syndication: Syndication | None,
        *,
        replace: bool = False,
        text_words: str | None = None,
    ) -> SaveOutcome:
        """``save_document``; ``text_words`` as ``search.SketchedDocument`` has them."""
        calls = self._opened()
        brand_ids = sorted({m.brand_id for m in mentions})
        source = esc.document_source(document, brand_ids, syndication, text_words=text_words)
        cluster = syndication.cluster_id if syndication is not None else None
        words = (source["title_words"], source["text_words"])
        bodies = [  # validates first
            esc.mention_source(document, m, words, cluster_id=cluster) for m in mentions
        ]
        index = esc.month_index(self.prefix, "documents", source["counted_us"])
        alias = codec.alias_id(document)
        if alias is not None:  # before the document: a crash leaves an alias of nothing
            await self._put("url-aliases", alias, document.id)
        for _ in range(_SAVE_ATTEMPTS):
            old = await self._stored(calls, document.id, index)
            if old is not None and not replace and _same_version(old["_source"], document):
                return "unchanged"
            await self._write_mentions(calls, document.id, source["counted_us"], bodies, old)
            try:
                await self._write_document(calls, index, source, old)
            except VersionConflict:
                continue  # another writer saved this document in between: decide again
            return "created" if old is None else "updated"
        raise TemporaryStoreError(
            f"save_document {document.id!r}: lost {_SAVE_ATTEMPTS} concurrent-write races"
        )

    async def _stored(self, calls: EsCalls, doc_id: str, index: str) -> dict[str, Any] | None:
        """The stored copy, with ``_index``, ``_seq_no``, ``_primary_term``; or ``None``.

        A realtime GET on the index the document belongs in (it sees writes
        that a search may not yet), then a search over every month, for a
        document whose counted time changed.
        """
        got = await calls.call(
            "save_document: get", calls.client.get, index=index, id=doc_id, allow=(404,)
        )
        if got.get("found"):
            return got
        found = await calls.call(
            "save_document: find",
            calls.client.search,
            index=esc.index_pattern(self.prefix, "documents"),
            query={"ids": {"values": [doc_id]}},
            seq_no_primary_term=True,
            size=1,
        )
        hits: list[dict[str, Any]] = found["hits"]["hits"]
        return hits[0] if hits else None

    async def _write_mentions(
        self,
        calls: EsCalls,
        doc_id: str,
        counted: int,
        bodies: list[dict[str, Any]],
        old: dict[str, Any] | None,
    ) -> None:
        index = esc.month_index(self.prefix, "mentions", counted)
        operations: list[dict[str, Any]] = []
        new_ids = set()
        for body in bodies:
            mid = esc.mention_id(doc_id, body["brand_id"])
            new_ids.add((index, mid))
            operations += [{"index": {"_index": index, "_id": mid}}, body]
        stale: set[tuple[str, str]] = set()
        if old is not None:
            old_index = esc.month_index(self.prefix, "mentions", old["_source"]["counted_us"])
            old_brands = old["_source"].get("brand_ids") or ()
            stale.update((old_index, esc.mention_id(doc_id, b)) for b in old_brands)
        # Mentions the stored document does not list: left by a save that stopped
        # before its document was written (a crash), or by a document never written.
        keep = {body["brand_id"] for body in bodies}
        stale.update(
            await stray_mentions(calls, self.prefix, doc_id, keep=keep, counted_us=counted)
        )
        for old_index, mid in sorted(stale - new_ids):
            operations.append({"delete": {"_index": old_index, "_id": mid}})
        await calls.bulk("save_document: mentions", operations, refresh=self.refresh)

    async def _write_document(
        self, calls: EsCalls, index: str, source: dict[str, Any], old: dict[str, Any] | None
    ) -> None:
        doc_id = source["id"]
        if old is not None and old["_index"] == index:
            await calls.call(
                "save_document: update",
                calls.client.index,
                index=index,
                id=doc_id,
                document=source,
                if_seq_no=old["_seq_no"],
                if_primary_term=old["_primary_term"],
                refresh=self.refresh,
            )
            return
        await calls.call(
            "save_document: create",
            calls.client.index,
            index=index,
            id=doc_id,
            document=source,
            op_type="create",
            refresh=self.refresh,
        )
        if old is not None:  # moved to another month
            await calls.call(
                "save_document: move",
                calls.client.delete,
                index=old["_index"],
                id=doc_id,
                if_seq_no=old["_seq_no"],
                if_primary_term=old["_primary_term"],
                refresh=self.refresh,
                allow=(404,),
            )

    async def existing_document_ids(self, ids: Sequence[str]) -> set[str]:
        calls = self._opened()
        unique = list(dict.fromkeys(ids))
        found: set[str] = set()
        for i in range(0, len(unique), _IDS_CHUNK):
            chunk = unique[i : i + _IDS_CHUNK]
            page = await calls.call(
                "existing_document_ids",
                calls.client.search,
                index=esc.index_pattern(self.prefix, "documents"),
                query={"ids": {"values": chunk}},
                source=False,
                size=len(chunk),
            )
            found.update(str(h["_id"]) for h in page["hits"]["hits"])
        return found

    async def stored_versions(self, ids: Sequence[str]) -> dict[str, StoredVersion]:
        """Per chunk of ids: one search of the documents, one of the aliases for the ids
        not found, one of the documents those aliases name (see ``search.Store``)."""
        calls = self._opened()
        unique = list(dict.fromkeys(ids))
        found: dict[str, StoredVersion] = {}
        for i in range(0, len(unique), _IDS_CHUNK):
            chunk = unique[i : i + _IDS_CHUNK]
            direct = await self._versions(calls, chunk)
            found.update(direct)
            missing = [doc_id for doc_id in chunk if doc_id not in direct]
            if not missing:
                continue
            page = await calls.call(
                "stored_versions: aliases",
                calls.client.search,
                index=esc.config_index(self.prefix, "url-aliases"),
                query={"ids": {"values": missing}},
                size=len(missing),
            )
            targets = {str(h["_id"]): str(h["_source"]["body"]) for h in page["hits"]["hits"]}
            if not targets:
                continue
            versions = await self._versions(calls, sorted(set(targets.values())))
            for asked, target in targets.items():
                if target in versions:
                    found[asked] = versions[target]
        return found

    async def _versions(self, calls: EsCalls, ids: list[str]) -> dict[str, StoredVersion]:
        page = await calls.call(
            "stored_versions",
            calls.client.search,
            index=esc.index_pattern(self.prefix, "documents"),
            query={"ids": {"values": ids}},
            source=["extra"],
            size=len(ids),
        )
        found: dict[str, StoredVersion] = {}
        for hit in page["hits"]["hits"]:
            extra = (hit.get("_source") or {}).get("extra") or {}
            found[str(hit["_id"])] = StoredVersion(
                str(hit["_id"]), codec.updated_stamp(extra.get("updated_at"))
            )
        return found

    async def get_document(self, document_id: str) -> Document | None:
        calls = self._opened()
        page = await calls.call(
            "get_document",
            calls.client.search,
            index=esc.index_pattern(self.prefix, "documents"),
            query={"ids": {"values": [document_id]}},
            size=1,
        )
        hits = page["hits"]["hits"]
        return esc.document_from_source(hits[0]["_source"]) if hits else None

    async def get_documents(self, ids: Sequence[str]) -> dict[str, Document]:
        """One search per ``_IDS_CHUNK`` ids over every month (see ``search.Store``)."""
        calls = self._opened()
        found: dict[str, Document] = {}
        for hit in await self._hits(calls, "get_documents", list(dict.fromkeys(ids))):
            found[str(hit["_id"])] = esc.document_from_source(hit["_source"])
        return found

    async def update_engagement(self, counts: Mapping[str, Mapping[str, int]]) -> int:
        """Read the documents, then one bulk writing back those whose counts changed
        (see ``search.Store``).

        No scripted or merging partial update: a merge cannot remove a count. Each
        changed document is indexed whole, with its new ``extra``, on the condition
        that it is still the version read (``if_seq_no``), so a ``save_document``
        in between is never undone: the documents that lost such a race are read
        and written again, up to ``_SAVE_ATTEMPTS`` rounds. Mentions are not touched.
        """
        calls = self._opened()
        wanted = checked_counts(counts)
        changed = 0
        pending = sorted(wanted)
        for _ in range(_SAVE_ATTEMPTS):
            operations: list[dict[str, Any]] = []
            for hit in await self._hits(calls, "update_engagement: read", pending):
                source = hit["_source"]
                extra = source.get("extra") or {}
                new = with_engagement(extra, wanted[str(hit["_id"])])
                if new == extra:
                    continue
                target = {
                    "_index": hit["_index"],
                    "_id": hit["_id"],
                    "if_seq_no": hit["_seq_no"],
                    "if_primary_term": hit["_primary_term"],
                }
                operations += [{"index": target}, {**source, "extra": new}]
            if not operations:
                return changed
            body = await calls.call(
                "update_engagement",
                calls.client.bulk,
                operations=operations,
                refresh=self.refresh,
            )
            items: list[dict[str, Any]] = body.get("items", [])
            results = [result for item in items for result in item.values()]
            lost = sorted(str(r["_id"]) for r in results if r.get("status") == 409)
            failed = [i for i, r in zip(items, results, strict=True) if _failed(r)]
            if failed:
                raise bulk_error("update_engagement", failed)
            changed += len(results) - len(lost)
            pending = lost
        raise TemporaryStoreError(
            f"update_engagement: lost {_SAVE_ATTEMPTS} concurrent-write races"
        )

    async def _hits(self, calls: EsCalls, action: str, ids: list[str]) -> list[dict[str, Any]]:
        """The stored documents of ``ids`` as search hits, with ``_seq_no`` and
        ``_primary_term``: one search per ``_IDS_CHUNK`` ids over every month."""
        hits: list[dict[str, Any]] = []
        for i in range(0, len(ids), _IDS_CHUNK):
            chunk = ids[i : i + _IDS_CHUNK]
            page = await calls.call(
                action,
                calls.client.search,
                index=esc.index_pattern(self.prefix, "documents"),
                query={"ids": {"values": chunk}},
                seq_no_primary_term=True,
                size=len(chunk),
            )
            hits.extend(page["hits"]["hits"])
        return hits

    async def count_documents(self) -> int:
        calls = self._opened()
        body = await calls.call(
            "count_documents",
            calls.client.count,
            index=esc.index_pattern(self.prefix, "documents"),
        )
        return int(body["count"])

    async def documents_after(
        self, after: str | None, *, limit: int
    ) -> list[tuple[Document, list[Mention]]]:
        """Up to ``limit`` (1 to ``MAX_PAGE_SIZE``) documents with ids above ``after``,
        ascending, each with its mentions (see ``search.Store``)."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise StoreError(f"limit {limit} outside 1..{MAX_PAGE_SIZE}")
        return await documents_after(self._opened(), self.prefix, after, limit=limit)

    async def delete_before(self, cutoff: datetime) -> int:
        """Retention: delete what is counted before ``cutoff``; the documents deleted.

        Whole months go as indices, the partial month by query
        (``search._es_maintenance``).
        """
        codec.to_us(cutoff)  # naive instants raise StoreError before anything is deleted
        return await delete_before(self._opened(), self.prefix, cutoff)


def _failed(result: dict[str, Any]) -> bool:
    """A bulk item that failed otherwise than by losing a race (409, retried)."""
    status = int(result.get("status", 500))
    return status >= 300 and status != 409


def _same_version(stored: dict[str, Any], document: Document) -> bool:
    """Title, text and ``extra["updated_at"]`` as stored: a save changes nothing."""
    extra = stored.get("extra") or {}
    return (stored["title"], stored["text"], extra.get("updated_at")) == (
        document.title,
        document.text,
        document.extra.get("updated_at"),
    )

"""Social sources and OPML over the API, on a real uvicorn server.

``/v1/sources`` accepts ``kind: social`` sources and refuses bad ones with a
problem body naming the field; ``/v1/sources/opml`` exports every source as
byte-stable OPML 2.0 and imports OPML idempotently (the same logic as
``clarion sources import``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service._app import create_app
from service._settings import Settings
from tests._servers import serve_app
from tests.service.test_api import assert_problem

READER_EXPORT = Path(__file__).parents[1] / "fixtures" / "opml" / "reader_export.opml"
OPML = {"content-type": "text/x-opml"}
REDDIT = {
    "id": "reddit-acme",
    "kind": "social",
    "platform": "reddit",
    "target": "r/acme",
    "outlet": "Reddit r/acme",
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    settings = Settings(data_dir=tmp_path, crawl=False, extract_workers=1, model_threads=1)
    with serve_app(create_app(settings)) as base, httpx.Client(base_url=base) as c:
        yield c


def test_a_social_source_is_created_with_its_platform_defaults(client: httpx.Client) -> None:
    created = client.post("/v1/sources", json=REDDIT)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["url"] == "https://www.reddit.com" and body["channel"] == "social"
    assert (body["kind"], body["platform"], body["target"]) == ("social", "reddit", "r/acme")
    mastodon = {**REDDIT, "id": "m", "platform": "mastodon", "target": "#acme@mastodon.social"}
    assert client.put("/v1/sources/m", json=mastodon).json()["url"] == "https://mastodon.social"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"platform": None}, "platform"),
        ({"platform": "myspace"}, "platform"),
        ({"target": ""}, "target"),
        ({"platform": "youtube", "target": "not a channel"}, "target"),
        ({"platform": "mastodon", "target": "#tag-without-instance"}, "target"),
        ({"url": "ftp://www.reddit.com"}, "url"),
    ],
)
def test_bad_social_sources_are_refused_naming_the_field(
    client: httpx.Client, change: dict[str, object], field: str
) -> None:
    payload = {k: v for k, v in {**REDDIT, **change}.items() if v is not None}
    assert_problem(client.post("/v1/sources", json=payload), 422, field)


@pytest.mark.parametrize("reserved", ["health", "opml"])
def test_a_source_cannot_take_the_id_of_an_api_path(client: httpx.Client, reserved: str) -> None:
    payload = {"id": reserved, "outlet": "F", "url": "https://f.example/feed"}
    body = assert_problem(client.post("/v1/sources", json=payload), 422, "id")
    assert f"/v1/sources/{reserved}" in str(body)


def test_a_feed_source_still_needs_a_url(client: httpx.Client) -> None:
    assert_problem(client.post("/v1/sources", json={"id": "f", "outlet": "F"}), 422, "url")


def test_opml_import_is_idempotent_and_the_export_round_trips(client: httpx.Client) -> None:
    assert client.post("/v1/sources", json=REDDIT).status_code == 201
    first = client.post("/v1/sources/opml", content=READER_EXPORT.read_bytes(), headers=OPML)
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 5, "updated": 0, "unchanged": 0}
    again = client.post(
        "/v1/sources/opml",
        content=READER_EXPORT.read_bytes(),
        headers={"content-type": "application/xml; charset=utf-8"},
    )
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 5}

    exported = client.get("/v1/sources/opml")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/x-opml")
    assert b'clarion:platform="reddit"' in exported.content
    assert client.get("/v1/sources/opml").content == exported.content  # byte-stable

    # Re-importing the export changes nothing; an edited outline is an update.
    same = client.post("/v1/sources/opml", content=exported.content, headers=OPML)
    assert same.json() == {"created": 0, "updated": 0, "unchanged": 6}
    edited = exported.content.replace(b'clarion:target="r/acme"', b'clarion:target="r/globex"')
    assert client.post("/v1/sources/opml", content=edited, headers=OPML).json() == {
        "created": 0,
        "updated": 1,
        "unchanged": 5,
    }
    assert client.get("/v1/sources/reddit-acme").json()["target"] == "r/globex"


def test_an_empty_store_exports_an_empty_opml(client: httpx.Client) -> None:
    body = client.get("/v1/sources/opml").content
    assert body.startswith(b"<?xml") and b"<body/>" in body


def test_bad_opml_is_refused_with_a_problem(client: httpx.Client) -> None:
    assert_problem(client.post("/v1/sources/opml", content=b"<html/>", headers=OPML), 400)
    assert_problem(client.post("/v1/sources/opml", content=b"", headers=OPML), 400)
    assert_problem(client.post("/v1/sources/opml", content=b"<opml><b", headers=OPML), 400)
    assert_problem(client.post("/v1/sources/opml", content=READER_EXPORT.read_bytes()), 415)
    bad_social = (
        b'<opml version="2.0" xmlns:clarion="https://github.com/clarion-media/clarion/opml">'
        b'<body><outline text="YT" xmlUrl="https://www.youtube.com" clarion:kind="social"'
        b' clarion:platform="youtube" clarion:target="nope"/></body></opml>'
    )
    body = assert_problem(
        client.post("/v1/sources/opml", content=bad_social, headers=OPML), 422, "target"
    )
    assert body["errors"][0]["field"] == "outlines.0.target"
    assert client.get("/v1/sources").json()["items"] == []  # nothing stored

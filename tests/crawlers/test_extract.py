"""extract_article on real news pages (tests/fixtures/pages, see its README)."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import pickle
import re
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers import Extracted, extract_article, warm_extraction
from tests.crawlers._warm import date_patterns_compiled

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"
GROUND_TRUTH: dict[str, dict[str, str]] = json.loads(
    (PAGES / "ground-truth.json").read_text(encoding="utf-8")
)
SCIENCEALERT = "14cc2a0ca59c62a8c9f205a171e9ccf4ef4cf69b0c642f51c8c65c051b39024f"
AP = "82b6d780c792df78dcfb00484d50c86fbc7f324a9eb5835b7615f028edb9a574"
NBC = "5a822960e9a2cb1e664d334b6c936c5cb6e41fb5331877538c2c8339cb59d57e"
SMITHSONIAN = "ea25dd7edff4d27973600f35728f20aed5a3eedcc23257d9c3afc3d3e840c3de"

# Share of the ground truth's sentences found verbatim in the extracted text. The
# four pages score 0.88-1.0 with trafilatura 2.3 (favor_precision); a drop below
# this floor means extraction got worse, not that the floor should move.
SENTENCE_RECALL_FLOOR = 0.8


def page(page_id: str) -> bytes:
    return gzip.decompress((PAGES / f"{page_id}.html.gz").read_bytes())


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 40]


@pytest.mark.parametrize("page_id", sorted(GROUND_TRUTH))
def test_extracted_text_contains_the_ground_truth_sentences(page_id: str) -> None:
    truth = GROUND_TRUTH[page_id]
    extracted = extract_article(page(page_id), url=truth["url"])
    assert extracted is not None
    expected = sentences(truth["articleBody"])
    found = [s for s in expected if s in extracted.text]
    assert len(found) / len(expected) >= SENTENCE_RECALL_FLOOR
    # Precision: the text is not much longer than the article (no menus, comments).
    assert len(extracted.text) < 1.2 * len(truth["articleBody"])


def test_metadata_of_an_ap_story() -> None:
    extracted = extract_article(page(AP), url=GROUND_TRUTH[AP]["url"])
    assert extracted is not None
    assert extracted.title == "Unpredictable Sondland faces questions about Trump, Ukraine"
    assert "LISA MASCARO" in extracted.authors
    assert extracted.published_at == datetime(2019, 11, 20, 10, 52, 20, tzinfo=UTC)
    assert extracted.language == "en"
    assert extracted.canonical_url == GROUND_TRUTH[AP]["url"]
    assert extracted.description is not None
    assert extracted.description.startswith("WASHINGTON (AP)")


def test_metadata_of_a_magazine_story() -> None:
    extracted = extract_article(page(SMITHSONIAN), url="https://www.smithsonianmag.com/x?utm=1")
    assert extracted is not None
    assert extracted.title == "Three Cases of Plague Diagnosed in China"
    assert extracted.authors == ("Brigit Katz",)
    assert extracted.published_at is not None
    assert extracted.published_at.tzinfo is UTC
    assert extracted.published_at.date() == datetime(2019, 11, 18).date()
    assert extracted.canonical_url == GROUND_TRUTH[SMITHSONIAN]["url"]


def test_page_language_comes_from_the_markup() -> None:
    extracted = extract_article(page(SCIENCEALERT), url=GROUND_TRUTH[SCIENCEALERT]["url"])
    assert extracted is not None
    assert extracted.language == "en-gb"


def test_accepts_str_and_relative_canonical() -> None:
    body = " ".join(["The company announced record results for the quarter."] * 12)
    html = (
        '<html lang="pt-BR"><head><title>Results</title>'
        '<link rel="canonical" href="/news/results">'
        '<meta property="article:published_time" content="2024-05-01T09:30:00-03:00">'
        f"</head><body><article><h1>Results</h1><p>{body}</p></article></body></html>"
    )
    extracted = extract_article(html, url="https://example.com.br/news/results?amp=1")
    assert extracted is not None
    assert extracted.language == "pt-br"
    assert extracted.canonical_url == "https://example.com.br/news/results"
    assert extracted.published_at == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert "record results" in extracted.text


@pytest.mark.parametrize(
    "html",
    [
        b"",
        b"not html at all",
        b"<html><body><nav><a href='/'>Home</a></nav></body></html>",
        b"<html><body><p>Too short to be an article.</p></body></html>",
    ],
)
def test_pages_without_main_text_give_none(html: bytes) -> None:
    assert extract_article(html, url="https://example.com/") is None


def test_result_pickles_and_runs_in_a_process_pool() -> None:
    html = page(NBC)
    url = GROUND_TRUTH[NBC]["url"]
    # "spawn": a fresh interpreter, so the function and its result must really pickle.
    with ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        remote = pool.submit(extract_article, html, url=url).result()
    local = extract_article(html, url=url)
    assert isinstance(remote, Extracted)
    assert remote == local
    assert pickle.loads(pickle.dumps(local)) == local


def test_warm_extraction_does_a_workers_one_time_set_up_when_it_starts() -> None:
    # Fresh interpreters: this one may have read a date in words already.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as cold:
        assert cold.submit(date_patterns_compiled).result() == 0
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn, initializer=warm_extraction) as warm:
        assert warm.submit(date_patterns_compiled).result() > 100

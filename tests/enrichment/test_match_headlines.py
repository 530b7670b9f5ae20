"""Brand matching on real headlines (SEntFiN 1.0, see tests/fixtures/enrichment/README.md)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from enrichment import Brand, brand_query, find_spans, parse_query

FIXTURE = Path(__file__).parents[1] / "fixtures" / "enrichment" / "sentfin_headlines.csv"
# The dataset README's pattern for the entity → label dict of a row.
_DECISION = re.compile(r"""(?:'(.*?)'|"(.*?)"): '(positive|negative|neutral)'(?=, ['"]|\}$)""")

# Upstream rows whose surface form is not in the headline as a whole word.
QUIRKS = {
    ("109", "Sebi"): "Sebis",  # possessive written without an apostrophe
    ("3239", "Wipro"): "Wipros",
    ("793", "Alibab"): "Alibaba",  # truncated annotation
}


def _rows() -> list[tuple[str, str, str]]:
    with FIXTURE.open(encoding="utf-8", newline="") as f:
        return [
            (row["S No."], row["Title"], m.group(1) or m.group(2))
            for row in csv.DictReader(f)
            for m in _DECISION.finditer(row["Decisions"])
        ]


ROWS = _rows()


def test_fixture_is_loaded() -> None:
    assert len(ROWS) == 29


@pytest.mark.parametrize(("number", "title", "entity"), ROWS, ids=[f"{r[0]}-{r[2]}" for r in ROWS])
def test_each_annotated_entity_is_found_by_its_name(number: str, title: str, entity: str) -> None:
    result = find_spans(brand_query(Brand(id="b", name=entity)), title=title, text="")
    if (number, entity) in QUIRKS:
        assert not result.matched
        # ... which a prefix query covers, as a user would write it
        assert find_spans(parse_query(f"{entity}*"), title=title, text="").matched
        return
    assert result.matched
    found = [title[s.start : s.end] for s in result.spans]
    assert all(f.casefold().replace("-", " ") in entity.casefold().replace("-", " ") for f in found)


def test_possessive_hits_end_before_the_apostrophe() -> None:
    title = "Taking DVR route to Tata Motors' rights issue may be a better play"
    [span] = find_spans(parse_query('"Tata Motors"'), title=title, text="").spans
    assert title[span.start : span.end] == "Tata Motors"


def test_a_longer_company_name_is_not_a_hit() -> None:
    title = "HCL Infosystems announces key additions to its Board of Directors"
    assert not find_spans(parse_query("Infosys"), title=title, text="").matched
    assert find_spans(parse_query("Infosys*"), title=title, text="").matched


def test_a_group_query_on_headlines() -> None:
    query = parse_query("(Infosys OR Wipro) NOT HCL")
    matched = [title for _, title, _ in ROWS if find_spans(query, title=title, text="").matched]
    assert set(matched) == {
        "At Wipro, growth remains a mirage",
        "Infosys' March guidance for next fiscal is very crucial",
        "ET 500: Why Dynamatic is the Infosys of aerospace manufacturing",
        "IT stocks lead gain in weak market post Infosys results",
    }

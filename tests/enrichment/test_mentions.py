"""Mention drafts: title and lead, counts, snippets, sentiment targets, spokespeople."""

from __future__ import annotations

from enrichment import Brand, MentionDraft, Node, Target, brand_query, find_mentions
from enrichment._mentions import LEAD_CHARS, SNIPPET_CHARS, TARGET_CHARS
from enrichment._sentences import split_sentences

ACME = Brand(id="acme", name="Acme", aliases=("Acme Corp",), spokespeople=("Jane Doe", "Bob Roe"))
GLOBEX = Brand(id="globex", name="Globex")
INITECH = Brand(id="initech", name="Initech")

TITLE = "Acme beats Globex in quarterly sales"
TEXT = """Acme Corp. reported record revenue on Tuesday, its chief executive Jane Doe said.
Analysts had expected less.

Globex, its main rival, lost market share. "We will respond," a Globex spokesman said. \
Mr. Smith of Globex Inc. declined to comment further.

Shares of Acme rose 4%."""


def brands(*items: Brand) -> list[tuple[Brand, Node]]:
    return [(b, brand_query(b)) for b in items]


def mentions(title: str = TITLE, text: str = TEXT, *items: Brand) -> dict[str, MentionDraft]:
    found = find_mentions(
        document_id="d1", title=title, text=text, brands=brands(*(items or (ACME, GLOBEX, INITECH)))
    )
    return {m.brand_id: m for m in found}


def test_only_matching_brands_have_mentions() -> None:
    found = mentions()
    assert set(found) == {"acme", "globex"}
    assert found["acme"].document_id == "d1"


def test_title_lead_and_count() -> None:
    found = mentions()
    acme, globex = found["acme"], found["globex"]
    assert acme.in_title and acme.in_lead
    assert acme.count == 3  # title, "Acme Corp" (one merged hit), "Shares of Acme"
    assert globex.in_title and not globex.in_lead  # Globex is in the second paragraph
    assert globex.count == 4


def test_lead_is_the_first_paragraph_capped() -> None:
    text = "word " * 100 + "Acme appears late in a long first paragraph."
    assert 500 > LEAD_CHARS
    assert not mentions("", text, ACME)["acme"].in_lead
    assert mentions("", "\n\n  Acme opens the story.\nMore.", ACME)["acme"].in_lead


def test_snippets_are_sentences_title_first() -> None:
    acme = mentions()["acme"]
    assert acme.snippets == (
        "Acme beats Globex in quarterly sales",
        "Acme Corp. reported record revenue on Tuesday, its chief executive Jane Doe said.",
        "Shares of Acme rose 4%.",
    )
    globex = mentions()["globex"]
    assert globex.snippets == (
        "Acme beats Globex in quarterly sales",
        "Globex, its main rival, lost market share.",
        '"We will respond," a Globex spokesman said.',
    )


def test_snippets_are_whitespace_normalized_and_bounded() -> None:
    text = (
        "Intro.\n\nThe   results\tof  Acme   were\u00a0good. More " + "filler " * 100 + "Acme again"
    )
    acme = mentions("", text, ACME)["acme"]
    assert acme.snippets[0] == "The results of Acme were good."
    long_one = acme.snippets[1]
    assert len(long_one) <= SNIPPET_CHARS
    assert long_one.startswith("…") and long_one.endswith("Acme again")


def test_targets_are_sentences_with_the_hit_span() -> None:
    acme = mentions()["acme"]
    assert len(acme.targets) == 3
    title, first, last = acme.targets
    assert title == Target(TITLE, 0, 4)
    assert first.text[first.start : first.end] == "Acme Corp"
    assert first.text.endswith("Jane Doe said.")
    assert last.text[last.start : last.end] == "Acme"


def test_targets_are_capped_and_bounded() -> None:
    text = " ".join(f"Acme did thing number {i}." for i in range(20))
    found = find_mentions(document_id="d", title="", text=text, brands=brands(ACME), max_targets=2)
    assert found[0].count == 20
    assert len(found[0].targets) == 2
    assert len(found[0].snippets) == 3
    long_text = "Acme " + "and more words " * 100
    [draft] = find_mentions(document_id="d", title="", text=long_text, brands=brands(ACME))
    [target] = draft.targets
    assert len(target.text) <= TARGET_CHARS
    assert target.text[target.start : target.end] == "Acme"


def test_target_span_survives_whitespace_normalization() -> None:
    text = "Yesterday   \t the   firm\n Acme   Corp   won."
    [draft] = find_mentions(document_id="d", title="", text=text, brands=brands(ACME))
    [target] = draft.targets
    assert target.text == "Acme Corp won."  # a line break ends a sentence
    assert target.text[target.start : target.end] == "Acme Corp"


def test_spokespeople_named_in_the_document() -> None:
    assert mentions()["acme"].spokespeople == ("Jane Doe",)
    assert mentions()["globex"].spokespeople == ()


def test_a_query_with_exclusions_gives_only_positive_targets() -> None:
    brand = Brand(id="apple", name="Apple", query='Apple NOT "apple pie"')
    text = "Apple shipped. Apple stores were busy."
    [draft] = find_mentions(document_id="d", title="", text=text, brands=brands(brand))
    assert [t.text for t in draft.targets] == ["Apple shipped.", "Apple stores were busy."]
    assert (
        find_mentions(
            document_id="d", title="", text="Apple pie day at Apple.", brands=brands(brand)
        )
        == []
    )


def test_sentence_splitter_on_news_prose() -> None:
    text = (
        'Mr. Smith of Acme Inc. said the U.S. market grew 6.4%. Sales fell! Why? "Great," he '
        "said. Then J. Doe left, e.g. early. Yahoo! reported.\nNew paragraph\n\n"
        "苹果公司发布了新款手机。股价上涨！"
    )
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "Mr. Smith of Acme Inc. said the U.S. market grew 6.4%.",
        "Sales fell!",
        "Why?",
        '"Great," he said.',
        "Then J. Doe left, e.g. early.",
        "Yahoo! reported.",
        "New paragraph",
        "苹果公司发布了新款手机。",
        "股价上涨！",
    ]
    assert split_sentences("") == []
    assert split_sentences("  no end mark  ") == [(2, 13)]

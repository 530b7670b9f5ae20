"""Language detection with py3langid: ISO 639-1 codes, ``None`` when unsure."""

from __future__ import annotations

import pytest

from enrichment import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("SpiceJet to issue 6.4 crore warrants to promoters", "en"),
        ("Le gouvernement a annoncé une nouvelle réforme des retraites", "fr"),
        ("Die Bundesregierung plant neue Steuern für Unternehmen", "de"),
        ("El presidente anunció nuevas medidas económicas para el país", "es"),
        ("Новый смартфон компании поступит в продажу в сентябре", "ru"),
        ("アップルは新しいiPhoneを発表した", "ja"),
        ("苹果公司发布了新款手机，股价上涨", "zh"),
    ],
)
def test_detects_the_language_of_news_text(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    "text", ["", "   ", "Apple", "ok ok", "12345 67890 !!!", "Apple launches iPhone"]
)
def test_short_or_unsure_text_is_none(text: str) -> None:
    assert detect_language(text) is None


def test_long_text_is_cut_not_refused() -> None:
    assert detect_language("The company reported strong quarterly results. " * 500) == "en"


def test_fewer_letters_than_the_minimum_are_none_even_when_the_model_is_sure() -> None:
    # The model alone says German for both (0.80 and 0.76); nine letters are too few.
    assert detect_language("Steuer für") is None
    assert detect_language("Straßenbau") == "de"

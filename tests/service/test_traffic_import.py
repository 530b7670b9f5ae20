"""The CSV layouts of ``service._traffic_import`` (pure parsing; the API test imports files)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from service._traffic_import import parse_csv

UTC_ZONE = ZoneInfo("UTC")


def test_ga4_dates_in_every_shape_and_the_request_zone() -> None:
    text = (
        "Landing page,Date,Sessions\n"
        "https://acme.example/a,20261102,1\n"  # not 2026-01-10 02h
        "https://acme.example/b,2026110213,1\n"
        "https://acme.example/c,2026-11-02,1\n"
    )
    rows, errors = parse_csv(text, tz=ZoneInfo("Europe/Paris"))
    assert errors == []
    assert [r.timestamp.astimezone(UTC) for r in rows] == [
        datetime(2026, 11, 1, 23, tzinfo=UTC),
        datetime(2026, 11, 2, 12, tzinfo=UTC),
        datetime(2026, 11, 1, 23, tzinfo=UTC),
    ]


def test_ga4_columns_hostname_source_medium_and_campaign() -> None:
    text = (
        "Hostname,Session source / medium,Session campaign,landing  PAGE + query string,"
        "Date,Sessions,Conversions\n"
        'shop.acme.example,news.example / referral,(not set),/x?y=1,20261102,"1,200",2.0\n'
        "acme.example,google / cpc,spring,/,20261102,5,0\n"
    )
    rows, errors = parse_csv(text, tz=UTC_ZONE)
    assert errors == []
    first, second = rows
    assert first.landing_url == "https://shop.acme.example/x?y=1"
    assert (first.referrer, first.utm_medium, first.campaign) == (
        "https://news.example/", "referral", ""
    )  # fmt: skip
    assert (first.sessions, first.conversions) == (1200, 2)
    assert (second.referrer, second.utm_medium, second.campaign) == ("", "cpc", "spring")


def test_ids_are_stable_and_identical_rows_stay_distinct() -> None:
    text = (
        "timestamp,referrer,landing_url\n"
        "2026-11-02T10:00:00,-,https://acme.example/\n"
        "2026-11-02T10:00:00,-,https://acme.example/\n"
    )
    rows, _ = parse_csv(text, tz=UTC_ZONE)
    again, _ = parse_csv(text, tz=UTC_ZONE)
    assert [r.id for r in rows] == [r.id for r in again]
    assert len({r.id for r in rows}) == 2
    assert rows[0].timestamp == datetime(2026, 11, 2, 10, tzinfo=UTC)  # naive = in tz
    assert rows[0].referrer == ""


def test_every_bad_row_is_reported_and_none_is_returned() -> None:
    text = (
        "timestamp,referrer,landing_url,sessions,conversions\n"
        "yesterday,,https://acme.example/,1,0\n"
        "2026-11-02T10:00:00Z,,/relative,1,0\n"
        "2026-11-02T10:00:00Z,,https://acme.example/,0,0\n"
        "2026-11-02T10:00:00Z,,https://acme.example/,1,-1\n"
        "2026-11-02T10:00:00Z,,https://acme.example/,1,0\n"
    )
    rows, errors = parse_csv(text, tz=UTC_ZONE)
    assert rows == []
    assert [(e.line, e.field) for e in errors] == [
        (2, "timestamp"), (3, "landing_url"), (4, "sessions"), (5, "conversions")
    ]  # fmt: skip
    _, no_path_base = parse_csv("Landing page,Date\n/x,20261102\n", tz=UTC_ZONE)
    assert [(e.line, e.field) for e in no_path_base] == [(2, "landing page")]
    _, empty = parse_csv("# only notes\n\n", tz=UTC_ZONE)
    assert [(e.line, e.field) for e in empty] == [(1, "header")]

"""A running demo publisher site and Clarion settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from service._demo_site import create_demo_site, demo_config
from service._settings import Settings
from tests._servers import serve_app
from tests.crawlers.social.conftest import SocialServer, create_app


@pytest.fixture(scope="session")
def demo_site() -> Iterator[str]:
    with serve_app(create_demo_site()) as url:
        yield url


@pytest.fixture(scope="session")
def demo_setup(demo_site: str) -> dict[str, Any]:
    return demo_config(demo_site)


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def local_settings(tmp_path: Path, config: dict[str, Any], **changes: Any) -> Settings:
    """Settings for a pipeline run on ``config`` (brands, sources) against publishers on
    127.0.0.1: no politeness delay toward ourselves, one extraction process, one torch
    thread, no background crawl; ``changes`` override any of them."""
    options: dict[str, Any] = {
        "data_dir": tmp_path,
        "config_file": write_config(tmp_path / "c.yaml", config),
        "crawl": False,
        "per_host_interval": 0.0,
        "allow_networks": ["127.0.0.1/32"],
        "extract_workers": 1,
        "model_threads": 1,
    }
    return Settings(**{**options, **changes})


@pytest.fixture
def settings(tmp_path: Path, demo_setup: dict[str, Any]) -> Settings:
    return Settings(
        data_dir=tmp_path,
        config_file=write_config(tmp_path / "clarion.yaml", demo_setup),
        crawl=False,
        per_host_interval=0.0,
        allow_networks=["127.0.0.1/32"],
        per_host_concurrency=8,
        extract_workers=2,
        model_threads=2,
    )


@pytest.fixture
def social() -> Iterator[SocialServer]:
    """The recorded social platforms (tests/crawlers/social), served on 127.0.0.1."""
    server = SocialServer()
    with serve_app(create_app(server)) as base:
        server.base = base
        yield server

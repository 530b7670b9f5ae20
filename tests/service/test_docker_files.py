"""Docker cannot run here: parse the files and check what makes them right."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from service._runtime import load_config_file
from service._settings import Settings

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def _instructions() -> list[tuple[str, str]]:
    text = (DOCKER / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_dockerfile_is_slim_non_root_and_checks_health() -> None:
    steps = _instructions()
    froms = [arg for op, arg in steps if op == "FROM"]
    assert froms and all("slim" in f for f in froms)
    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM") :]
    users = [arg for op, arg in final if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    health = [arg for op, arg in final if op == "HEALTHCHECK"]
    assert health and "/readyz" in health[0]
    assert any(op == "ENTRYPOINT" and "clarion" in arg for op, arg in final)
    assert any(op == "RUN" and "torch==2.13.0" in arg for op, arg in steps)


def test_dockerfile_copies_every_package() -> None:
    copied = " ".join(arg for op, arg in _instructions() if op == "COPY")
    for package in ("crawlers", "enrichment", "search", "service", "pyproject.toml"):
        assert package in copied


def test_compose_wires_clarion_to_a_secured_elasticsearch() -> None:
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    es, app = compose["services"]["elasticsearch"], compose["services"]["clarion"]
    assert es["environment"]["xpack.security.enabled"] == "true"
    assert "healthcheck" in es
    assert app["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    env = app["environment"]
    assert env["CLARION_STORE"] == "elasticsearch"
    assert env["CLARION_ES_URL"].startswith("http://elasticsearch:")
    # every CLARION_ variable the compose file sets is a real setting
    settings = {f"CLARION_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= settings
    # the password is never defaulted in the file
    assert not re.search(r"ELASTIC_PASSWORD:-", (DOCKER / "compose.yaml").read_text())


def test_compose_config_file_is_valid() -> None:
    config = load_config_file(DOCKER / "clarion.yaml")
    assert [b.id for b in config.brands] == ["acme", "globex"]

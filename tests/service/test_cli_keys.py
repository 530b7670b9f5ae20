"""``clarion keys``: create (printed once), list, revoke, against the configured store;
a key made by the CLI opens the real API, and is refused once the CLI revoked it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from service._app import create_app
from service._settings import Settings
from tests._servers import serve_app
from tests.service.test_cli import clarion


def _env(data: Path) -> dict[str, str]:
    return {"CLARION_DATA_DIR": str(data), "CLARION_STORE": "sqlite"}


def _brands(data: Path, key: str) -> httpx.Response:
    settings = Settings(data_dir=data, crawl=False, extract_workers=1, model_threads=1, auth="keys")
    with serve_app(create_app(settings)) as base:
        return httpx.get(
            f"{base}/v1/brands", headers={"Authorization": f"Bearer {key}"}, timeout=60
        )


def test_create_list_use_and_revoke(tmp_path: Path) -> None:
    made = clarion(
        "keys", "create", "--name", "ops", "--scope", "read", "--scope", "write",
        "--brand", "acme", "--rate-limit", "120",
        cwd=tmp_path, env=_env(tmp_path),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    key_id = key.split("_")[1]
    assert key.startswith("clk_") and len(made.stdout.splitlines()) == 1  # the key alone
    assert "not shown again" in made.stderr and key not in made.stderr

    listed = clarion("keys", "list", cwd=tmp_path, env=_env(tmp_path))
    assert listed.returncode == 0, listed.stderr
    [entry] = json.loads(listed.stdout)
    assert entry["id"] == key_id and entry["name"] == "ops"
    assert entry["scopes"] == ["read", "write"] and entry["brands"] == ["acme"]
    assert entry["rate_limit_per_minute"] == 120 and entry["revoked_at"] is None
    assert key.split("_", 2)[2] not in listed.stdout

    assert _brands(tmp_path, key).status_code == 200

    revoked = clarion("keys", "revoke", key_id, cwd=tmp_path, env=_env(tmp_path))
    assert revoked.returncode == 0, revoked.stderr
    assert f"key {key_id} revoked" in revoked.stdout
    assert json.loads(clarion("keys", "list", cwd=tmp_path, env=_env(tmp_path)).stdout)[0][
        "revoked_at"
    ]
    refused = _brands(tmp_path, key)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    env = _env(tmp_path)
    bad_scope = clarion("keys", "create", "--name", "x", "--scope", "root", cwd=tmp_path, env=env)
    assert bad_scope.returncode == 2 and "unknown scope(s) root" in bad_scope.stderr
    no_scope = clarion("keys", "create", "--name", "x", cwd=tmp_path, env=env)
    assert no_scope.returncode == 2 and "--scope" in no_scope.stderr
    unknown = clarion("keys", "revoke", "nope", cwd=tmp_path, env=env)
    assert unknown.returncode == 2 and "no API key 'nope'" in unknown.stderr
    for result in (bad_scope, unknown):
        assert "Traceback" not in result.stderr
    assert json.loads(clarion("keys", "list", cwd=tmp_path, env=env).stdout) == []


def test_the_first_admin_key_opens_the_keys_api(tmp_path: Path) -> None:
    made = clarion(
        "keys", "create", "--name", "first", "--scope", "admin", cwd=tmp_path, env=_env(tmp_path)
    )
    assert made.returncode == 0, made.stderr
    settings = Settings(
        data_dir=tmp_path, crawl=False, extract_workers=1, model_threads=1, auth="keys"
    )
    with serve_app(create_app(settings)) as base:
        auth = {"Authorization": f"Bearer {made.stdout.strip()}"}
        assert httpx.get(f"{base}/v1/brands", timeout=60).status_code == 401
        keys = httpx.get(f"{base}/v1/keys", headers=auth, timeout=60)
        assert keys.status_code == 200 and [k["name"] for k in keys.json()["items"]] == ["first"]

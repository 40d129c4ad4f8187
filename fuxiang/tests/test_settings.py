"""Settings come from the environment; production refuses to start half-configured."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(ROOT)), **env}
    return subprocess.run(  # noqa: S603  (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_env() -> dict[str, str]:
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "fuxiang.example.cn",
        "DJANGO_BEHIND_PROXY": "1",
        "DJANGO_PROXY_COUNT": "1",
        "FUXIANG_DATA_KEYS": "k2026:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "FUXIANG_DATA_KEY_ID": "k2026",
        "FUXIANG_BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }


def test_production_settings_pass_the_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_production_refuses_to_start_without_data_keys():
    env = production_env()
    del env["FUXIANG_DATA_KEYS"]
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "FUXIANG_DATA_KEYS" in result.stderr


def env_example() -> dict[str, str]:
    """The variables .env.example sets, as a deployment that copied it unchanged has them."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_the_env_example_as_shipped_refuses_to_start():
    result = run_manage("check", **env_example())

    assert result.returncode != 0
    assert "still holds the placeholder from .env.example" in result.stderr


@pytest.mark.parametrize(
    ("variable", "debug"),
    [
        ("DJANGO_SECRET_KEY", "0"),
        ("FUXIANG_DATA_KEYS", "0"),
        ("FUXIANG_BLIND_INDEX_KEY", "0"),
        ("FUXIANG_DATA_KEYS", "1"),
        ("FUXIANG_BLIND_INDEX_KEY", "1"),
    ],
)
def test_a_placeholder_left_in_place_stops_the_start_naming_the_variable(variable, debug):
    env = {**production_env(), "DJANGO_DEBUG": debug, variable: env_example()[variable]}

    result = run_manage("check", **env)

    assert result.returncode != 0
    assert f"{variable} still holds the placeholder" in result.stderr


def test_the_placeholder_database_password_stops_a_production_start():
    password = env_example()["POSTGRES_PASSWORD"]
    env = {**production_env(), "DATABASE_URL": f"postgres://fuxiang:{password}@db:5432/fuxiang"}

    result = run_manage("check", **env)

    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_a_malformed_data_key_stops_the_start_naming_the_variable():
    env = {**production_env(), "FUXIANG_DATA_KEYS": "k2026:c2hvcnQ="}  # 5 bytes

    result = run_manage("check", **env)

    assert result.returncode != 0
    assert "FUXIANG_DATA_KEYS: key 'k2026' must be 32 bytes" in result.stderr


def test_debug_with_real_keys_starts():
    result = run_manage("check", DJANGO_DEBUG="1", **production_env())

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_a_token_lifetime_of_zero():
    result = run_manage("check", API_TOKEN_TTL_HOURS="0", **production_env())

    assert result.returncode != 0
    assert "API_TOKEN_TTL_HOURS must be positive" in result.stderr


def test_a_malformed_boolean_is_an_error_not_false():
    result = run_manage("check", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


def test_language_and_time_zone(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"

"""Settings: embedded defaults are safe, production refuses weak secrets."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from servicedesk import config, create_app

ROOT = Path(__file__).resolve().parent.parent


def run_flask(env_extra: dict[str, str], tmp_path: Path, *args: str):
    """Run a flask command in a clean environment with the given variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "SERVICEDESK_ENV", "FLASK_ENV", "DATABASE_URL"}
    }
    env.update({"SERVICEDESK_INSTANCE": str(tmp_path / "instance"), **env_extra})
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("variable", ["SERVICEDESK_ENV", "FLASK_ENV"])
def test_production_without_secret_refuses_to_start(tmp_path, variable):
    result = run_flask({variable: "production"}, tmp_path, "routes")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("secret", ["changeme", "short-secret", "dev"])
def test_production_refuses_weak_secrets(tmp_path, secret):
    result = run_flask({"SERVICEDESK_ENV": "production", "SECRET_KEY": secret}, tmp_path, "routes")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_starts_with_a_real_secret(tmp_path):
    result = run_flask(
        {
            "SERVICEDESK_ENV": "production",
            "SECRET_KEY": "x" * 48,
            "BASE_URL": "https://desk.example.com",
        },
        tmp_path,
        "routes",
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_production_refuses_to_start_without_base_url_from_the_command_line(tmp_path):
    result = run_flask(
        {"SERVICEDESK_ENV": "production", "SECRET_KEY": "x" * 48}, tmp_path, "routes"
    )
    assert result.returncode != 0
    assert "BASE_URL" in result.stderr


def test_embedded_secret_is_created_private_and_kept(tmp_path):
    first = config.resolve_secret({}, tmp_path)
    second = config.resolve_secret({}, tmp_path)
    assert first == second and len(first) >= 32
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_embedded_defaults(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'servicedesk.db'}"
    assert app.config["MAIL_CONSOLE"] is True
    assert app.config["REDIS_URL"] == ""
    assert app.config["ATTACHMENTS_DIR"] == str(tmp_path / "attachments")


def test_postgres_urls_use_psycopg3():
    assert config.normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert config.normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_malformed_number_names_the_setting(tmp_path):
    with pytest.raises(config.ConfigError, match="MAIL_PORT"):
        config.load({"MAIL_PORT": "twenty-five"}, tmp_path)


def test_export_settings_have_their_own_queue_and_a_positive_staleness(tmp_path):
    loaded = config.load({}, tmp_path)
    assert (loaded["RQ_QUEUE"], loaded["EXPORT_QUEUE"]) == (
        "servicedesk-mail",
        "servicedesk-exports",
    )
    assert loaded["EXPORT_STALE_SECONDS"] == 120
    with pytest.raises(config.ConfigError, match="EXPORT_STALE_SECONDS"):
        config.load({"EXPORT_STALE_SECONDS": "0"}, tmp_path)


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_malformed_mail_delay_names_the_setting(tmp_path, value):
    with pytest.raises(config.ConfigError, match="MAIL_RETRY_SECONDS"):
        config.load({"MAIL_RETRY_SECONDS": value}, tmp_path)


def test_mail_delays_take_fractions_and_have_production_defaults(tmp_path):
    settings = config.load({"MAIL_RELAY_SECONDS": "0.5"}, tmp_path)
    assert settings["MAIL_RELAY_SECONDS"] == 0.5
    assert (
        settings["MAIL_TIMEOUT"],
        settings["MAIL_RETRY_SECONDS"],
        settings["MAIL_LEASE_SECONDS"],
    ) == (10, 30, 120)

"""Every setting is documented, and malformed values fail loudly."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from soriloop import conf
from soriloop.settings import BASE_DIR


def test_every_environment_setting_is_documented() -> None:
    documented = set(
        re.findall(r"^\| `([A-Z0-9_]+)` \|", (BASE_DIR / "docs" / "settings.md").read_text(), re.M)
    )
    declared = set(conf.DECLARED)
    assert declared, "settings declared nothing"
    assert declared - documented == set(), "undocumented settings"
    assert documented - declared == set(), "documented settings that no longer exist"


@pytest.mark.parametrize(
    ("reader", "raw"),
    [
        (lambda: conf.env_int("T_INT", 1, "help"), "twelve"),
        (lambda: conf.env_int("T_INT", 1, "help", minimum=5), "3"),
        (lambda: conf.env_bool("T_INT", True, "help"), "maybe"),
        (lambda: conf.env_choice("T_INT", "a", ("a", "b"), "help"), "c"),
    ],
)
def test_malformed_values_raise_improperly_configured(monkeypatch, reader, raw: str) -> None:
    monkeypatch.setenv("T_INT", raw)
    with pytest.raises(ImproperlyConfigured, match="T_INT"):
        reader()


def test_values_are_read_and_typed(monkeypatch) -> None:
    monkeypatch.setenv("T_BOOL", "yes")
    monkeypatch.setenv("T_LIST", " a, b ,,c ")
    assert conf.env_bool("T_BOOL", False, "help") is True
    assert conf.env_list("T_LIST", [], "help") == ["a", "b", "c"]


def test_secrets_come_from_a_file(monkeypatch, tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("T_PASSWORD_FILE", str(secret))
    assert conf.env_str("T_PASSWORD", "", "help") == "s3cret"
    monkeypatch.setenv("T_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="T_PASSWORD_FILE"):
        conf.env_str("T_PASSWORD", "", "help")


def test_the_secret_key_is_generated_once_and_kept(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("T_SECRET", raising=False)
    key_file = tmp_path / "keys" / "secret_key"
    first = conf.secret_key("T_SECRET", key_file, "help")
    assert len(first) > 40
    assert conf.secret_key("T_SECRET", key_file, "help") == first
    assert key_file.stat().st_mode & 0o077 == 0
    monkeypatch.setenv("T_SECRET", "from-env")
    assert conf.secret_key("T_SECRET", key_file, "help") == "from-env"


def test_sqlite_is_tuned_for_concurrent_writers(db: None, settings) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert settings.TIME_ZONE == "UTC"

"""Typed readers for environment settings.

Every reader records the variable it read in ``DECLARED`` with its help line, so the
documentation test can prove that docs/settings.md names each one. Malformed values raise
``ImproperlyConfigured`` at start-up instead of surfacing later as odd behaviour.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Declared:
    name: str
    default: str
    help: str


DECLARED: dict[str, Declared] = {}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _declare(name: str, default: object, help: str) -> str | None:
    DECLARED[name] = Declared(name=name, default=str(default), help=help)
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_path}: {exc}") from exc
    return os.environ.get(name)


def env_str(name: str, default: str, help: str) -> str:
    """Return the variable (or the contents of ``<name>_FILE``), else ``default``."""
    raw = _declare(name, default, help)
    return default if raw is None else raw


def env_int(name: str, default: int, help: str, *, minimum: int | None = None) -> int:
    raw = _declare(name, default, help)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value}")
    return value


def env_bool(name: str, default: bool, help: str) -> bool:
    raw = _declare(name, default, help)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_list(name: str, default: list[str], help: str) -> list[str]:
    """Comma-separated list; blank items are dropped."""
    raw = _declare(name, ",".join(default), help)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...], help: str) -> str:
    value = env_str(name, default, help)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def env_hours(name: str, default: str, help: str) -> tuple[str, str] | None:
    """A span of the day as ``HH:MM-HH:MM`` (it may run past midnight), or None when blank."""
    raw = env_str(name, default, help).strip()
    if not raw:
        return None
    parts = raw.split("-")
    if len(parts) != 2 or not all(_is_clock(p.strip()) for p in parts):
        raise ImproperlyConfigured(f"{name} must be HH:MM-HH:MM or blank, got {raw!r}")
    start, end = (p.strip() for p in parts)
    if start == end:
        raise ImproperlyConfigured(f"{name} must start and end at different times, got {raw!r}")
    return start, end


def _is_clock(text: str) -> bool:
    hours, _, minutes = text.partition(":")
    return (
        len(hours) == 2
        and len(minutes) == 2
        and hours.isdigit()
        and minutes.isdigit()
        and int(hours) < 24
        and int(minutes) < 60
    )


def secret_key(name: str, key_file: Path, help: str) -> str:
    """The secret from the environment, else from ``key_file``, generated there on first run."""
    value = _declare(name, f"generated into {key_file.name}", help)
    if value:
        return value
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    # Write aside, then link into place: of processes racing on a first start, one wins and
    # all read the same key.
    tmp = key_file.with_name(f".{key_file.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(50))
    try:
        os.link(tmp, key_file)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return key_file.read_text(encoding="utf-8").strip()

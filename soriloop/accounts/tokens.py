"""Secrets shown once and stored only as hashes (API keys, invitation links)."""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str) -> tuple[str, str]:
    """Return ``(plaintext, lookup_prefix)``; the plaintext is never stored."""
    lookup = secrets.token_hex(4)
    return f"{prefix}_{lookup}_{secrets.token_urlsafe(32)}", lookup


def digest(plaintext: str) -> str:
    # The secrets carry 256 random bits, so a fast hash is enough; lookups stay one index probe.
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()

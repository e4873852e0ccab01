"""Field encryption at rest and blind indexes for looking encrypted values up.

A value is sealed with AES-256-GCM under the first key of ``ENCRYPTION_KEYS``; every key of
the list opens, so a new key goes first and the old ones stay until ``soriloop
customers-reencrypt`` has sealed every row again (docs/customers.md). The token names its key
(``enc1:<key id>:<nonce + ciphertext>``) and binds its purpose ("customer.email") as
associated data, so a sealed e-mail copied into the phone column does not open.

A blind index is an HMAC-SHA256 of the normalised value under ``BLIND_INDEX_KEY``: equal
values give equal digests, so a unique index on the digest still finds and deduplicates, and
the digest alone gives the value to nobody without the key. It does not rotate with the
encryption keys (changing it needs the re-encrypt command, which recomputes every digest).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1"
_NONCE = 12


class Undecryptable(Exception):
    """A token no configured key opens (a key was removed too early, or it was altered)."""


def _key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def derived_key(secret: str, purpose: str) -> bytes:
    """32 bytes derived from ``secret`` for one ``purpose`` (the development defaults)."""
    return hashlib.sha256(f"soriloop:{purpose}:{secret}".encode()).digest()


def parse_keys(raw: list[str]) -> list[bytes]:
    """Keys as url-safe base64 of 32 bytes each; raises ``ImproperlyConfigured`` otherwise."""
    keys = []
    for item in raw:
        try:
            key = base64.urlsafe_b64decode(item + "=" * (-len(item) % 4))
        except ValueError as exc:
            raise ImproperlyConfigured("ENCRYPTION_KEYS: a key is not base64") from exc
        if len(key) != 32:
            raise ImproperlyConfigured("ENCRYPTION_KEYS: each key must be 32 bytes (base64)")
        keys.append(key)
    return keys


@dataclass(frozen=True)
class FieldCipher:
    """Seals with ``keys[0]``, opens with any of ``keys``; digests with ``index_key``."""

    keys: tuple[bytes, ...]
    index_key: bytes

    def seal(self, purpose: str, value: str) -> str:
        """The token for ``value``; "" stays "" (nothing to hide, and it reads as unset)."""
        if not value:
            return ""
        nonce = os.urandom(_NONCE)
        sealed = AESGCM(self.keys[0]).encrypt(nonce, value.encode(), purpose.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{PREFIX}:{_key_id(self.keys[0])}:{body}"

    def open(self, purpose: str, token: str) -> str:
        """The value sealed in ``token``; raises ``Undecryptable`` when no key opens it."""
        if not token:
            return ""
        try:
            prefix, key_id, body = token.split(":", 2)
        except ValueError:
            raise Undecryptable("not a sealed value") from None
        if prefix != PREFIX:
            raise Undecryptable("not a sealed value")
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        for key in self.keys:
            if _key_id(key) != key_id:
                continue
            try:
                return AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], purpose.encode()).decode()
            except InvalidTag:
                raise Undecryptable("the value was altered or sealed for another use") from None
        raise Undecryptable(f"no configured key has id {key_id}")

    def is_current(self, token: str) -> bool:
        """Whether ``token`` is sealed under the first key (nothing to re-encrypt)."""
        return not token or token.startswith(f"{PREFIX}:{_key_id(self.keys[0])}:")

    def digest(self, purpose: str, value: str) -> str:
        """The blind index of ``value`` (64 hex characters); "" for "" (unset)."""
        if not value:
            return ""
        return hmac.new(
            self.index_key, f"{purpose}\x00{value}".encode(), hashlib.sha256
        ).hexdigest()


@lru_cache(maxsize=1)
def _cipher(keys: tuple[str, ...], index_key: str, secret: str) -> FieldCipher:
    parsed = parse_keys(list(keys)) or [derived_key(secret, "encryption")]
    index = index_key.encode() if index_key else derived_key(secret, "blind-index")
    return FieldCipher(keys=tuple(parsed), index_key=index)


def cipher() -> FieldCipher:
    """The cipher of the current settings (tests that change the keys get a new one)."""
    return _cipher(
        tuple(settings.ENCRYPTION_KEYS), settings.BLIND_INDEX_KEY, str(settings.SECRET_KEY)
    )

"""Similar feedback and near-duplicates: MinHash signatures of character 3-gram shingles.

Lexical on purpose: the same complaint pasted into several channels shares its wording, and
a 64-number signature (256 bytes per record) compares in microseconds with numpy.
"""

from __future__ import annotations

import zlib

import numpy as np

PERMUTATIONS = 64
_PRIME = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20261122)
_A = _rng.integers(1, 1 << 31, size=(PERMUTATIONS, 1), dtype=np.uint64)
_B = _rng.integers(0, 1 << 31, size=(PERMUTATIONS, 1), dtype=np.uint64)
EMPTY = np.full(PERMUTATIONS, np.iinfo(np.uint32).max, dtype=np.uint32)


def signature(text: str) -> np.ndarray:
    """64 minimum hashes over the spaceless, lower-cased text's 3-grams (EMPTY for no text)."""
    compact = "".join(text.lower().split())
    shingles = {compact[i : i + 3] for i in range(max(0, len(compact) - 2))} or (
        {compact} if compact else set()
    )
    if not shingles:
        return EMPTY.copy()
    hashes = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in shingles), dtype=np.uint64)
    mixed = (_A * hashes[np.newaxis, :] + _B) % _PRIME
    return np.asarray(mixed.min(axis=1) & np.uint64(0xFFFFFFFF), dtype=np.uint32)


def similarities(target: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of ``target`` [64] to each row of ``others`` [n, 64]."""
    if len(others) == 0:
        return np.zeros(0, dtype=np.float32)
    same = (others == target[np.newaxis, :]).mean(axis=1)
    empty = (others == EMPTY[np.newaxis, :]).all(axis=1)
    return np.where(empty, 0.0, same).astype(np.float32)


def to_bytes(sig: np.ndarray) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(raw: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(raw), dtype="<u4")

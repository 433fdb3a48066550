"""±1 codes ↔ packed bytes.

Layout: bit j of a code is bit ``7 - j % 8`` of byte ``j // 8`` (``numpy.packbits``,
big-endian within a byte), +1 ↦ 1 and −1 ↦ 0. Hamming distances do not depend on the bit
order, so this is interchangeable with FAISS's binary indexes.
"""
from __future__ import annotations

import numpy as np


def pack_codes(codes: np.ndarray) -> np.ndarray:
    """(n, bits) of ±1 (or 0/1, or real values: sign decides) → uint8 (n, bits/8)."""
    codes = np.atleast_2d(np.asarray(codes))
    if codes.shape[1] % 8:
        raise ValueError(f"code length must be a multiple of 8 bits, got {codes.shape[1]}")
    return np.packbits(codes > 0, axis=1)


def unpack_codes(packed: np.ndarray, bits: int | None = None) -> np.ndarray:
    """uint8 (n, bits/8) → int8 (n, bits) of ±1."""
    packed = np.atleast_2d(np.asarray(packed, dtype=np.uint8))
    bits01 = np.unpackbits(packed, axis=1, count=bits)
    return (bits01.astype(np.int8) * 2 - 1).astype(np.int8)

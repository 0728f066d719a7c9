"""Perceptual hash (DCT pHash): a 64-bit fingerprint that survives resizing, recompression
and moderate exposure changes, used as the fast first pass of burst grouping.

Algorithm (Zauner 2010, "Implementation and Benchmarking of Perceptual Image Hash
Functions"; the variant popularised by pHash.org and the ``imagehash`` package):
grey 32x32 thumbnail -> 2-D DCT-II -> keep the 8x8 lowest frequencies -> bit = coefficient
> their median, read row by row, first bit most significant. Two photos are near-duplicates
when few bits differ (Hamming distance).

Why not ``imagehash``: it imports scipy and PyWavelets (tens of MB in the packaged app) to
run one 32x32 DCT, which is a single matrix product in numpy. The bits here equal
``imagehash.phash`` on the same 32x32 grey thumbnail (scipy's unnormalised DCT-II).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

HASH_BITS = 64
_HASH_SIDE = 8
_DCT_SIDE = 32
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def phash(image: Image.Image) -> int:
    """64-bit DCT perceptual hash of a photo (any mode, any size)."""
    grey = image.convert("L").resize((_DCT_SIDE, _DCT_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    pixels = np.asarray(grey, dtype=np.float64)
    basis = _dct_basis(_DCT_SIDE)
    low = (basis @ pixels @ basis.T)[:_HASH_SIDE, :_HASH_SIDE]
    bits = (low > np.median(low)).ravel()
    return int("".join("1" if b else "0" for b in bits), 2)


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two hashes."""
    return (a ^ b).bit_count()


def hamming_matrix(hashes: np.ndarray, others: np.ndarray | None = None) -> np.ndarray:
    """Pairwise Hamming distances between two arrays of uint64 hashes (vectorised popcount)."""
    a = np.asarray(hashes, dtype=np.uint64)
    b = a if others is None else np.asarray(others, dtype=np.uint64)
    xor = np.bitwise_xor(a[:, None], b[None, :])
    return _POPCOUNT[xor.view(np.uint8).reshape(*xor.shape, 8)].sum(axis=-1, dtype=np.int64)


@lru_cache(maxsize=2)
def _dct_basis(n: int) -> np.ndarray:
    """Unnormalised DCT-II matrix: y = C @ x, C[k, i] = 2 cos(pi (2i + 1) k / 2n) (scipy's norm=None)."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    return 2.0 * np.cos(np.pi * (2 * i + 1) * k / (2 * n))

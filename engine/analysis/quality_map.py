"""Where a photo's technical quality score comes from: the shared model's ``quality_map`` output.

The shipped quality model's head is linear over pooled feature maps, so its score splits
exactly over image locations (``training/assets/score_map.py`` builds the output): the map's
cells add up to the score less a photo-wide part (tone statistics and bias) that no location
owns. Row 0 is the top of the displayed photo, column 0 its left; cells are in the model's
score units (the manifest's ``linear_a`` applied, so they add up to the stored score).

A file without the output (an older shared file, a user's model) simply gives no map.

Stored with the technical score (``photo_scores.map``, catalog migration 3) as float32
little-endian, row-major, with ``map_rows``: 8 × 8 cells are 256 bytes per photo.

**Which quadrant is weakest** (:func:`weakest_quadrant`): each quadrant's share is the sum
of its cells (the middle row or column of an odd-sized map is left out). The lowest quadrant
is *singled out* only when it stands apart from the other three: its gap to the second
lowest is at least half the spread between the highest and the lowest quadrant
(:data:`APART`), and at least :data:`SIGNIFICANT` times the cells' standard deviation within
their quadrants times the square root of a quadrant's cell count (how much a quadrant's sum
varies when its cells vary at random). Two low quadrants, or a map whose quadrants differ by no more than chance, name none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

#: The output name the shared quality graph gives the map.
MAP_OUTPUT = "quality_map"
#: Quadrant names in a photographer's words, in (top-left, top-right, bottom-left, bottom-right) order.
QUADRANTS = ("upper left", "upper right", "lower left", "lower right")
#: The gap to the second-lowest quadrant, as a share of the quadrants' range, that makes the lowest stand apart.
APART = 0.5
#: The gap in units of a quadrant sum's chance variation (within-quadrant cell std × √cells per quadrant).
SIGNIFICANT = 2.0


@dataclass(frozen=True, eq=False)
class QualityMap:
    """One photo's map: a read-only float32 array of ``rows`` × ``cols`` cells, each its share of the technical
    score. Kept as an array (not a tuple of numbers) because a listing reads 100,000 of them."""

    cells: np.ndarray

    @classmethod
    def from_array(cls, cells: np.ndarray | Sequence[Sequence[float]]) -> QualityMap:
        cells = np.array(cells, dtype=np.float32)
        if cells.ndim != 2 or not np.isfinite(cells).all():
            raise ValueError(f"a quality map is a finite 2-D array, got shape {cells.shape}")
        cells.flags.writeable = False
        return cls(cells)

    @classmethod
    def from_blob(cls, blob: bytes, rows: int) -> QualityMap:
        """The stored form back (see the module docstring)."""
        cells = np.frombuffer(blob, dtype="<f4")
        if rows <= 0 or cells.size % rows:
            raise ValueError(f"{cells.size} stored cells do not make {rows} rows")
        return cls.from_array(cells.reshape(rows, -1))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, QualityMap) and np.array_equal(self.cells, other.cells)

    __hash__ = None  # type: ignore[assignment]  # equal maps need not be the same object

    @property
    def rows(self) -> int:
        return int(self.cells.shape[0])

    @property
    def cols(self) -> int:
        return int(self.cells.shape[1])

    def to_blob(self) -> bytes:
        return self.cells.astype("<f4").tobytes()

    def array(self) -> np.ndarray:
        return self.cells

    def grid(self, decimals: int = 3) -> list[list[float]]:
        """The cells as rows of rounded numbers (the CLI's JSON)."""
        return np.round(self.cells.astype(np.float64), decimals).tolist()

    @cached_property
    def weakest(self) -> str | None:
        """:func:`weakest_quadrant` of this map, found once (a listing asks for it twice per photo)."""
        return weakest_quadrant(self.array())

    @property
    def total(self) -> float:
        """What the cells add up to: the score less its photo-wide part."""
        return float(np.sum(self.array(), dtype=np.float64))


def quadrants(cells: np.ndarray) -> np.ndarray:
    """The four quadrants' cells as rows of a (4, cells per quadrant) array, in :data:`QUADRANTS` order (the
    middle row/column of an odd size left out)."""
    rows, cols = cells.shape
    if rows % 2:
        cells = np.delete(cells, rows // 2, axis=0)
    if cols % 2:
        cells = np.delete(cells, cols // 2, axis=1)
    half_rows, half_cols = rows // 2, cols // 2
    return cells.reshape(2, half_rows, 2, half_cols).transpose(0, 2, 1, 3).reshape(4, half_rows * half_cols)


def weakest_quadrant(cells: np.ndarray | Sequence[Sequence[float]]) -> str | None:
    """The quadrant the map clearly singles out as losing the most (module docstring), else None."""
    cells = np.asarray(cells, dtype=np.float64)
    if cells.ndim != 2 or min(cells.shape) < 2:
        return None
    blocks = quadrants(cells)
    count = blocks.shape[1]
    sums = blocks.sum(axis=1)
    # Mean over the quadrants of the variance within each, from sums of squares (one pass; this runs per listed photo).
    within = float(((np.einsum("ij,ij->i", blocks, blocks) - sums * sums / count) / count).mean())
    shares = sums.tolist()
    order = sorted(range(4), key=shares.__getitem__)
    gap = shares[order[1]] - shares[order[0]]
    spread = shares[order[-1]] - shares[order[0]]
    chance = math.sqrt(max(within, 0.0) * count)
    if spread <= 0 or gap < APART * spread or gap < SIGNIFICANT * chance:
        return None
    return QUADRANTS[order[0]]

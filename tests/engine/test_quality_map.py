"""Where the image quality score comes from: the region rule, the stored map, and the words around it."""

from __future__ import annotations

import re

import numpy as np
import pytest

from engine.analysis.quality_map import QUADRANTS, QualityMap, weakest_quadrant
from engine.culling.map_words import model_title, no_sort_map_message, region_reason
from engine.inference.template_fill import available_templates, load_template

#: As tests/engine/test_framing.py: reasons read under a thumbnail, in a photographer's words.
INTERNAL = re.compile(r"ranker|model|score|map|tensor|logit|cue|%|\d\.\d", re.IGNORECASE)
MAX_REASON = 34


def noisy_map(seed: int = 0, size: int = 8) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 0.05, (size, size))


@pytest.mark.parametrize("quadrant", range(4))
def test_a_quadrant_lowered_well_beyond_the_cells_scatter_is_named(quadrant: int):
    cells = noisy_map(quadrant)
    rows, cols = slice(0, 4) if quadrant < 2 else slice(4, 8), slice(0, 4) if quadrant % 2 == 0 else slice(4, 8)
    cells[rows, cols] -= 0.1   # each cell of it 2 scatters lower: the quadrant's sum 32 scatters of one cell
    assert weakest_quadrant(cells) == QUADRANTS[quadrant]


def test_scatter_alone_names_no_quadrant():
    named = [weakest_quadrant(noisy_map(seed)) for seed in range(200)]
    assert sum(n is not None for n in named) / len(named) < 0.05


def test_a_dip_within_the_scatter_names_no_quadrant():
    cells = noisy_map(3)
    cells[:4, :4] -= 0.005   # a tenth of the cells' scatter
    assert weakest_quadrant(cells) is None


def test_two_equally_low_quadrants_name_neither():
    cells = np.zeros((8, 8))
    cells[:4, :] -= 1.0       # the whole upper half
    assert weakest_quadrant(cells) is None


def test_the_lowest_of_graded_quadrants_stands_apart_only_with_a_wide_gap():
    def graded(shares):
        cells = np.zeros((8, 8))
        for (rows, cols), share in zip(((slice(0, 4), slice(0, 4)), (slice(0, 4), slice(4, 8)),
                                        (slice(4, 8), slice(0, 4)), (slice(4, 8), slice(4, 8))), shares):
            cells[rows, cols] = share / 16
        return cells
    assert weakest_quadrant(graded([0.0, 2.0, 2.5, 3.0])) == "upper left"     # gap 2 of a range of 3
    assert weakest_quadrant(graded([0.0, 1.0, 2.5, 3.0])) is None             # gap 1 of 3: one of two low ones


def test_flat_and_malformed_maps_name_nothing():
    assert weakest_quadrant(np.full((8, 8), 0.2)) is None
    assert weakest_quadrant(np.zeros((1, 8))) is None
    assert weakest_quadrant(np.zeros(8)) is None


def test_an_odd_sized_map_leaves_its_middle_row_and_column_out():
    cells = np.zeros((7, 7))
    cells[3, :] = -5.0                 # the middle row belongs to no quadrant
    assert weakest_quadrant(cells) is None
    cells[4:, 4:] -= 1.0
    assert weakest_quadrant(cells) == "lower right"


def test_the_stored_form_is_float32_cells_that_read_back_exactly():
    cells = noisy_map(1).astype(np.float32)
    stored = QualityMap.from_array(cells)
    blob = stored.to_blob()
    assert len(blob) == 64 * 4
    back = QualityMap.from_blob(blob, 8)
    assert back == stored and np.array_equal(back.array(), cells)
    assert back.grid(2)[0] == [round(float(v), 2) for v in cells[0]]
    with pytest.raises(ValueError):
        QualityMap.from_blob(blob[:-4], 8)
    with pytest.raises(ValueError):
        QualityMap.from_array(np.full((8, 8), np.nan))


def lowered(quadrant: int) -> QualityMap:
    cells = noisy_map(7)
    cells[(slice(0, 4) if quadrant < 2 else slice(4, 8)), (slice(0, 4) if quadrant % 2 == 0 else slice(4, 8))] -= 0.3
    return QualityMap.from_array(cells)


def test_the_reason_names_the_weakness_and_where_it_is():
    assert region_reason(lowered(0), soft=True) == "soft in the upper left"
    assert region_reason(lowered(3), noise_sigma=6.0) == "noisy in the lower right"
    assert region_reason(lowered(1), quality=12.0) == "weakest in the upper right"
    assert region_reason(lowered(2), soft=True, noise_sigma=6.0) == "soft in the lower left", "soft comes first"


def test_no_reason_without_a_weakness_a_clear_region_or_a_map():
    assert region_reason(lowered(0), noise_sigma=0.8, quality=70.0) is None
    assert region_reason(QualityMap.from_array(np.zeros((8, 8))), soft=True) is None
    assert region_reason(None, soft=True) is None


def test_every_reason_is_short_and_in_a_photographers_words():
    for quadrant in range(4):
        for weakness in ({"soft": True}, {"noise_sigma": 9.0}, {"quality": 1.0}):
            reason = region_reason(lowered(quadrant), **weakness)
            assert reason and len(reason) <= MAX_REASON and not INTERNAL.search(reason), reason


@pytest.mark.skipif("tanet-ava" not in available_templates(), reason="no research templates in this checkout")
def test_a_research_model_is_named_by_its_title_and_has_no_picture():
    title = load_template("tanet-ava").title
    assert model_title("tanet-ava") == title != "tanet-ava"
    message = no_sort_map_message("tanet-ava")
    assert message.startswith(f"No picture of where the score comes from for {title}")
    assert model_title("my_own_model") == "my_own_model"

"""The shipped burst ranker: contract, exact antisymmetry, and it prefers the undamaged frame."""

from __future__ import annotations

import numpy as np
import pytest

from shipped_mobilenets import check_manifest, photo, shipped
from training.distortions import distort

NAME = "burst_ranker"


def probability(model, firsts, seconds) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-model(firsts, seconds).reshape(-1)))


@pytest.fixture(scope="module")
def model():
    return shipped(NAME)


@pytest.fixture(scope="module")
def frames():
    """Two 'burst frames': the same photo reframed by a few pixels; the second one blurred or noisy."""
    chelsea = photo("chelsea")
    first, second = chelsea[:-12, :-16], chelsea[12:, 16:]
    return first, [distort(second, "gaussian_blur", 2), distort(second, "gaussian_noise", 2, seed=4)]


def test_manifest_is_a_two_input_pairwise_model():
    manifest = check_manifest(NAME)
    assert manifest.task == "pairwise" and manifest.output.kind == "pair_logit"
    assert [i.name for i in shipped(NAME).session.session.get_inputs()] == ["first", "second"]


def test_prefers_the_untouched_frame(model, frames):
    first, damaged = frames
    assert np.all(probability(model, [first] * len(damaged), damaged) > 0.5)


def test_swapping_the_order_gives_the_complement(model, frames):
    first, damaged = frames
    forward = probability(model, [first] * len(damaged), damaged)
    backward = probability(model, damaged, [first] * len(damaged))
    np.testing.assert_allclose(forward + backward, 1.0, atol=1e-5)
    np.testing.assert_allclose(probability(model, [first], [first]), 0.5, atol=1e-6)

"""The shipped embedding: contract, unit length, and near-duplicates closer than different photos."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.shipped_mobilenets import check_manifest, photo, shipped
from training.assets.embedding import slight_crop

NAME = "embedding_mobilenetv2"


@pytest.fixture(scope="module")
def vectors():
    astronaut, coffee = photo("astronaut"), photo("coffee")
    return shipped(NAME)([astronaut, slight_crop(astronaut), coffee])


def test_manifest_is_a_normalised_embedding():
    manifest = check_manifest(NAME)
    assert manifest.task == "embedding" and manifest.output.kind == "embedding" and manifest.output.normalized


def test_rows_have_unit_length(vectors):
    assert vectors.shape == (3, 1280)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_slight_crop_is_closer_than_another_photo(vectors):
    astronaut, cropped, coffee = vectors
    assert astronaut @ cropped > astronaut @ coffee + 0.1

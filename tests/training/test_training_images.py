"""Image datasets skip and count missing/corrupt files; the eval transform is the app's preprocessing."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skdata = pytest.importorskip("skimage.data")

from PIL import Image  # noqa: E402

from engine.inference.preprocess import InputSpec, preprocess  # noqa: E402
from training.datasets.images import ImageDataset, collate_skipping  # noqa: E402
from training.datasets.table import LabelTable, score_row  # noqa: E402
from training.presets import TrainAugment  # noqa: E402
from training.transforms import eval_transform, train_transform  # noqa: E402


@pytest.mark.parametrize("spec", [
    InputSpec(224, 224, "squash"),
    InputSpec(224, 224, "shorter_center_crop"),
    InputSpec(256, 256, "letterbox"),
])
def test_eval_transform_equals_engine_preprocess_on_real_photos(spec):
    for photo in (skdata.astronaut(), skdata.coffee(), skdata.chelsea()):
        image = Image.fromarray(photo)
        expected = preprocess(image, spec)
        got = eval_transform(spec)(image)
        assert got.dtype == torch.float32
        np.testing.assert_array_equal(got.numpy(), expected)


def test_train_transform_crops_flips_and_normalises_like_eval():
    spec = InputSpec(224, 224, "squash")
    image = Image.fromarray(skdata.astronaut())
    torch.manual_seed(0)
    augment = train_transform(spec, TrainAugment(resize=(256, 256), crop=224, hflip=True))
    outputs = [augment(image) for _ in range(6)]
    assert all(o.shape == (3, 224, 224) for o in outputs)
    assert any(not torch.equal(outputs[0], o) for o in outputs[1:])  # random crops differ
    # without crop/flip the train transform is the eval transform up to the resize step
    plain = train_transform(spec, TrainAugment(resize=(224, 224)))(image)
    np.testing.assert_allclose(plain.numpy(), preprocess(image, spec), atol=1e-6)
    with pytest.raises(ValueError, match="model input"):
        train_transform(spec, TrainAugment(resize=(256, 256)))


def test_missing_and_corrupt_images_are_skipped_and_counted(tmp_path, capsys):
    Image.fromarray(skdata.coffee()).save(tmp_path / "good.jpg")
    (tmp_path / "not_an_image.jpg").write_bytes(b"this is text")
    full = (tmp_path / "good.jpg").read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(full[: len(full) // 3])  # header fine, data cut
    table = LabelTable([score_row(n, 5.0) for n in ("good.jpg", "missing.jpg", "not_an_image.jpg", "truncated.jpg")],
                       "score", (1, 10), "test")
    dataset = ImageDataset(table, tmp_path, eval_transform(InputSpec(32, 32)), lambda t: t)
    assert "skipped 2 of 4 images (1 missing, 1 unreadable)" in capsys.readouterr().err
    assert dataset.skipped.missing == ["missing.jpg"] and dataset.skipped.unreadable == ["not_an_image.jpg"]
    assert len(dataset) == 2
    batch = collate_skipping([dataset[0], dataset[1]])
    assert batch["skipped"] == 1 and batch["image"].shape == (1, 3, 32, 32)

"""Training that cannot fool its user: starting weights stated, leaked splits marked, run folders kept,
small smoke runs, and exported models installed only on evidence."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tests.helpers.training_tiny as training_tiny  # noqa: E402  (registers the tiny model and preset)
from engine.config import paths  # noqa: E402
from engine.inference.registry import discover  # noqa: E402
from training.checkpoints import load_checkpoint  # noqa: E402
from training.cli import main  # noqa: E402
from training.loop import RunConfig, train  # noqa: E402
from training.presets import register_preset  # noqa: E402
from training.run_folder import RunFolderInUse  # noqa: E402
from training.starting_weights import MissingStartingWeights  # noqa: E402

#: The tiny recipe, as if it started from an ImageNet backbone file.
PRETRAINED_PRESET = register_preset(training_tiny.TINY_PRESET.with_overrides(
    name="test-tiny-pretrained", pretrained={"backbone": "an ImageNet test backbone (backbone.pth)"}))
#: The tiny recipe exported as an aesthetic model (the contract wants aesthetic labels named).
EXPORT_PRESET = register_preset(training_tiny.TINY_PRESET.with_overrides(
    name="test-tiny-aesthetic", training_data="generated aesthetic labels: red-blue balance"))


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    """16 train + 12 val generated photos: labels folder (train/val/test.csv) and images folder."""
    return training_tiny.make_tiny_ava(tmp_path_factory.mktemp("tiny"))


def tiny_config(labels, images, out, **changes) -> RunConfig:
    preset = changes.pop("preset", training_tiny.TINY_PRESET).with_overrides(epochs=changes.pop("epochs", 1))
    return RunConfig(preset=preset, labels=labels, data_root=images, out=out, **changes)


def test_a_pretrained_recipe_without_its_file_refuses_to_start(tiny_set, tmp_path, capsys):
    labels, images = tiny_set
    with pytest.raises(MissingStartingWeights, match="--random-init"):
        train(tiny_config(labels, images, tmp_path / "run", preset=PRETRAINED_PRESET))
    assert not (tmp_path / "run" / "last.pt").exists()
    code = main(["train", "--preset", "test-tiny-pretrained", "--labels", str(labels), "--data-root", str(images),
                 "--out", str(tmp_path / "cli"), "--device", "cpu", "--workers", "0", "--max-steps", "1"])
    err = capsys.readouterr().err
    assert code == 1 and "an ImageNet test backbone (backbone.pth)" in err and "--random-init" in err


def test_random_init_is_stated_and_recorded(tiny_set, tmp_path, capsys):
    labels, images = tiny_set
    summary = train(tiny_config(labels, images, tmp_path / "run", preset=PRETRAINED_PRESET, random_init=True,
                                max_steps=1))
    err = capsys.readouterr().err
    assert "starting weights: RANDOM for backbone" in err.splitlines()[0]
    assert summary["starting_weights"]["start"] == "random"
    assert summary["starting_weights"]["random_branches"] == ["backbone"]
    provenance = load_checkpoint(tmp_path / "run" / "best.pt").provenance
    assert provenance["starting_weights"]["start"] == "random" and provenance["train_size"] == 16


def test_one_labels_file_for_train_and_val_warns_and_is_recorded(tiny_set, tmp_path, capsys):
    labels, images = tiny_set
    summary = train(tiny_config(labels / "train.csv", images, tmp_path / "run", max_steps=1))
    err = capsys.readouterr().err
    assert "warning: the val split holds the same images as the training split" in err
    assert summary["splits"]["val_on_training_rows"] is True
    assert summary["splits"]["shared_with_train"] == {"val": 16, "test": 16}
    assert load_checkpoint(tmp_path / "run" / "last.pt").provenance["splits"]["val_on_training_rows"] is True
    code = main(["eval", "--preset", "test-tiny-ava", "--checkpoint", str(tmp_path / "run" / "best.pt"),
                 "--labels", str(labels / "train.csv"), "--data-root", str(images), "--split", "test",
                 "--out", str(tmp_path / "eval"), "--device", "cpu", "--workers", "0"])
    assert code == 0 and "warning: 16 of these 16 images are training images of this checkpoint" \
        in capsys.readouterr().err
    assert json.loads((tmp_path / "eval" / "summary.json").read_text())["training_images_in_split"] == 16


def test_separate_splits_do_not_warn(tiny_set, tmp_path, capsys):
    labels, images = tiny_set
    summary = train(tiny_config(labels, images, tmp_path / "run", max_steps=1))
    assert "warning" not in capsys.readouterr().err
    assert summary["splits"]["val_on_training_rows"] is False
    assert main(["eval", "--preset", "test-tiny-ava", "--checkpoint", str(tmp_path / "run" / "best.pt"),
                 "--labels", str(labels), "--data-root", str(images), "--split", "test",
                 "--out", str(tmp_path / "eval"), "--device", "cpu", "--workers", "0"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_val_fraction_carves_a_held_out_part_of_one_file(tiny_set, tmp_path, capsys):
    labels, images = tiny_set
    summary = train(tiny_config(labels / "train.csv", images, tmp_path / "run", max_steps=1, val_fraction=0.25))
    assert "warning" not in capsys.readouterr().err
    assert (summary["train_size"], summary["val_size"]) == (12, 4)
    assert summary["splits"]["shared_with_train"] == {"val": 0}


def test_an_existing_run_folder_is_not_overwritten(tiny_set, tmp_path, capsys):
    labels, images = tiny_set
    out = tmp_path / "run"
    train(tiny_config(labels, images, out, epochs=2))
    before = {name: (out / name).read_bytes() for name in ("best.pt", "last.pt", "history.json")}
    with pytest.raises(RunFolderInUse, match="--resume to continue it, --overwrite to replace it"):
        train(tiny_config(labels, images, out, max_steps=1))
    assert all((out / name).read_bytes() == data for name, data in before.items())
    code = main(["train", "--preset", "test-tiny-ava", "--labels", str(labels), "--data-root", str(images),
                 "--out", str(out), "--device", "cpu", "--workers", "0", "--max-steps", "1"])
    assert code == 1 and "already holds a run (best.pt, last.pt); nothing was changed" in capsys.readouterr().err
    replaced = train(tiny_config(labels, images, out, max_steps=1, overwrite=True))
    assert replaced["epochs_run"] == 1 and len(json.loads((out / "history.json").read_text())) == 1


def test_default_save_keeps_best_and_a_light_last(tiny_set, tmp_path):
    labels, images = tiny_set
    out = tmp_path / "run"
    train(tiny_config(labels, images, out, max_steps=1))
    assert load_checkpoint(out / "last.pt").optimizer is None
    # the first epoch is also the best: last.pt is the same file as best.pt, stored once
    assert os.path.samefile(out / "best.pt", out / "last.pt")
    exact = tmp_path / "exact"
    train(tiny_config(labels, images, exact, max_steps=1, resume_state=True))
    assert load_checkpoint(exact / "last.pt").optimizer is not None
    only_last = tmp_path / "last"
    train(tiny_config(labels, images, only_last, epochs=2, save="last"))
    assert sorted(p.name for p in only_last.glob("*.pt")) == ["last.pt"]
    every = tmp_path / "all"
    train(tiny_config(labels, images, every, epochs=2, save="all"))
    assert sorted(p.name for p in every.glob("*.pt")) == ["best.pt", "epoch_1.pt", "epoch_2.pt", "last.pt"]


def test_history_columns_keep_their_order_after_resume_and_steps_are_plotted(tiny_set, tmp_path):
    labels, images = tiny_set
    out = tmp_path / "run"
    train(tiny_config(labels, images, out, epochs=1))
    header = (out / "history.csv").read_text().splitlines()[0]
    config = tiny_config(labels, images, out, epochs=2, resume=True)
    train(config)
    assert (out / "history.csv").read_text().splitlines()[0] == header
    assert header.startswith("epoch,step,lr,train_loss,val_loss,")
    with open(out / "steps.csv") as handle:
        steps = list(csv.DictReader(handle))
    assert [int(r["step"]) for r in steps] == [1, 2, 3, 4]  # 16 photos, batch 8, two epochs


def test_constant_predictions_give_nan_without_scipy_warnings(recwarn):
    from training.metrics import plcc, srcc

    assert np.isnan(srcc([5.379] * 6, [1, 2, 3, 4, 5, 6]))
    assert np.isnan(plcc([5.379] * 6, [1, 2, 3, 4, 5, 6]))
    assert srcc([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert not [w for w in recwarn if "Constant" in type(w.message).__name__]


def test_plain_messages_for_a_missing_labels_path_and_a_missing_gpu(tiny_set, tmp_path, capsys):
    _, images = tiny_set
    code = main(["train", "--preset", "test-tiny-ava", "--labels", str(tmp_path / "nope.csv"), "--data-root",
                 str(images), "--out", str(tmp_path / "run"), "--device", "cpu", "--workers", "0"])
    assert code == 1 and f"--labels {tmp_path / 'nope.csv'}: no such file or folder" in capsys.readouterr().err
    if torch.cuda.is_available():
        return
    code = main(["predict", "--preset", "test-tiny-ava", "--checkpoint", str(tmp_path / "x.pt"), "--images",
                 str(images), "--out", str(tmp_path / "p.csv"), "--device", "cuda"])
    err = capsys.readouterr().err
    assert code == 2 and "--device cuda: no usable NVIDIA GPU here" in err and "Traceback" not in err


def _export(checkpoint, out, *extra) -> int:
    return main(["export", "--preset", "test-tiny-aesthetic", "--checkpoint", str(checkpoint), "--out", str(out),
                 "--name", "tiny-aesthetic", *extra])


def test_a_collapsed_model_is_exported_but_not_installed(tiny_set, tmp_path, capsys):
    labels, images = tiny_set
    out = tmp_path / "run"
    train(tiny_config(labels, images, out, max_steps=1))
    checkpoint = load_checkpoint(out / "best.pt")
    assert checkpoint.metrics["val_prediction_spread"] > 0
    # collapse it the way a dead head does: every photo gets the same distribution
    checkpoint.state_dict["fc.weight"].zero_()
    from training.checkpoints import write_checkpoint
    from training.install_check import check_for_install

    checkpoint.metrics["val_prediction_spread"] = 0.0
    write_checkpoint(checkpoint, tmp_path / "collapsed.pt")
    assert not check_for_install(checkpoint, training_tiny.TINY_PRESET).passed
    capsys.readouterr()
    assert _export(tmp_path / "collapsed.pt", tmp_path / "export") == 1
    err = capsys.readouterr().err
    assert "not installed: the model failed its checks" in err and "collapsed" in err
    assert "fewer than 100" in err  # 12 validation photos
    assert (tmp_path / "export" / "tiny-aesthetic.json").is_file()
    assert not (paths.user_models_dir() / "tiny-aesthetic.json").exists()
    assert discover().for_task("aesthetic") is None
    # --install-anyway installs it, but the app uses it only when chosen
    assert _export(tmp_path / "collapsed.pt", tmp_path / "export", "--install-anyway") == 0
    registry = discover()
    assert [m.name for m in registry.candidates("aesthetic")] == ["tiny-aesthetic"]
    assert registry.for_task("aesthetic") is None
    assert "failed its export checks" in registry.sort_score().message
    assert discover(chosen={"aesthetic": "tiny-aesthetic"}).for_task("aesthetic").name == "tiny-aesthetic"


def test_a_model_measured_on_training_rows_is_not_installed(tiny_set, tmp_path, capsys):
    labels, images = tiny_set
    train(tiny_config(labels / "train.csv", images, tmp_path / "run", max_steps=1))
    assert _export(tmp_path / "run" / "best.pt", tmp_path / "export") == 1
    assert "its validation photos were training photos" in capsys.readouterr().err
    manifest = json.loads((tmp_path / "export" / "tiny-aesthetic.json").read_text())
    assert {m["split"] for m in manifest["metrics"]} == {"val = training rows"}
    assert manifest["provenance"]["install_check"]["passed"] is False


def test_a_model_with_enough_held_out_evidence_is_installed_and_named_with_its_training(tmp_path, capsys):
    labels, images = training_tiny.make_tiny_ava(tmp_path / "data", n_train=16, n_val=110)
    train(tiny_config(labels, images, tmp_path / "run", epochs=2))
    assert _export(tmp_path / "run" / "best.pt", tmp_path / "export", "--no-install") == 0
    assert not (paths.user_models_dir() / "tiny-aesthetic.json").exists()
    assert _export(tmp_path / "run" / "best.pt", tmp_path / "export") == 0, capsys.readouterr().err
    assert "installed tiny-aesthetic" in capsys.readouterr().out
    score = discover().sort_score()
    assert score.model.name == "tiny-aesthetic"
    assert score.message == ("Sorting by aesthetic score (tiny-aesthetic, trained on generated aesthetic labels "
                             "(16 photos) from random weights, user).")


def test_a_recipe_given_only_some_of_its_files_names_the_missing_one():
    from training.starting_weights import starting_weights

    preset = training_tiny.TINY_PRESET.with_overrides(
        pretrained={"scene": "the Places365 ResNet-18 (places.pth)", "aesthetic": "the ImageNet MobileNetV2 (mb.pth)"})
    loaded = [{"file": "places.pth", "sha256": "0" * 64, "branch": "scene"}]
    with pytest.raises(MissingStartingWeights, match=r"\(the ImageNet MobileNetV2 \(mb.pth\)\)") as refused:
        starting_weights(preset, loaded, random_init=False)
    assert "places.pth" not in str(refused.value)
    partly = starting_weights(preset, loaded, random_init=True)
    assert partly.start == "partly random" and partly.random_branches == ("aesthetic",)
    assert partly.line == ("starting weights: RANDOM for aesthetic (--random-init; the recipe expects the ImageNet "
                           "MobileNetV2 (mb.pth)); loaded places.pth")
    assert starting_weights(preset, [*loaded, {"file": "mb.pth", "sha256": "1" * 64, "branch": "aesthetic"}],
                            random_init=False).start == "pretrained"

"""Training loop, checkpoints, reports and the train/eval/predict commands on a tiny generated set."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from PIL import Image  # noqa: E402

import tests.helpers.training_tiny as training_tiny  # noqa: E402  (registers the tiny model and the test-tiny-ava preset)
from training.checkpoints import load_checkpoint  # noqa: E402
from training.cli import main  # noqa: E402
from training.datasets.build import build_dataset  # noqa: E402
from training.distributed import setup  # noqa: E402
from training.loop import RunConfig, create_preset_model, evaluate, seed_everything, train  # noqa: E402


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One 12-epoch CLI training run shared by the tests below (it is the slow part)."""
    tmp = tmp_path_factory.mktemp("tiny")
    labels, images = training_tiny.make_tiny_ava(tmp)
    out = tmp / "run"
    code = main(["train", "--preset", "test-tiny-ava", "--labels", str(labels), "--data-root", str(images),
                 "--out", str(out), "--device", "cpu", "--workers", "0", "--seed", "3"])
    assert code == 0
    return labels, images, out


def test_short_run_overfits_loss_falls_and_srcc_rises(tiny_run):
    labels, images, out = tiny_run
    preset = training_tiny.TINY_PRESET
    seed_everything(3)  # the run's seed: the same initial weights as the run started from
    untrained = evaluate(create_preset_model(preset), build_dataset(preset, labels, images, "val", train=False),
                         preset, setup("cpu"), batch_size=8)
    history = json.loads((out / "history.json").read_text())
    assert len(history) == preset.epochs
    assert history[-1]["train_loss"] < 0.7 * history[0]["train_loss"]
    assert untrained.metrics["srcc"] < 0.5 < 0.9 < history[-1]["val_srcc"]


def test_run_writes_report_and_checkpoints(tiny_run):
    _, _, out = tiny_run
    for name in ("history.csv", "history.json", "summary.json", "predictions.csv",
                 "loss.png", "correlation.png", "scatter.png", "last.pt", "best.pt"):
        assert (out / name).is_file(), name
    assert Image.open(out / "scatter.png").size[0] > 100
    summary = json.loads((out / "summary.json").read_text())
    history = json.loads((out / "history.json").read_text())
    best_epoch = max(history, key=lambda r: r["val_srcc"])["epoch"]
    assert summary["best"]["epoch"] == best_epoch
    assert load_checkpoint(out / "best.pt").epoch == best_epoch
    last = load_checkpoint(out / "last.pt")
    assert last.epoch == len(history) and last.optimizer is None and last.preset == "test-tiny-ava"  # light by default
    assert summary["skipped_images"]["train"]["missing"] == 0
    with open(out / "predictions.csv") as handle:
        assert len(list(csv.DictReader(handle))) == 12


def test_resume_continues_from_last_epoch(tiny_run, tmp_path):
    labels, images, _ = tiny_run
    preset = training_tiny.TINY_PRESET.with_overrides(epochs=2)
    config = RunConfig(preset=preset, labels=labels, data_root=images, out=tmp_path / "r", seed=1)
    first = train(config)
    assert first["epochs_run"] == 2
    config.preset, config.resume = training_tiny.TINY_PRESET.with_overrides(epochs=3), True
    resumed = train(config)
    history = json.loads((tmp_path / "r" / "history.json").read_text())
    assert [r["epoch"] for r in history] == [1, 2, 3] and resumed["epochs_run"] == 3
    assert history[2]["step"] == 3 * 2  # 16 images, batch 8: steps continue from the checkpoint


def test_missing_images_are_counted_in_the_report(tiny_run, tmp_path):
    labels, images, _ = tiny_run
    partial = tmp_path / "images"
    partial.mkdir()
    for path in sorted(images.iterdir())[3:]:
        (partial / path.name).write_bytes(path.read_bytes())
    summary = train(RunConfig(preset=training_tiny.TINY_PRESET, labels=labels, data_root=partial,
                              out=tmp_path / "run", max_steps=1))
    assert summary["skipped_images"]["train"]["missing"] == 3
    assert summary["steps"] == 1 and summary["epochs_run"] == 1


def test_predict_writes_rows_in_file_name_order(tiny_run, tmp_path):
    _, images, out = tiny_run
    folder = tmp_path / "photos"
    folder.mkdir()
    names = ["b.jpg", "a.png", "c.jpeg", "10.jpg"]
    for name, source in zip(names, sorted(images.iterdir())):
        Image.open(source).save(folder / name)
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    (folder / "notes.txt").write_text("ignored")
    target = tmp_path / "scores.csv"
    code = main(["predict", "--preset", "test-tiny-ava", "--checkpoint", str(out / "best.pt"), "--images", str(folder),
                 "--batch-size", "3", "--out", str(target), "--device", "cpu"])
    assert code == 1  # finished, but one file was unreadable
    with open(target) as handle:
        rows = list(csv.DictReader(handle))
    assert [r["file"] for r in rows] == sorted(names + ["broken.jpg"])
    broken = next(r for r in rows if r["file"] == "broken.jpg")
    assert broken["score"] == "" and broken["error"]
    good = [r for r in rows if r["file"] != "broken.jpg"]
    for row in good:
        outputs = np.array([float(row[f"out_{i}"]) for i in range(10)])
        assert outputs.sum() == pytest.approx(1.0, abs=1e-5)
        assert float(row["score"]) == pytest.approx(outputs @ np.arange(1, 11), abs=1e-4)


def test_eval_command_reports_the_metric_set(tiny_run, tmp_path):
    labels, images, out = tiny_run
    code = main(["eval", "--preset", "test-tiny-ava", "--checkpoint", str(out / "best.pt"), "--labels", str(labels),
                 "--data-root", str(images), "--split", "val", "--out", str(tmp_path / "ev"), "--device", "cpu",
                 "--workers", "0"])
    assert code == 0
    summary = json.loads((tmp_path / "ev" / "summary.json").read_text())
    history = json.loads((out / "history.json").read_text())
    best = max(history, key=lambda r: r["val_srcc"])
    assert summary["srcc"] == pytest.approx(best["val_srcc"], abs=1e-6)
    for key in ("plcc", "accuracy", "emd_r1", "emd_r2", "mae_1-10", "mse_1-10"):
        assert key in summary
    assert (tmp_path / "ev" / "metrics.csv").is_file() and (tmp_path / "ev" / "scatter.png").is_file()


def test_cli_usage_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--preset", "no-such-preset", "--labels", "x", "--data-root", "y", "--out", "z"])
    assert exc.value.code == 2
    code = main(["eval", "--preset", "test-tiny-ava", "--checkpoint", str(tmp_path / "none.pt"), "--labels",
                 str(tmp_path), "--data-root", str(tmp_path), "--out", str(tmp_path / "o"), "--device", "cpu"])
    assert code == 1 and "no such checkpoint" in capsys.readouterr().err

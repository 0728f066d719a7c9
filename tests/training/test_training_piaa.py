"""eval-piaa on FLICKR-AES-format labels (the committed fixture and a generated larger set), and
``python -m training personalize`` on the decisions a scanned library exports (tiny test model)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.decisions.record import set_decisions
from engine.library.catalog import Catalog, catalog_path
from engine.library.scan import scan_library
from engine.personalize.dataset import export_dataset
from tests.helpers.training_tiny import TINY_PRESET, TinyDistributionNet, make_ava_set
from training.cli import main as training_main
from training.preference_tuning import TuneSettings, differentiable_score, fine_tune, pairwise_accuracy, trainable

FIXTURE = Path(__file__).parent.parent / "fixtures" / "labels" / "flickr_aes"


def _flickr_layout(labels: Path, ratings: dict[str, dict[str, int]]) -> None:
    """The real file layout: leading-space headers and values, plus test_workers.csv."""
    labels.mkdir(parents=True, exist_ok=True)
    lines = ["worker, imagePair, score"] + [f"{w}, {name}, {s}" for w, rated in ratings.items() for name, s in rated.items()]
    (labels / "FLICKR-AES_image_labeled_by_each_worker.csv").write_text("\n".join(lines) + "\n")
    (labels / "test_workers.csv").write_text("worker\n" + "\n".join(ratings) + "\n")


def _colour_worker(images: Path, worker_seed: int, n: int = 24) -> dict[str, int]:
    """Images whose rating (1..5) follows their red-vs-blue balance (make_ava_set's planted score)."""
    ids = list(range(worker_seed * 1000, worker_seed * 1000 + n))
    scores = make_ava_set(images, ids, seed=worker_seed)
    return {f"{i}.jpg": int(np.clip(round((s - 1.5) / 8 * 4 + 1), 1, 5)) for i, s in scores.items()}


def _piaa(args: list[str], capsys) -> tuple[int, dict]:
    code = training_main(["eval-piaa", "--preset", TINY_PRESET.name, "--device", "cpu", *args])
    return code, json.loads(capsys.readouterr().out)


def test_eval_piaa_runs_the_protocol_and_beats_the_untrained_model(tmp_path, capsys):
    images, labels = tmp_path / "40K", tmp_path / "labels"
    _flickr_layout(labels, {"A1COLOURWORKER": _colour_worker(images, 1), "A2COLOURWORKER": _colour_worker(images, 2),
                            "A3FEWIMAGES": {"1000.jpg": 3, "1001.jpg": 4}})
    code, report = _piaa(["--labels", str(labels), "--data-root", str(images), "--k", "10", "--repeats", "3",
                          "--scope", "all", "--lr", "0.05", "--epochs", "40"], capsys)
    assert code == 0 and report["test_workers"] == 3 and report["repeats"] == 3
    result = report["results"]["10"]
    assert result["workers_evaluated"] == 2 and result["workers_skipped"] == ["A3FEWIMAGES"]
    assert result["srcc"] > result["generic_srcc"] + 0.1  # planted colour preference is learnt from 10 ratings
    assert "not an aesthetic-trained" in report["weights"]


def test_eval_piaa_reads_the_committed_fixture(tmp_path, capsys):
    images = tmp_path / "40K"
    images.mkdir()
    names = {line.split(",")[1].strip() for line in
             (FIXTURE / "FLICKR-AES_image_labeled_by_each_worker.csv").read_text().splitlines()[1:]}
    for name in names:
        Image.new("RGB", (20, 20), (120, 80, 60)).save(images / name)
    code, report = _piaa(["--labels", str(FIXTURE), "--data-root", str(images), "--k", "1", "--repeats", "2"], capsys)
    assert code == 0 and report["test_workers"] == 2
    assert sorted(report["results"]["1"]["workers_skipped"]) == ["A1WORKERAAAAAA", "A2WORKERBBBBBB"]  # 2 images each


def test_eval_piaa_reports_missing_images_and_bad_labels(tmp_path, capsys):
    code, report = _piaa(["--labels", str(FIXTURE), "--data-root", str(tmp_path), "--k", "1"], capsys)
    assert code == 1 and report["problem_count"] == 4
    assert training_main(["eval-piaa", "--preset", TINY_PRESET.name, "--labels", str(tmp_path),
                          "--data-root", str(tmp_path)]) == 2


def test_head_scope_freezes_everything_but_the_last_layer():
    model = TinyDistributionNet()
    chosen = trainable(model, "head")
    assert [p.shape for p in chosen] == [model.fc.weight.shape, model.fc.bias.shape]
    assert all(p.requires_grad == (p is model.fc.weight or p is model.fc.bias) for p in model.parameters())


def test_fine_tune_learns_pairs_and_leaves_the_base_alone():
    torch.manual_seed(0)
    images = torch.rand(20, 3, 16, 16)
    images[:10, 0] += 0.5  # the red ones win every pair
    pairs = torch.tensor([(i, 10 + j) for i in range(10) for j in range(10)])
    base = TinyDistributionNet()
    before = [p.clone() for p in base.parameters()]
    tuned = fine_tune(base, TINY_PRESET, images, torch.full((20,), float("nan")), pairs,
                      settings=TuneSettings("all", 60, 0.05))
    assert all(torch.equal(a, b) for a, b in zip(before, base.parameters()))
    with torch.no_grad():
        scores = differentiable_score(tuned(images), TINY_PRESET).numpy()
    assert pairwise_accuracy(scores, pairs.numpy()) > 0.95


def test_training_personalize_reads_an_exported_dataset_and_exports_an_honest_model(tmp_path, capsys):
    library = tmp_path / "lib"
    scores = make_ava_set(library, list(range(40)), seed=3)
    scan_library(library, workers=1)
    with Catalog.open(library) as catalog:
        by_name = {Path(p.path).stem: p.id for p in catalog.photos()}
        for stem, score in scores.items():
            set_decisions(catalog, [by_name[str(stem)]], rating=int(np.clip(round((score - 1.5) / 8 * 4 + 1), 1, 5)))
        dataset = export_dataset(catalog, tmp_path / "decisions.json")
    catalog_path(library).unlink()  # training reads the file alone, never the app's catalog
    out = tmp_path / "models"
    code = training_main(["personalize", "--dataset", str(dataset), "--preset", TINY_PRESET.name, "--device", "cpu",
                          "--scope", "head", "--epochs", "40", "--lr", "0.05", "--out", str(out)])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["decisions"] == 40 and report["task"] == "untrained"
    assert report["images"] == 40 and report["personal"]["srcc_stars"] is not None
    manifest = json.loads(Path(report["exported"]["manifest"]).read_text())
    assert manifest["task"] == "untrained" and "not aesthetic-trained" in manifest["description"]
    shutil.rmtree(out)


def test_training_personalize_refuses_a_file_that_is_not_an_exported_dataset(tmp_path, capsys):
    (tmp_path / "catalog.json").write_text(json.dumps({"format": "something-else"}))
    assert training_main(["personalize", "--dataset", str(tmp_path / "catalog.json"), "--preset", TINY_PRESET.name,
                          "--device", "cpu", "--no-export"]) == 3
    assert "not a photocull.personal-dataset/1 file" in capsys.readouterr().err

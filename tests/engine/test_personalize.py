"""engine.personalize: learning a planted taste, refusing without evidence, versioned storage, calibration, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import spearmanr

import engine.personalize as taste
from engine.cli import main
from engine.personalize.dataset import (
    BURST,
    CALIBRATION,
    NOT_CHOSEN,
    DatasetFileError,
    load_dataset,
    read_preferences,
    utility_of,
)
from engine.personalize.evaluate import spearman
from engine.personalize.heads import fit_pairwise
from tests.helpers.personal_library import DIM, analysed_catalog, decide, taste_decisions

PHOTOS = 400


def _direction(axis: int = 0) -> np.ndarray:
    d = np.zeros(DIM)
    d[axis] = 1.0
    return d


@pytest.fixture
def library(tmp_path):
    catalog, vectors = analysed_catalog(tmp_path / "lib", PHOTOS, bursts=25)
    yield catalog, vectors
    catalog.close()


def _trained(library, decided: int = 200, noise: float = 0.3):
    catalog, vectors = library
    decide(catalog, taste_decisions(vectors, list(range(1, decided + 1)), _direction(), noise=noise))
    return catalog, vectors, taste.personalize(catalog)


def test_planted_taste_is_learnt_and_predicts_unseen_photos(library):
    catalog, vectors, report = _trained(library)
    assert report.status == "active" and report.version == 1
    assert report.personal["pairwise_accuracy"] > report.generic["pairwise_accuracy"] + taste.WIN_MARGIN
    scores = taste.personal_scores(catalog)
    assert len(scores) == PHOTOS and min(scores.values()) == pytest.approx(1.0) and max(scores.values()) == 10.0
    unseen = list(range(201, PHOTOS + 1))
    rho = spearman(np.array([scores[i] for i in unseen]), vectors[np.array(unseen) - 1, 0].astype(float))
    assert rho > 0.5


def test_stored_model_round_trips_to_the_same_scores(library):
    catalog, _, _ = _trained(library)
    model = taste.load_model(catalog)
    again = taste.PersonalModel.from_bytes(model.to_bytes())
    assert again.head == model.head and again.temperature == model.temperature
    np.testing.assert_array_equal(again.weights, model.weights)
    assert taste.status(catalog)["version"] == 1 and taste.status(catalog)["status"] == "active"


def test_too_few_decisions_are_refused_and_nothing_is_stored(library):
    catalog, vectors = library
    decide(catalog, taste_decisions(vectors, list(range(1, taste.MIN_DECISIONS)), _direction()))
    report = taste.personalize(catalog)
    assert report.status == "too_few" and report.decisions == taste.MIN_DECISIONS - 1
    assert str(taste.MIN_DECISIONS) in report.message
    assert taste.versions(catalog) == [] and taste.personal_scores(catalog) == {}


def test_auto_cull_decisions_do_not_count(library):
    catalog, vectors = library
    decide(catalog, taste_decisions(vectors, list(range(1, 101)), _direction()), source="auto")
    assert taste.personalize(catalog).status == "too_few"


def test_model_that_does_not_beat_the_generic_score_stays_off(library):
    catalog, _ = library
    rng = np.random.default_rng(5)
    decide(catalog, {pid: (0, int(rng.integers(1, 6))) for pid in range(1, 121)})  # stars unrelated to anything
    report = taste.personalize(catalog)
    assert report.status == "not_better" and report.version == 1
    assert taste.personal_scores(catalog) == {} and taste.personal_pairwise(catalog) is None
    assert taste.load_model(catalog).active is False


def test_reset_forgets_models_and_answers(library):
    catalog, _, _ = _trained(library)
    taste.record_choice(catalog, 300, 301)
    assert taste.reset(catalog) == 1
    assert taste.versions(catalog) == [] and taste.personal_scores(catalog) == {} and taste.status(catalog) is None
    assert read_preferences(catalog, taste.store.read_choices(catalog)).count(1) == 0


def test_export_import_restores_the_same_scores(library, tmp_path):
    catalog, _, _ = _trained(library)
    before = taste.personal_scores(catalog)
    exported = taste.export_model(catalog, tmp_path / "mine.photocull-taste")
    taste.reset(catalog)
    version, model = taste.import_model(catalog, exported)
    assert version == 1 and model.active
    assert taste.personal_scores(catalog) == before


def test_import_refuses_files_that_are_not_personal_models(library, tmp_path):
    catalog, _ = library
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(taste.PersonalModelError):
        taste.import_model(catalog, junk)
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    with pytest.raises(taste.PersonalModelError):
        taste.import_model(catalog, tmp_path / "other.npz")
    with pytest.raises(taste.PersonalModelError):
        taste.export_model(catalog, tmp_path / "none.npz")
    assert taste.versions(catalog) == []


def test_pairwise_head_recovers_a_planted_direction():
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=12)
    a, b = rng.normal(size=(2, 2000, 12))
    a_wins = rng.random(2000) < 1 / (1 + np.exp(-(a - b) @ hidden))
    differences = np.where(a_wins[:, None], a - b, b - a)
    learnt = fit_pairwise(differences, l2=1.0)
    assert learnt @ hidden / (np.linalg.norm(learnt) * np.linalg.norm(hidden)) > 0.95


def test_burst_choices_alone_teach_which_frame_wins(tmp_path):
    catalog, vectors = analysed_catalog(tmp_path / "bursts", 320, bursts=80)
    # In each of the first 70 bursts the user picks the frame highest along axis 3 and leaves the rest.
    for b in range(70):
        members = range(b * 4 + 1, b * 4 + 5)
        decide(catalog, {max(members, key=lambda pid: vectors[pid - 1, 3]): (1, 0)})
    report = taste.personalize(catalog)
    assert report.pairs["burst"] == 70 * 3 and report.pairs["overall"] == 0
    assert report.status == "active", report.message
    prefer = taste.personal_pairwise(catalog)
    undecided = [range(b * 4 + 1, b * 4 + 5) for b in range(70, 80)]
    wanted = [max(members, key=lambda pid: vectors[pid - 1, 3]) for members in undecided]
    duels = [prefer(w, other) > 0.5 for w, members in zip(wanted, undecided) for other in members if other != w]
    assert np.mean(duels) >= 0.8
    # best_shot also weighs (here random) sharpness and quality, so the personal model decides most bursts, not all
    ranked = taste.rank_bursts(catalog)
    assert sum(ranked[w].is_best for w in wanted) >= 5  # chance: 2.5 of 10


def test_utility_and_burst_pairs():
    assert [utility_of(-1, 5), utility_of(0, 0), utility_of(1, 0), utility_of(0, 2), utility_of(1, 4)] == \
           [0.0, None, 3.5, 2.0, 4.5]
    assert NOT_CHOSEN < utility_of(1, 0)


def test_calibration_asks_unordered_pairs_and_learns_answers(library):
    catalog, vectors = library
    decide(catalog, {1: (1, 0), 2: (-1, 0)})  # burst 1..4: 1 beat 2 already
    pairs = taste.least_sure_pairs(catalog, 50)
    assert pairs and all({p.first_id, p.second_id} != {1, 2} for p in pairs)
    bands = [round(abs(p.probability - 0.5) / 0.05) for p in pairs]  # least sure first, in 5-point bands
    assert bands == sorted(bands)
    first = pairs[0]
    taste.record_choice(catalog, first.second_id, first.first_id)
    assert all({p.first_id, p.second_id} != {first.first_id, first.second_id} for p in taste.least_sure_pairs(catalog, 50))
    assert (first.second_id, first.first_id) in {tuple(x) for x in read_preferences(
        catalog, taste.store.read_choices(catalog)).pairs.tolist()}
    with pytest.raises(ValueError):
        taste.record_choice(catalog, 5, 5)


def test_spearman_matches_scipy():
    rng = np.random.default_rng(2)
    a, b = rng.integers(0, 5, 50).astype(float), rng.normal(size=50)
    assert spearman(a, b) == pytest.approx(spearmanr(a, b).statistic)


def test_cli_personalize_report_export_import_reset(library, tmp_path, capsys):
    catalog, vectors = library
    decide(catalog, taste_decisions(vectors, list(range(1, 151)), _direction(), noise=0.3))
    root = str(catalog.root)
    assert main(["personalize", root, "--report", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "active" and report["decisions"] == 150 and report["min_decisions"] == taste.MIN_DECISIONS
    file = tmp_path / "taste.npz"
    assert main(["personalize", root, "--export", str(file)]) == 0 and file.exists()
    assert main(["personalize", root, "--reset"]) == 0 and taste.versions(catalog) == []
    assert main(["personalize", root, "--import", str(file)]) == 0 and taste.versions(catalog) == [1]
    capsys.readouterr()
    assert main(["personalize", root, "--calibrate", "3", "--report", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["pairs"]) == 3
    (tmp_path / "bad.npz").write_text("nope")
    assert main(["personalize", root, "--import", str(tmp_path / "bad.npz")]) == 1
    assert main(["personalize", str(tmp_path / "never-scanned")]) == 3


def test_exported_dataset_reads_back_as_the_same_examples_with_paths(library, tmp_path, capsys):
    catalog, vectors = library
    decide(catalog, taste_decisions(vectors, list(range(1, 61)), _direction(), noise=0.3))
    taste.record_choice(catalog, 7, 9)
    file = tmp_path / "decisions.json"
    assert main(["personalize", str(catalog.root), "--export-dataset", str(file), "--report", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    exported = load_dataset(file)
    expected = read_preferences(catalog, taste.store.read_choices(catalog))
    assert printed["decisions"] == expected.decisions == exported.preferences.decisions
    np.testing.assert_array_equal(exported.preferences.photo_ids, expected.photo_ids)
    np.testing.assert_array_equal(exported.preferences.utility, expected.utility)
    assert sorted(map(tuple, exported.preferences.pairs.tolist())) == sorted(map(tuple, expected.pairs.tolist()))
    assert exported.preferences.count(CALIBRATION) == 1 and exported.preferences.count(BURST) == expected.count(BURST)
    assert exported.preferences.groups == expected.groups
    by_id = {p.id: catalog.abspath(p.path) for p in catalog.photos()}
    assert exported.paths == {pid: by_id[pid] for pid in exported.paths}
    assert set(exported.paths) >= set(expected.photo_ids.tolist())


def test_a_file_that_is_not_an_exported_dataset_is_refused(tmp_path):
    (tmp_path / "other.json").write_text(json.dumps({"format": "photocull.personal-dataset/0", "photos": []}))
    (tmp_path / "broken.json").write_text("{")
    for name, message in (("other.json", "not a photocull.personal-dataset/1"), ("broken.json", "cannot read"),
                          ("absent.json", "cannot read")):
        with pytest.raises(DatasetFileError, match=message):
            load_dataset(tmp_path / name)

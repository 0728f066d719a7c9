"""The eyes benchmark's report becomes manifest metrics (build-assets --eval-metrics)."""

from __future__ import annotations

import pytest

from training.assets.faces import eval_metrics_from_bench


def _way(auc: float, flagged: int, flagged_open: int) -> dict:
    return {"n_closed": 263, "n_open": 735, "auc": auc, "threshold": 0.12,
            "at_threshold": {"recall": 0.93, "flagged": flagged, "flagged_but_open": flagged_open,
                             "flagged_but_open_rate": flagged_open / flagged},
            "model_ms": {"iris_landmark": {"calls": 2, "ms_per_call": 2.5}, "face_landmark": {"calls": 1, "ms_per_call": 2.0}}}


def test_report_numbers_go_to_the_iris_manifest_with_their_split():
    result = {"part": "report", "split": "sha256(source key) even: tune, odd: report", "pad": 0.25,
              "photos": _way(0.9885, 253, 9), "crops": _way(0.9928, 258, 8)}
    metrics = eval_metrics_from_bench(result)
    iris = {m.name: m for m in metrics["iris_landmark"]}
    assert iris["closed_eyes_auc_photos"].value == pytest.approx(0.9885)
    assert iris["closed_eyes_auc_crops"].value == pytest.approx(0.9928)
    assert iris["flagged_but_open_rate_photos"].value == pytest.approx(round(9 / 253, 4))
    assert "9 of 253" in iris["flagged_but_open_rate_photos"].notes
    assert all(m.split.startswith("report half") for m in metrics["iris_landmark"] if m.name != "onnx_cpu_ms_per_call")
    assert [m.name for m in metrics["face_landmark"]] == ["onnx_cpu_ms_per_call"]

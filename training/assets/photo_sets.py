"""Which photos the shipped quality models may learn from, and which are held out to test them.

Only permissively licensed photos train a shipped model (docs/data.md): the Kodak24
suite (released by Kodak for unrestricted use) and the photos scikit-image,
matplotlib and scikit-learn ship (public domain / CC0; sklearn's ``china`` and
``flower`` are CC BY 2.0 and credited in ``assets/NOTICE``). The files are
looked up by name in a folder laid out like the project's ``data/photos``
(``kodak_kodimNN.jpg``, ``pkg_<name>.jpg``); every file's sha256 goes into the
manifest, so anyone can tell whether they rebuilt from the same bytes.

Seven permissive photos never train anything: they are the held-out set the
builder measures SRCC on (the bench adds research-only photos for a larger test).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

#: Long side the photos are decoded at for training and evaluation (see training.distortions.REFERENCE_SIDE).
WORKING_SIDE = 480

TRAIN_PHOTOS: tuple[str, ...] = tuple(f"kodak_kodim{i:02d}.jpg" for i in range(1, 19)) + (
    "pkg_astronaut.jpg",
    "pkg_coffee.jpg",
    "pkg_rocket.jpg",
    "pkg_grace_hopper.jpg",
    "pkg_china.jpg",
    "pkg_flower.jpg",
)
HELDOUT_PHOTOS: tuple[str, ...] = tuple(f"kodak_kodim{i:02d}.jpg" for i in range(19, 25)) + ("pkg_chelsea.jpg",)

TRAINING_DATA = (
    "Synthetic distortion ranks (training.distortions) of 24 permissively licensed photos: "
    "Kodak24 kodim01-18 (Kodak, unrestricted use); scikit-image astronaut (public domain), coffee (CC0), "
    "rocket (public domain); matplotlib grace_hopper (public domain); scikit-learn china and flower "
    "(CC BY 2.0, see NOTICE). No human quality labels. File list with sha256 in provenance.training_photos."
)


@dataclass(frozen=True)
class Photo:
    name: str
    sha256: str
    pixels: np.ndarray  # H×W×3 uint8, long side <= WORKING_SIDE


def load_photos(directory: Path, names: tuple[str, ...], *, long_side: int = WORKING_SIDE) -> list[Photo]:
    """Decode the named photos (RGB, long side shrunk to ``long_side``); a missing one is an error."""
    missing = [name for name in names if not (Path(directory) / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{directory}: missing training photos {missing[:5]} ({len(missing)} in all)")
    return [_load(Path(directory) / name, long_side) for name in names]


def load_image(path: Path, long_side: int = WORKING_SIDE) -> np.ndarray:
    """One photo as RGB uint8 with its long side at most ``long_side`` (Lanczos, aspect kept)."""
    with Image.open(path) as image:
        image = image.convert("RGB")
        scale = long_side / max(image.size)
        if scale < 1.0:
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            image = image.resize(size, Image.Resampling.LANCZOS)
        return np.asarray(image)


def photo_record(photos: list[Photo]) -> dict[str, object]:
    """What the manifest stores: each file's sha256, and one hash over the sorted list."""
    files = {photo.name: photo.sha256 for photo in photos}
    listing = "\n".join(f"{name} {digest}" for name, digest in sorted(files.items()))
    return {"files": files, "list_sha256": hashlib.sha256(listing.encode()).hexdigest()}


def _load(path: Path, long_side: int) -> Photo:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Photo(name=path.name, sha256=digest, pixels=load_image(path, long_side))

"""Where photocull keeps its catalogs, caches, settings and user models.

Every location comes from platformdirs, so on Linux it honours
XDG_DATA_HOME / XDG_CACHE_HOME / XDG_CONFIG_HOME. Tests and scripts isolate
themselves by pointing those variables at a temporary folder. Nothing is ever
written next to the user's photos except XMP sidecars, and only on request.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs

APP_NAME = "photocull"


def data_dir() -> Path:
    """Catalogs, personal models, trash records: things worth backing up."""
    return _ensure(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))


def cache_dir() -> Path:
    """Thumbnails and previews: safe to delete, rebuilt on demand."""
    return _ensure(Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)))


def config_dir() -> Path:
    """Settings the user chose."""
    return _ensure(Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)))


def user_models_dir() -> Path:
    """ONNX models the user installed (exported by ``python -m training``)."""
    return _ensure(data_dir() / "models")


def library_key(root: Path) -> str:
    """A stable, filesystem-safe name for a library root folder.

    The readable stem helps a person find their catalog; the hash keeps two
    folders with the same name apart.
    """
    resolved = str(Path(root).expanduser().resolve())
    digest = hashlib.sha1(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(resolved).name)[:40]
    return f"{stem or 'root'}-{digest}"


def _ensure(path: Path) -> Path:
    os.makedirs(path, exist_ok=True)
    return path

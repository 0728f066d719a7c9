"""Where personal models live: versioned files in the user data folder, one folder per library.

``paths.data_dir()/personal/<library key>/``:

* ``model-0001.npz``, ``model-0002.npz``…: every fit is a new version; the newest is in use.
  Old versions stay (a user can go back by importing one), :data:`KEEP_VERSIONS` at most.
* ``choices.json``: answers to "help me calibrate" questions, ``[[winner_id, loser_id], …]``.

Reset removes the whole folder: models and calibration answers (the decisions themselves
belong to the catalog and are never touched). Export copies the model in use to any file;
import validates a file and stores it as the newest version.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from engine.config import paths
from engine.config.atomic_write import write_atomic
from engine.library.catalog import Catalog
from engine.personalize.model import PersonalModel, PersonalModelError

KEEP_VERSIONS = 10
_VERSION_FILE = re.compile(r"^model-(\d{4,})\.npz$")
#: Refuse to read anything bigger: a personal model is a few tens of kilobytes.
MAX_IMPORT_BYTES = 64 * 1024 * 1024


def personal_dir(catalog: Catalog) -> Path:
    return paths.data_dir() / "personal" / paths.library_key(catalog.root)


def versions(catalog: Catalog) -> list[int]:
    folder = personal_dir(catalog)
    if not folder.is_dir():
        return []
    found = (_VERSION_FILE.match(p.name) for p in folder.iterdir())
    return sorted(int(m.group(1)) for m in found if m)


def save_model(catalog: Catalog, model: PersonalModel) -> int:
    """Store ``model`` as the newest version; returns its version number."""
    folder = personal_dir(catalog)
    folder.mkdir(parents=True, exist_ok=True)
    existing = versions(catalog)
    version = (existing[-1] if existing else 0) + 1
    write_atomic(_version_path(folder, version), model.to_bytes())
    for old in existing[:max(0, len(existing) + 1 - KEEP_VERSIONS)]:
        _version_path(folder, old).unlink(missing_ok=True)
    return version


def load_model(catalog: Catalog, version: int | None = None) -> PersonalModel | None:
    """The newest (or the given) version, None when there is none."""
    known = versions(catalog)
    if not known or (version is not None and version not in known):
        return None
    path = _version_path(personal_dir(catalog), version or known[-1])
    return PersonalModel.from_bytes(path.read_bytes(), str(path))


def reset(catalog: Catalog) -> int:
    """Forget this library's personal models and calibration answers; returns versions removed."""
    removed = len(versions(catalog))
    shutil.rmtree(personal_dir(catalog), ignore_errors=True)
    return removed


def export_model(catalog: Catalog, destination: Path) -> Path:
    """Write the model in use to ``destination`` (a file); raises PersonalModelError when none."""
    known = versions(catalog)
    if not known:
        raise PersonalModelError("no personal model to export: personalize first")
    destination = Path(destination).expanduser()
    destination.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(destination, _version_path(personal_dir(catalog), known[-1]).read_bytes())
    return destination


def import_model(catalog: Catalog, source: Path) -> tuple[int, PersonalModel]:
    """Validate ``source`` and store it as the newest version; returns (version, model)."""
    source = Path(source).expanduser()
    try:
        if source.stat().st_size > MAX_IMPORT_BYTES:
            raise PersonalModelError(f"{source} is too large to be a personal model")
        data = source.read_bytes()
    except OSError as exc:
        raise PersonalModelError(f"cannot read {source}: {exc.strerror or exc}") from exc
    model = PersonalModel.from_bytes(data, str(source))
    return save_model(catalog, model), model


def read_choices(catalog: Catalog) -> list[tuple[int, int]]:
    path = personal_dir(catalog) / "choices.json"
    try:
        return [(int(w), int(l)) for w, l in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        return []


def add_choice(catalog: Catalog, winner_id: int, loser_id: int) -> None:
    """Remember one calibration answer (a later answer about the same two photos replaces it)."""
    kept = [(w, l) for w, l in read_choices(catalog) if {w, l} != {winner_id, loser_id}]
    folder = personal_dir(catalog)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "choices.json", json.dumps([*kept, (winner_id, loser_id)]).encode("utf-8"))


def _version_path(folder: Path, version: int) -> Path:
    return folder / f"model-{version:04d}.npz"

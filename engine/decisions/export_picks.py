"""Copy (or move) picked photos out of a library, with their partners and sidecars.

A photo travels as a unit: all its files (RAW+JPEG, CR2+DNG) and every
sidecar that belongs to it (:func:`engine.decisions.sidecars.plan_sidecars`), so the
destination keeps ratings other programs can read.

Safety rules, in order of importance:

* Nothing at the destination is ever overwritten. When a name is taken, the
  whole unit gets the same suffix (``IMG_0001-1.CR2``, ``IMG_0001-1.JPG``,
  ``IMG_0001-1.xmp``) so the files still pair up.
* Every copy is verified — size and sha256 of the copy read back from disk
  against those of the source as it was read — before it gets its final name.
* ``move`` removes a photo's sources only after *all* its files were copied
  and verified; any failure keeps every source of that photo.
* Copies are written under a temporary name and published with a hard link,
  which fails instead of replacing a file that appeared meanwhile (or, where
  the destination filesystem has no hard links, with a checked rename).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.config.atomic_write import fsync_dir
from engine.decisions.record import PICK
from engine.decisions.sidecars import FileProblem, Progress, plan_sidecars
from engine.library.catalog import Catalog, PhotoRecord

_CHUNK = 1 << 20


class VerificationError(Exception):
    """A copy does not match its source."""


@dataclass
class ExportReport:
    exported: int = 0                                             # photos fully copied (or moved)
    copied: list[tuple[Path, Path]] = field(default_factory=list)  # (source, destination)
    removed_sources: list[Path] = field(default_factory=list)      # with move=True
    problems: list[FileProblem] = field(default_factory=list)


def export_picks(catalog: Catalog, destination: Path, *, photos: Sequence[PhotoRecord] | None = None,
                 move: bool = False, flatten: bool = False, progress: Progress | None = None) -> ExportReport:
    """Copy (``move``: then remove the sources of) every picked photo to ``destination``.

    Folders below the library root are recreated unless ``flatten``.
    ``photos`` narrows the candidates (default: the whole library).
    """
    destination = Path(destination).expanduser().resolve()
    picked = [p for p in (catalog.photos() if photos is None else photos) if p.flag == PICK and p.files]
    plans, problems = plan_sidecars(catalog.root, picked)
    report = ExportReport(problems=problems)
    taken = _TakenNames()
    for done, photo in enumerate(picked, 1):
        sources = [catalog.abspath(f) for f in photo.files]
        sources += list(plans[photo.id].existing) if photo.id in plans else []
        folder = destination if flatten else destination.joinpath(*Path(photo.folder).parts)
        _export_photo(photo.stem, sources, folder, taken, move, report)
        if progress is not None:
            progress(done, len(picked))
    return report


def unit_names(stem: str, names: Sequence[str], suffix: int) -> list[str]:
    """``names`` with ``-suffix`` after the shared stem (0: unchanged).

    Every file of a photo starts with its stem (``IMG_1.CR2``, ``IMG_1.xmp``,
    ``IMG_1.JPG.xmp``), so the suffix goes right after it.
    """
    if suffix == 0:
        return list(names)
    return [f"{stem}-{suffix}{name[len(stem):]}" for name in names]


def _export_photo(stem: str, sources: list[Path], folder: Path, taken: _TakenNames, move: bool,
                  report: ExportReport) -> None:
    missing = [s for s in sources if not s.is_file()]
    if missing:
        report.problems += [FileProblem(str(s), "missing; its photo was not exported") for s in missing]
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        targets = [folder / n for n in taken.claim(folder, stem, [s.name for s in sources])]
        for source, target in zip(sources, targets):
            copy_verified(source, target)
            report.copied.append((source, target))
    except (OSError, VerificationError) as exc:
        report.problems.append(FileProblem(str(sources[0]), f"not exported{' (sources kept)' if move else ''}: {exc}"))
        return
    report.exported += 1
    if move:
        _remove_sources(sources, report)


class _TakenNames:
    """Names already used in each destination folder: on disk, or claimed earlier in this run.

    Compared in lower case: the destination may be a case-insensitive disk.
    """

    def __init__(self) -> None:
        self._by_folder: dict[Path, set[str]] = {}

    def claim(self, folder: Path, stem: str, names: list[str]) -> list[str]:
        """The names with the first suffix under which none of them is taken; claims them."""
        taken = self._by_folder.setdefault(folder, {entry.lower() for entry in os.listdir(folder)})
        suffix = 0
        while any(n.lower() in taken for n in unit_names(stem, names, suffix)):
            suffix += 1
        chosen = unit_names(stem, names, suffix)
        taken.update(n.lower() for n in chosen)
        return chosen


def copy_verified(source: Path, target: Path) -> None:
    """Copy ``source`` to a new file ``target`` (never replacing one), verified by size and sha256."""
    temporary = target.with_name(f".{target.name}.photocull-partial")
    try:
        expected = _copy_bytes(source, temporary)
        actual = file_digest(temporary)
        if actual != expected:
            raise VerificationError(f"copy of {source.name} does not match the source "
                                    f"(size {actual[0]} vs {expected[0]}, sha256 differs)")
        shutil.copystat(source, temporary)   # keep the capture-day mtime photographers sort by
        _publish(temporary, target)
    finally:
        if temporary.exists():
            temporary.unlink()
    fsync_dir(target.parent)


def file_digest(path: Path) -> tuple[int, str]:
    """(size, sha256 hex) of a file's content as read now."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _copy_bytes(source: Path, target: Path) -> tuple[int, str]:
    """Write a copy of ``source`` and return (size, sha256) of what was read from it."""
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as src, open(target, "xb") as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return size, digest.hexdigest()


def _publish(temporary: Path, target: Path) -> None:
    try:
        os.link(temporary, target)          # fails with FileExistsError rather than overwrite
    except FileExistsError:
        raise
    except OSError:                          # no hard links here (FAT, some network shares)
        if target.exists():
            raise FileExistsError(f"{target} appeared during the export") from None
        os.rename(temporary, target)


def _remove_sources(sources: list[Path], report: ExportReport) -> None:
    for source in sources:
        try:
            source.unlink()
            report.removed_sources.append(source)
        except OSError as exc:
            report.problems.append(FileProblem(str(source), f"copied and verified, but not removed: {exc.strerror}"))

"""Sidecar files: which ones belong to a photo, writing decisions to them, importing from them.

Naming (a setting, :class:`Naming`):

* ``adobe`` (default) — ``IMG_0001.xmp``: the extension replaced. Adobe
  (Lightroom, Bridge) and Capture One read this name.
* ``darktable`` — ``IMG_0001.CR2.xmp``: the file name with ``.xmp`` appended,
  one per file. darktable and digiKam read this name.

The naming decides which *new* files are created. Sidecars of the photo that
already exist under the other naming (say darktable's ``IMG_0001.CR2.xmp``
when writing Adobe names) are updated too, so no program is left reading a
stale rating. JPEG, HEIC, TIFF… get sidecars like RAW files: originals are
never modified (embedding into the original is not implemented).

RAW+JPEG pairs and the ``IMG_0001.CR2`` + ``IMG_0001.DNG`` collision: the
catalog makes every file of one folder with one stem a single photo with one
decision, so under Adobe naming the shared ``IMG_0001.xmp`` carries the same
values whichever file a program attaches it to — there is nothing to
disagree about. (Lightroom's own develop settings for the DNG live inside the
DNG, so the shared sidecar's ``crs:`` belong to the CR2; we never touch them.)
Under darktable naming every file gets its own ``NAME.EXT.xmp``.

The rule for real collisions: a sidecar name that would belong to more than
one catalog photo — stems differing only in case (``IMG_1`` and ``img_1``
share ``IMG_1.xmp`` on Windows and macOS), or a photo named ``IMG_1.CR2.jpg``
whose Adobe sidecar is ``IMG_1.CR2``'s darktable one — is used by neither:
not read, not written, reported. Those photos fall back to appended names
under Adobe naming. Sidecar names are matched without regard to case, so an
existing ``IMG_0001.XMP`` is found and updated rather than duplicated.

Import (:func:`import_sidecars`): every sidecar of a photo, and the XMP
embedded in its JPEG/TIFF/HEIC/PNG/WebP files, is read; the newest source (by
file modification time) is compared with the catalog's decision: the newer
wins (sidecar mtime vs the decision's ``updated_at``). A source that records
only some fields (Lightroom writes stars but no pick flag) changes only
those. Unreadable or malformed sidecars are reported and left untouched.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePosixPath

from PIL import Image

from engine.decisions.record import Decision, apply_changes, stored_decisions
from engine.decisions.xmp import XmpDecision, XmpError, read_decision, read_decision_file, write_decision_file
from engine.library import decode  # noqa: F401  (registers the HEIF opener for embedded XMP)
from engine.library.catalog import Catalog, PhotoRecord
from engine.library.formats import RASTER_EXTENSIONS

#: progress(done, total): photos handled so far, photos to handle.
Progress = Callable[[int, int], None]


class Naming(str, Enum):  # noqa: UP042  (StrEnum would change str(), which messages use)
    ADOBE = "adobe"            # IMG_0001.xmp
    DARKTABLE = "darktable"    # IMG_0001.CR2.xmp


@dataclass(frozen=True)
class SidecarSettings:
    """How sidecars are written. ``lightroom_pick`` adds xmpDM:pick/good (see engine.decisions.xmp)."""

    naming: Naming = Naming.ADOBE
    lightroom_pick: bool = False


@dataclass(frozen=True)
class FileProblem:
    """A file we could not handle, and why (one sentence for people)."""

    path: str
    message: str


@dataclass(frozen=True)
class SidecarPlan:
    """The sidecars of one photo: those on disk now, and those a write touches."""

    photo_id: int
    existing: tuple[Path, ...]
    targets: tuple[Path, ...]


@dataclass
class SidecarReport:
    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    problems: list[FileProblem] = field(default_factory=list)


@dataclass
class ImportReport:
    imported: int = 0              # photos whose decision changed
    kept: int = 0                  # photos whose catalog decision was newer than their sidecars
    batch: int = 0                 # decision_log batch (undo reverts the whole import)
    problems: list[FileProblem] = field(default_factory=list)


def adobe_name(stem: str) -> str:
    return f"{stem}.xmp"


def appended_name(file_name: str) -> str:
    return f"{file_name}.xmp"


def plan_sidecars(root: Path, photos: Sequence[PhotoRecord],
                  naming: Naming = Naming.ADOBE) -> tuple[dict[int, SidecarPlan], list[FileProblem]]:
    """Sidecar plans for ``photos`` (each folder listed once), and the ambiguous names."""
    by_folder: dict[str, list[PhotoRecord]] = {}
    for photo in photos:
        if photo.files:
            by_folder.setdefault(photo.folder, []).append(photo)
    plans: dict[int, SidecarPlan] = {}
    problems: list[FileProblem] = []
    for folder, group in by_folder.items():
        folder_plans, folder_problems = _plan_folder(root / folder, folder, group, naming)
        plans.update(folder_plans)
        problems += folder_problems
    return plans, problems


def write_sidecars(catalog: Catalog, settings: SidecarSettings = SidecarSettings(), *,
                   photos: Sequence[PhotoRecord] | None = None, progress: Progress | None = None) -> SidecarReport:
    """Write the catalog's decisions into the sidecars of ``photos`` (default: all).

    Only photos that have a decision are written; a photo set back to
    "nothing" still is, so earlier values in its sidecars are cleared.
    """
    photos = catalog.photos() if photos is None else photos
    decided = stored_decisions(catalog, [p.id for p in photos])
    photos = [p for p in photos if p.id in decided]
    plans, problems = plan_sidecars(catalog.root, photos, settings.naming)
    report = SidecarReport(problems=problems)
    for done, photo in enumerate(photos, 1):
        for target in plans[photo.id].targets if photo.id in plans else ():
            _write_one(target, decided[photo.id].decision, settings, report)
        if progress is not None:
            progress(done, len(photos))
    return report


def import_sidecars(catalog: Catalog, *, photos: Sequence[PhotoRecord] | None = None, embedded: bool = True,
                    progress: Progress | None = None) -> ImportReport:
    """Import ratings, labels and flags other programs recorded (see the module docstring).

    The whole import is one decision_log batch, so one undo reverts it.
    """
    photos = catalog.photos() if photos is None else photos
    plans, problems = plan_sidecars(catalog.root, photos)
    stored = stored_decisions(catalog, [p.id for p in photos])
    report = ImportReport(problems=problems)
    targets: dict[int, Decision] = {}
    for done, photo in enumerate(photos, 1):
        plan = plans.get(photo.id)
        sources = _sources(catalog, photo, plan.existing if plan else (), embedded, report)
        if sources:
            mtime, recorded = max(sources, key=lambda s: s[0])
            current = stored.get(photo.id)
            if current is not None and current.updated_at >= mtime:
                report.kept += 1
            else:
                target = recorded.over(current.decision if current else Decision())
                if target != (current.decision if current else Decision()):
                    targets[photo.id] = target
        if progress is not None:
            progress(done, len(photos))
    report.batch = apply_changes(catalog, targets, source="sidecar")
    report.imported = len(targets)
    return report


def read_embedded_xmp(path: Path) -> bytes | None:
    """The XMP packet embedded in a JPEG/TIFF/HEIC/PNG/WebP file, if any (never raises)."""
    try:
        with Image.open(path) as image:
            packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    except Exception:   # unreadable images are the scan's business, not the import's
        return None
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    return packet or None


def _plan_folder(directory: Path, folder: str, group: list[PhotoRecord],
                 naming: Naming) -> tuple[dict[int, SidecarPlan], list[FileProblem]]:
    on_disk = _xmp_files(directory)
    names = {photo.id: _candidate_names(photo) for photo in group}
    ambiguous, case_twins = _shared_names(names)
    problems = [FileProblem(str(PurePosixPath(folder, name)),
                            "sidecar name shared by photos whose names differ only in case or extension; "
                            "not read or written for them (appended names used instead)")
                for name in sorted(ambiguous)]
    plans = {}
    for photo_id, (adobe, appended) in names.items():
        usable = [n for n in (adobe, *appended) if n.lower() not in ambiguous]
        existing = [directory / actual for n in usable for actual in _on_disk(on_disk, n, case_twins)]
        wanted = [adobe] if naming is Naming.ADOBE and adobe in usable else [n for n in appended if n in usable]
        created = [directory / n for n in wanted if not _on_disk(on_disk, n, case_twins)]
        plans[photo_id] = SidecarPlan(photo_id, tuple(existing), tuple(existing + created))
    return plans, problems


def _shared_names(names: dict[int, tuple[str, list[str]]]) -> tuple[set[str], set[str]]:
    """Lower-cased sidecar names claimed by more than one photo: (ambiguous, case twins).

    Compared without case because libraries live on case-insensitive disks
    (Windows, macOS, exFAT cards). Two appended names that differ only in
    case are no clash — the files they derive from already coexist — but
    each then matches only its exact spelling (its "case twins").
    """
    claims: dict[str, list[tuple[int, str, bool]]] = {}
    for photo_id, (adobe, appended) in names.items():
        claims.setdefault(adobe.lower(), []).append((photo_id, adobe, False))
        for name in appended:
            claims.setdefault(name.lower(), []).append((photo_id, name, True))
    ambiguous, twins = set(), set()
    for lowered, owners in claims.items():
        if len({owner for owner, _, _ in owners}) < 2:
            continue
        all_appended = all(is_appended for _, _, is_appended in owners)
        distinct = len({name for _, name, _ in owners}) == len(owners)
        (twins if all_appended and distinct else ambiguous).add(lowered)
    return ambiguous, twins


def _on_disk(on_disk: dict[str, list[str]], name: str, case_twins: set[str]) -> list[str]:
    """The existing spelling(s) of ``name``: the exact one when present, else its case variants."""
    variants = on_disk.get(name.lower(), [])
    if name in variants or name.lower() in case_twins:
        return [name] if name in variants else []
    return variants


def _candidate_names(photo: PhotoRecord) -> tuple[str, list[str]]:
    return adobe_name(photo.stem), [appended_name(PurePosixPath(f).name) for f in photo.files]


def _xmp_files(directory: Path) -> dict[str, list[str]]:
    """Sidecar-looking names in a folder, keyed by lower case (a missing folder has none)."""
    found: dict[str, list[str]] = {}
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.lower().endswith(".xmp"):
                    found.setdefault(entry.name.lower(), []).append(entry.name)
    except OSError:
        pass
    return found


def _write_one(target: Path, decision: Decision, settings: SidecarSettings, report: SidecarReport) -> None:
    try:
        if write_decision_file(target, decision, lightroom_pick=settings.lightroom_pick):
            report.written.append(target)
        else:
            report.unchanged += 1
    except XmpError as exc:
        report.problems.append(FileProblem(str(target), f"left untouched: {exc.message}"))
    except OSError as exc:
        report.problems.append(FileProblem(str(target), f"cannot write: {exc.strerror or exc}"))


def _sources(catalog: Catalog, photo: PhotoRecord, sidecars: Iterable[Path], embedded: bool,
             report: ImportReport) -> list[tuple[float, XmpDecision]]:
    """(mtime, what it records) for each sidecar and embedded packet that records something."""
    found = []
    for sidecar in sidecars:
        try:
            recorded = read_decision_file(sidecar)
            mtime = sidecar.stat().st_mtime
        except XmpError as exc:
            report.problems.append(FileProblem(str(sidecar), f"not imported: {exc.message}"))
            continue
        except OSError as exc:
            report.problems.append(FileProblem(str(sidecar), f"cannot read: {exc.strerror or exc}"))
            continue
        if recorded is not None:
            found.append((mtime, recorded))
    if embedded:
        for relative in photo.files:
            found += _embedded_source(catalog.abspath(relative))
    return found


def _embedded_source(path: Path) -> list[tuple[float, XmpDecision]]:
    if path.suffix.lower() not in RASTER_EXTENSIONS:
        return []
    packet = read_embedded_xmp(path)
    if packet is None:
        return []
    try:
        recorded = read_decision(packet)
        mtime = path.stat().st_mtime
    except (XmpError, OSError):
        return []   # a broken embedded packet is not worth a report: the image itself is fine
    return [(mtime, recorded)] if recorded is not None else []

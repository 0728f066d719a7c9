"""Find the photo files of a library: a recursive walk that only lists and stats.

Rules (documented for users in the CLI help and the README):

* Supported files are those :func:`engine.library.formats.kind_of` recognises
  (rasters and camera RAW), by extension (case-insensitive).
* Skipped folders: every hidden folder (name starting with ``.``: ``.git``,
  ``.Trash-1000``, ``.thumbnails``, ``.cache`` …), NAS/OS system folders
  (``@eaDir``, ``#recycle``, ``#snapshot``, ``$RECYCLE.BIN``,
  ``System Volume Information``, ``lost+found``, ``__MACOSX``) and photocull's
  own data and cache folders when they sit inside the library. Hidden files
  (``._IMG_0001.JPG`` AppleDouble debris, ``.DS_Store``) are skipped too: they
  are never photos a person meant to keep.
* Symbolic links are followed (a library may be assembled from links), but
  every real directory is entered once, keyed by (device, inode): link loops
  and two links to one folder cannot make the walk endless or list twice.
* Folders that cannot be listed and files that cannot be stat'ed become
  :class:`Problem` entries instead of exceptions; the walk goes on.

Why a hand-written walk rather than ``os.walk``: we need the ``stat`` of every
file anyway (size and mtime drive incremental rescans), ``os.scandir`` hands
it over with the directory entry, and ``os.walk(followlinks=True)`` has no
loop protection.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import Literal

from engine.library.formats import RASTER_EXTENSIONS, RAW_EXTENSIONS

# engine.library.formats.kind_of as a table: the same extension sets, without building
# a Path per directory entry.
_KIND_BY_EXTENSION: dict[str, Literal["raster", "raw"]] = {
    **dict.fromkeys(RAW_EXTENSIONS, "raw"),
    **dict.fromkeys(RASTER_EXTENSIONS, "raster"),
}

SYSTEM_FOLDER_NAMES = frozenset(
    {
        "@eaDir",
        "#recycle",
        "#snapshot",
        "$RECYCLE.BIN",
        "System Volume Information",
        "lost+found",
        "__MACOSX",
    }
)


@dataclass(frozen=True, slots=True)
class FoundFile:
    """A supported file: its root-relative ``/`` path and what a rescan compares.

    ``folder`` ('' for the library root), ``stem`` and ``ext`` (lower case, with
    the dot) are split once here with string operations: rescans handle tens of
    thousands of these, and pathlib objects would dominate their cost.
    """

    path: str
    size: int
    mtime_ns: int
    kind: Literal["raster", "raw"]
    folder: str
    stem: str
    ext: str


@dataclass(frozen=True)
class Problem:
    """Something the walk could not read; ``reason`` uses DecodeError's codes."""

    path: str
    reason: str
    message: str
    is_folder: bool


@dataclass
class Discovery:
    files: list[FoundFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def unreadable_folders(self) -> list[str]:
        return [p.path for p in self.problems if p.is_folder]


def is_skipped_name(name: str) -> bool:
    """Hidden entries and system folders are never part of a library."""
    return name.startswith(".") or name in SYSTEM_FOLDER_NAMES


def discover(
    root: Path,
    *,
    exclude: Iterable[Path] = (),
    cancel: threading.Event | None = None,
) -> Discovery:
    """Walk ``root`` and return every supported file, sorted by path.

    ``exclude`` lists folders never to enter (photocull's own data and cache).
    ``cancel`` stops the walk early; the result is then partial.
    """
    result = Discovery()
    visited = {_dir_key(Path(p)) for p in exclude if Path(p).is_dir()}
    visited.add(_dir_key(root))
    pending = [(str(root), "")]
    while pending:
        if cancel is not None and cancel.is_set():
            break
        folder, rel_folder = pending.pop()
        try:
            with os.scandir(folder) as entries:
                children = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            result.problems.append(_problem(rel_folder, exc, is_folder=True))
            continue
        subfolders: list[tuple[str, str]] = []
        for entry in children:
            if is_skipped_name(entry.name):
                continue
            rel = f"{rel_folder}/{entry.name}" if rel_folder else entry.name
            _visit(entry, rel, visited, subfolders, result)
        pending.extend(reversed(subfolders))
    result.files.sort(key=lambda f: f.path)
    return result


def _visit(
    entry: os.DirEntry,
    rel: str,
    visited: set[tuple[int, int]],
    subfolders: list[tuple[str, str]],
    result: Discovery,
) -> None:
    try:
        if entry.is_dir():
            key = _dir_key(Path(entry.path))
            if key not in visited:
                visited.add(key)
                subfolders.append((entry.path, rel))
            return
        stem, ext = os.path.splitext(entry.name)
        kind = _KIND_BY_EXTENSION.get(ext.lower())
        if kind is None:
            return
        stat = entry.stat()  # follows links: a dangling one raises and is reported
    except OSError as exc:
        result.problems.append(_problem(rel, exc, is_folder=False))
        return
    if not S_ISREG(stat.st_mode):
        return
    folder = rel[: -len(entry.name) - 1] if "/" in rel else ""
    result.files.append(FoundFile(rel, stat.st_size, stat.st_mtime_ns, kind, folder, stem, ext.lower()))


def _dir_key(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return (stat.st_dev, stat.st_ino)


def _problem(rel: str, exc: OSError, *, is_folder: bool) -> Problem:
    what = "folder" if is_folder else "file"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return Problem(rel, "permission_denied", f"No permission to read this {what}.", is_folder)
    if exc.errno in (errno.ENOENT, errno.ELOOP):
        return Problem(rel, "missing", f"This {what} is a broken or looping link.", is_folder)
    return Problem(rel, "corrupt", f"The {what} could not be read: {exc.strerror or exc}.", is_folder)

"""Crash-safe replacement of a small file (sidecars, settings).

A reader — another application, or photocull after a power cut — must see
either the old file or the new one, never half of each. So the new content
goes to a temporary file *in the same folder* (a rename is only atomic within
one filesystem), is flushed to disk, renamed over the target, and the folder
entry itself is flushed too. If anything fails before the rename the target is
untouched and the temporary file is removed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Replace (or create) ``path`` with ``data`` atomically and durably."""
    path = Path(path)
    temp_name = str(path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp"))
    # 0o666 minus the umask: the permissions any new file would get.
    fd = os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _keep_mode(path, temp_name)
        os.replace(temp_name, path)
    except BaseException:
        _remove_quietly(temp_name)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (so a rename survives a power cut).

    Windows cannot open folders for fsync; there NTFS journals the rename.
    """
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _keep_mode(path: Path, temp_name: str) -> None:
    """A replaced file keeps the permissions it had (other apps must still read it)."""
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return
    os.chmod(temp_name, mode)


def _remove_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except FileNotFoundError:
        pass

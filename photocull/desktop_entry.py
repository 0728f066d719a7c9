"""``photocull --install-desktop`` / ``--uninstall-desktop``: the app in the desktop's menu, with its icon.

Follows the freedesktop.org specifications: the entry goes to
``$XDG_DATA_HOME/applications/photocull.desktop`` (default ``~/.local/share``) and
the icon, in every size shipped, to ``$XDG_DATA_HOME/icons/hicolor/<n>x<n>/apps/photocull.png``,
so a pip install in a virtual environment starts with a double-click too. The
entry's ``Exec`` is the command that is running now (the venv's ``photocull``
script, or the frozen binary), quoted as the spec asks. No Qt is imported.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

APP_ID = "photocull"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
_TEMPLATE = """[Desktop Entry]
Type=Application
Version=1.5
Name=photocull
GenericName=Photo culling
Comment=Cull photos fast: thumbnails at once, bursts, closed eyes, picks in XMP
Exec={exec} %f
TryExec={try_exec}
Icon={icon}
Terminal=false
Categories=Graphics;Photography;Viewer;
MimeType=inode/directory;
Keywords=photo;cull;raw;xmp;burst;
StartupWMClass=photocull
"""


def data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if value and Path(value).is_absolute() else Path.home() / ".local" / "share"


def entry_path() -> Path:
    return data_home() / "applications" / f"{APP_ID}.desktop"


def icon_paths() -> dict[int, Path]:
    return {size: data_home() / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
            for size in ICON_SIZES}


def icons_folder() -> Path:
    """assets/icons beside the package, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle else Path(__file__).resolve().parent.parent
    return root / "assets" / "icons"


def launch_command() -> list[str]:
    """The command that starts this photocull: the frozen binary, the ``photocull`` script, or the interpreter."""
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).resolve())]
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == APP_ID and script.exists():
        return [str(script.resolve())]
    found = shutil.which(APP_ID, path=str(Path(sys.executable).parent))
    if found:
        return [found]
    return [sys.executable, "-m", "photocull.app"]


def quote(argument: str) -> str:
    """One Exec argument, quoted per the Desktop Entry spec when it holds reserved characters."""
    if not re.search(r"[\s\"'\\><~|&;$*?#()`%]", argument):
        return argument
    escaped = re.sub(r'(["`$\\])', r"\\\1", argument).replace("%", "%%")
    return f'"{escaped}"'


def install(command: list[str] | None = None) -> list[Path]:
    """Write the menu entry and the icons; returns the files written."""
    command = command or launch_command()
    written = []
    for size, target in icon_paths().items():
        source = icons_folder() / f"{APP_ID}-{size}.png"
        if source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target)
    icon = APP_ID if written else str(icons_folder() / f"{APP_ID}-256.png")
    entry = entry_path()
    entry.parent.mkdir(parents=True, exist_ok=True)
    temp = entry.with_suffix(".desktop.tmp")
    temp.write_text(_TEMPLATE.format(exec=" ".join(quote(a) for a in command), try_exec=command[0], icon=icon),
                    encoding="utf-8")
    os.replace(temp, entry)
    return [entry, *written]


def uninstall() -> list[Path]:
    """Remove the menu entry and the icons ``install`` wrote; returns the files removed."""
    removed = []
    for path in (entry_path(), *icon_paths().values()):
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed

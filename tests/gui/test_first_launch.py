"""A first launch that just works: missing Qt system libraries are named with one install command,
and ``photocull --install-desktop`` puts the app in the desktop's menu (and takes it out again)."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest

from photocull import desktop_entry, system_libraries
from photocull.launch import MISSING_LIBRARIES_EXIT

ROOT = Path(__file__).resolve().parents[2]
X11 = {"DISPLAY": ":0"}


def loader_without(*absent: str):
    return lambda soname: soname not in absent


def test_a_complete_system_needs_nothing():
    assert system_libraries.check(X11, loader=lambda soname: True) is None


def test_every_missing_x11_library_is_named_with_one_command_that_installs_all():
    problem = system_libraries.check(X11, loader=loader_without("libxcb-icccm.so.4", "libxcb-keysyms.so.1"))
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in problem
    assert "packages libxcb-icccm4, libxcb-keysyms1" in problem
    commands = [line.strip() for line in problem.splitlines() if "apt-get" in line]
    assert commands == [system_libraries.install_command()]
    for package in ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0", "libegl1",
                    "libwayland-cursor0"):
        assert f" {package}" in commands[0]


def test_offscreen_needs_only_what_qt_itself_links():
    offscreen = {"QT_QPA_PLATFORM": "offscreen"}
    assert system_libraries.check(offscreen, loader=loader_without("libxcb-icccm.so.4")) is None
    assert "libEGL.so.1" in system_libraries.check(offscreen, loader=loader_without("libEGL.so.1"))


def test_a_wayland_session_starts_when_either_wayland_or_x11_can():
    wayland = {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"}
    assert system_libraries.check(wayland, loader=loader_without("libxcb-icccm.so.4")) is None
    assert system_libraries.check(wayland, loader=loader_without("libwayland-cursor.so.0")) is None
    both = system_libraries.check(wayland, loader=loader_without("libwayland-cursor.so.0", "libxcb-icccm.so.4"))
    assert "libwayland-cursor.so.0" in both and "libxcb-icccm.so.4" in both


def test_the_readme_launch_command_installs_what_the_app_asks_for():
    readme = (ROOT / "README.md").read_text()
    launch = next(line for line in readme.splitlines() if "bin/photocull" in line and "apt-get" in line)
    assert system_libraries.install_command() in launch


def test_the_command_prints_the_install_line_and_exits_when_a_library_is_missing(monkeypatch, capsys):
    monkeypatch.setattr(system_libraries, "loadable", lambda soname: soname != "libxcb-cursor.so.0")
    monkeypatch.setattr(system_libraries.sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    from photocull import launch

    assert launch.main([]) == MISSING_LIBRARIES_EXIT
    assert system_libraries.install_command() in capsys.readouterr().err


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_install_desktop_writes_a_menu_entry_and_icons_and_uninstall_removes_them(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    script = tmp_path / "my venv" / "bin" / "photocull"
    written = desktop_entry.install([str(script)])
    entry = _entry(tmp_path / "share" / "applications" / "photocull.desktop")
    assert entry["Type"] == "Application" and entry["Name"] == "photocull"
    assert entry["Exec"] == f'"{script}" %f', "paths with spaces are quoted as the spec asks"
    assert entry["Icon"] == "photocull" and "Photography" in entry["Categories"]
    icon = tmp_path / "share" / "icons" / "hicolor" / "256x256" / "apps" / "photocull.png"
    assert icon.read_bytes() == (ROOT / "assets" / "icons" / "photocull-256.png").read_bytes()
    assert len(written) == 1 + len(desktop_entry.ICON_SIZES)
    removed = desktop_entry.uninstall()
    assert sorted(removed) == sorted(written)
    assert not any(path.exists() for path in written)
    assert desktop_entry.uninstall() == []


@pytest.mark.parametrize("flag, expected", [("--install-desktop", "application menu"),
                                            ("--uninstall-desktop", "removed")])
def test_the_options_work_from_the_command_line_without_a_display(tmp_path, flag, expected):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "share"), PYTHONPATH=str(ROOT))
    env.pop("DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)
    if flag == "--uninstall-desktop":
        subprocess.run([sys.executable, "-m", "photocull.launch", "--install-desktop"], env=env, check=True,
                       capture_output=True)
    done = subprocess.run([sys.executable, "-m", "photocull.launch", flag], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout
    assert (tmp_path / "share" / "applications" / "photocull.desktop").exists() == (flag == "--install-desktop")

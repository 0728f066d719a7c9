"""The layering the architecture promises: ``photocull → engine ← training``.

``engine`` imports neither Qt, torch nor ``training`` (nor the GUI); ``photocull`` imports neither
torch nor ``training``. Checked twice: statically over every import statement, including the lazy
ones inside functions and ``importlib.import_module("...")`` calls with a literal name, and at run
time by importing every module of the package in a fresh interpreter and looking at ``sys.modules``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "engine": ("PySide6", "shiboken6", "torch", "torchvision", "timm", "training", "photocull"),
    "photocull": ("torch", "torchvision", "timm", "training"),
}


def imported_names(source: str) -> list[tuple[int, str]]:
    """Every module a file may import: import statements anywhere, and literal import_module() names."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            names.append((node.lineno, node.args[0].value))
    return names


def violations(package: str, root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted((root / package).rglob("*.py")):
        for line, name in imported_names(path.read_text(encoding="utf-8")):
            top = name.split(".")[0]
            if top in FORBIDDEN[package]:
                found.append(f"{path.relative_to(root)}:{line} imports {name}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_forbidden_import_statement(package):
    assert violations(package) == []


def test_the_static_check_sees_a_lazy_import(tmp_path):
    """The check itself: an import hidden inside a function, or spelled as a string, is still found."""
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "sneaky.py").write_text(
        "import importlib\n\ndef later():\n    import torch.nn\n    return importlib.import_module('PySide6.QtCore')\n")
    assert violations("engine", tmp_path) == ["engine/sneaky.py:4 imports torch.nn",
                                              "engine/sneaky.py:5 imports PySide6.QtCore"]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_importing_every_module_loads_nothing_forbidden(package):
    """Every module imported in a fresh interpreter; what lands in sys.modules must be allowed."""
    script = (
        "import importlib, json, pkgutil, sys\n"
        f"package = importlib.import_module({package!r})\n"
        "for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "    if not info.name.endswith('__main__'):\n"
        "        importlib.import_module(info.name)\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert loaded & set(FORBIDDEN[package]) == set()

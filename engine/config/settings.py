"""The app's user settings: one JSON file in ``paths.config_dir()``.

Why JSON and not QSettings: the engine (and the CLI, and tests) must read the
same settings without Qt, and a person can read and fix the file by hand.
Unknown keys are ignored and bad values fall back to the defaults one by one,
so a settings file from an older or newer photocull never stops the app.
Writes are atomic (:func:`engine.config.atomic_write.write_atomic`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from engine.config import paths
from engine.config.atomic_write import write_atomic
from engine.decisions.sidecars import Naming, SidecarSettings
from engine.inference.runtime import DEVICES, RuntimeSettings

#: When sidecars are written: after every decision, or only when asked.
SIDECAR_WRITE_MODES = ("on_demand", "every_decision")
MAX_RECENT = 10


@dataclass(frozen=True)
class AppSettings:
    device: str = "auto"                                      # auto | gpu | cpu (engine.inference.runtime.DEVICES)
    chosen_models: dict[str, str] = field(default_factory=dict)  # task -> model name
    burst_sensitivity: float = 0.5                            # 0 strict .. 1 loose (engine.analysis.bursts)
    sidecar_naming: str = Naming.ADOBE.value                  # adobe | darktable
    sidecar_write: str = "on_demand"                          # SIDECAR_WRITE_MODES
    lightroom_pick: bool = False                              # also write xmpDM:pick/good
    auto_advance: bool = True                                 # loupe moves on after a flag
    show_insights: bool = True                                # scores/reasons badges in the views
    recent_libraries: tuple[str, ...] = ()

    def runtime(self) -> RuntimeSettings:
        return RuntimeSettings(device=self.device)  # type: ignore[arg-type]

    def sidecars(self) -> SidecarSettings:
        return SidecarSettings(naming=Naming(self.sidecar_naming), lightroom_pick=self.lightroom_pick)

    def with_recent(self, library: Path) -> AppSettings:
        """These settings with ``library`` first in the recent list (deduplicated, capped)."""
        entry = str(Path(library).expanduser().resolve())
        rest = [item for item in self.recent_libraries if item != entry]
        return replace(self, recent_libraries=tuple([entry, *rest][:MAX_RECENT]))


_VALID = {
    "device": lambda v: v in DEVICES,
    "chosen_models": lambda v: isinstance(v, dict) and all(isinstance(k, str) and isinstance(x, str) for k, x in v.items()),
    "burst_sensitivity": lambda v: isinstance(v, (int, float)) and 0.0 <= v <= 1.0,
    "sidecar_naming": lambda v: v in {n.value for n in Naming},
    "sidecar_write": lambda v: v in SIDECAR_WRITE_MODES,
    "lightroom_pick": lambda v: isinstance(v, bool),
    "auto_advance": lambda v: isinstance(v, bool),
    "show_insights": lambda v: isinstance(v, bool),
    "recent_libraries": lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v),
}


def settings_path() -> Path:
    return paths.config_dir() / "settings.json"


def load_settings(path: Path | None = None) -> AppSettings:
    """The saved settings; defaults for anything missing, unreadable or invalid."""
    try:
        stored = json.loads((path or settings_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return AppSettings()
    if not isinstance(stored, dict):
        return AppSettings()
    values = {}
    for item in fields(AppSettings):
        value = stored.get(item.name)
        if value is not None and _VALID[item.name](value):
            values[item.name] = tuple(value) if item.name == "recent_libraries" else value
    return AppSettings(**values)


def save_settings(settings: AppSettings, path: Path | None = None) -> Path:
    target = path or settings_path()
    data = asdict(settings)
    data["recent_libraries"] = list(settings.recent_libraries)
    write_atomic(target, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return target

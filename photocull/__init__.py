"""photocull's desktop app (PySide6). It renders and forwards; all logic lives in ``engine``."""

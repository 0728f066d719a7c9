"""PyInstaller entry point for the photocull desktop app (the same as the ``photocull`` script)."""

import sys

from photocull.app import main

if __name__ == "__main__":
    sys.exit(main())

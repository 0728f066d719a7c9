"""PyInstaller entry point for the photocull desktop app (the same as the ``photocull`` script)."""

import sys

from photocull.launch import main

if __name__ == "__main__":
    sys.exit(main())

"""``python -m engine`` is ``photocull-cli``."""

import sys

from engine.cli import main

sys.exit(main())

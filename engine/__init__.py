"""photocull's core: everything the app does, with no Qt and no torch.

The GUI (``photocull``) and the training package (``training``) both import
from here; nothing here imports from either of them.
"""

__version__ = "0.1.0"

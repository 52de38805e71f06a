"""``python -m kgui``: the same as ``python main.py``."""
import sys

from kgui.cli import main

sys.exit(main())

"""``python -m kgui``: the same as ``python main.py``."""
import sys

try:
    from kgui.cli import main
except KeyboardInterrupt:   # Ctrl-C while Python was still starting
    print("kgui: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())

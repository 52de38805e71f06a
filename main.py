"""kgui: ``python main.py`` opens the window; ``python main.py run ...`` trains from the command line."""
import sys

try:
    from kgui.cli import main
except KeyboardInterrupt:   # Ctrl-C while Python was still starting
    print("kgui: interrupted", file=sys.stderr)
    sys.exit(130)

if __name__ == "__main__":
    sys.exit(main())

"""kgui: ``python main.py`` opens the window; ``python main.py run ...`` trains from the command line."""
import sys

from kgui.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""``python -m kgui.core.workers <fd>``: a worker process on the connection at descriptor ``fd``."""
from .main import main

main()

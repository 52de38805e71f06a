"""The files of a run folder, and the listing index's, by name; how the store opens them."""
from __future__ import annotations

import os

RUN_FILE, HISTORY_FILE, LOCK_FILE = "run.json", "history.csv", "writer.lock"
INDEX_FILE = ".index.json"       # the listing index in the store's root (a cache, see index.ListingIndex)
MAX_RUN_FILE_BYTES = 1_000_000   # a larger run.json is not one kgui wrote
NO_WAIT = getattr(os, "O_NONBLOCK", 0)  # a FIFO in place of a run file must not block listing

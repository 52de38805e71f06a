"""How much CSV text one file may hold: ``--max-data-size`` / ``KGUI_MAX_DATA_SIZE``, 2 GiB by default."""
from __future__ import annotations

import os
from pathlib import Path

from ..dataset_registry import DatasetError

DEFAULT_MAX_TEXT_BYTES = 2 << 30       # 2 GiB of (uncompressed) CSV text
MAX_SIZE_VARIABLE = "KGUI_MAX_DATA_SIZE"
MAX_SIZE_FLAG = "--max-data-size"
MAX_DATA_SIZE = 1 << 60                # a larger (or infinite) limit is a typo
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """Bytes in ``"500M"``, ``"2G"``, ``"1.5GiB"``, ``"4096"``; ValueError for anything else."""
    cleaned = str(text).strip().upper().removesuffix("B").removesuffix("I")
    number, unit = (cleaned[:-1], cleaned[-1]) if cleaned[-1:] in _UNITS else (cleaned, "")
    try:
        size = float(number) * _UNITS[unit]
    except ValueError:
        raise ValueError(f"a data size must look like 500M, 2G or 4096 (bytes), got {text!r}") from None
    if not size >= 1:
        raise ValueError(f"a data size must be at least 1 byte, got {text!r}")
    if not size <= MAX_DATA_SIZE:
        raise ValueError(f"a data size must be at most {format_size(MAX_DATA_SIZE)}, got {text!r}")
    return int(size)


def format_size(n: int) -> str:
    """``2 GiB``, ``17.5 MiB``, ``300 bytes``."""
    for unit, factor in (("EiB", 1 << 60), ("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n} bytes"


def max_text_bytes() -> int:
    """The most CSV text one file may hold (after decompression): ``KGUI_MAX_DATA_SIZE`` (which the command line's
    ``--max-data-size`` sets, for its process and the workers it starts), or 2 GiB."""
    if os.environ.get(MAX_SIZE_VARIABLE):
        try:
            return parse_size(os.environ[MAX_SIZE_VARIABLE])
        except ValueError as exc:
            raise DatasetError(f"{MAX_SIZE_VARIABLE}: {exc}") from None
    return DEFAULT_MAX_TEXT_BYTES


def too_large(path: Path, what: str, limit: int) -> DatasetError:
    return DatasetError(f"{path}: {what} more than the {format_size(limit)} limit; raise it with "
                        f"{MAX_SIZE_FLAG} SIZE (or {MAX_SIZE_VARIABLE}=SIZE), e.g. {MAX_SIZE_FLAG} "
                        f"{format_size(max(limit * 4, 1 << 30)).replace(' ', '').removesuffix('iB')}")

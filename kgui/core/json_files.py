"""Reading JSON that people or other programs hand to kgui (experiment files, run.json, a remembered window state):
one ValueError line for anything that is not the JSON kgui reads, never a RecursionError.

kgui's own JSON nests a few levels; a value nested deeper than :data:`MAX_DEPTH` is refused, so nothing that
walks the value later (validation, copies, writing it again) can run out of stack.
"""
from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Callable, ClassVar, TypeVar

MAX_DEPTH = 32
MAX_FILE_BYTES = 64 * 2 ** 20   # kgui's JSON files are kilobytes; a run.json with a long history, a few megabytes
Loaded = TypeVar("Loaded")


def parse(text: str | bytes, what: str = "") -> object:
    """The value in ``text``; ValueError ``"<what>: not valid JSON (...)"`` or ``"<what>: nested too deeply ..."``."""
    prefix = f"{what}: " if what else ""
    too_deep = ValueError(f"{prefix}nested too deeply (more than {MAX_DEPTH} levels of lists and objects)")
    try:
        value = json.loads(text)
    except RecursionError:
        raise too_deep from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{prefix}not valid JSON ({exc})") from None
    if nesting(value) > MAX_DEPTH:
        raise too_deep
    return value


def checked_object(data, what: str, known, key_noun: str) -> dict:
    """``data`` when it is a JSON object whose keys are all ``known``; else a ValueError in one line:
    ``"<what> must be a JSON object, got list"`` or ``"unknown <key_noun>(s) 'a', 'b'; known: ..."``."""
    if not isinstance(data, dict):
        raise ValueError(f"{what} must be a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"unknown {key_noun}(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}")
    return data


def nesting(value) -> int:
    """How deeply lists and objects nest in ``value`` (0 for a number or a string), without recursion."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_DEPTH:
            return deepest
        pending.extend((child, depth + 1) for child in item)
    return deepest


def load_file(path, from_text: Callable[[str], Loaded]) -> Loaded:
    """``from_text`` of JSON file ``path``'s UTF-8 text (a byte-order mark allowed); ValueError or OSError in one line
    naming the file. Only a regular file of at most :data:`MAX_FILE_BYTES` is read (a FIFO or a device such as
    /dev/zero would block or never end)."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise OSError(f"cannot read {path}: {'a folder' if stat.S_ISDIR(mode) else 'not a regular file'}")
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ValueError(f"{path}: larger than the {MAX_FILE_BYTES // 2 ** 20} MiB a JSON file kgui reads may be")
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a UTF-8 JSON file") from None
    except OSError as exc:
        if str(exc).startswith("cannot read"):
            raise
        raise OSError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return from_text(text)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


class ReadFromJson:
    """A value kgui reads from JSON text or a JSON file through its ``from_dict`` (ExperimentSettings, SweepSpec):
    ``from_json(text)`` and ``load(path)``, with errors in one line naming ``json_what`` or the file."""

    json_what: ClassVar[str]

    @classmethod
    def from_json(cls, text: str):
        return cls.from_dict(parse(text, cls.json_what))

    @classmethod
    def load(cls, path):
        """The value in a JSON file; ValueError/OSError naming the file."""
        return load_file(path, cls.from_json)

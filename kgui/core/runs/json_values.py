"""Reading run.json's values: each checked for its JSON type, with a short line naming what is wrong; and writing
them as standard JSON."""
from __future__ import annotations

import math


def integer(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an integer, got {short(value)}")
    return value


def number(value) -> float:
    """A float from JSON, where None stands for a non-finite value (see :func:`json_safe`)."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {short(value)}")
    return float(value)


def optional_number(value) -> float | None:
    return None if value is None else number(value)


def short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def text_field(data: dict, key: str, default="") -> str:
    value = data.get(key, default)
    if value.__class__ is not str:
        raise ValueError(f"{key} must be a string, got {short(value)}")
    return value


def json_kind(value) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(value), "null")


def json_safe(value):
    """Non-finite floats become None, so run.json stays standard JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value

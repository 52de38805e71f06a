"""``kgui:`` experiment strings: an experiment (and a classroom) as one line of text, like Playground's URL hash.

``kgui:1.`` then the URL-safe base64 (no padding) of the zlib-compressed compact JSON object
``{"experiment": {the fields that differ from the defaults}, "classroom": {"hide": [...], "lock": [...]}}``
(no classroom key without one). Decoding reads JSON only (never pickle), bounds the text and what it inflates to,
and fills the fields left out with today's defaults, so a string stays valid as fields are added.
"""
from __future__ import annotations

import base64
import binascii
import json
import zlib

from .classroom import Classroom
from .settings import ExperimentSettings

PREFIX = "kgui:"
VERSION = "1"
MAX_TEXT = 100_000          # characters of a string
MAX_JSON = 1_000_000        # bytes it may inflate to


def encode(settings: ExperimentSettings, classroom: Classroom | None = None) -> str:
    """The ``kgui:`` string of ``settings`` (and ``classroom``)."""
    defaults = ExperimentSettings().to_dict()
    changed = {name: value for name, value in settings.to_dict().items() if value != defaults[name]}
    payload = {"experiment": changed}
    if classroom:
        payload["classroom"] = classroom.to_dict()
    data = zlib.compress(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"), 9)
    return f"{PREFIX}{VERSION}.{base64.urlsafe_b64encode(data).decode('ascii').rstrip('=')}"


def is_experiment_string(text: str) -> bool:
    """Whether ``text`` claims to be a ``kgui:`` string (it may still be damaged)."""
    return text.strip().startswith(PREFIX)


def decode(text: str) -> tuple[ExperimentSettings, Classroom]:
    """The validated experiment and classroom of a ``kgui:`` string; ValueError in one line when it is damaged."""
    text = "".join(text.split())   # line breaks and spaces a mail or chat put in
    if not text.startswith(PREFIX):
        raise ValueError(f"not a kgui experiment string: it must start with {PREFIX!r}")
    if len(text) > MAX_TEXT:
        raise ValueError(f"damaged kgui string: longer than {MAX_TEXT:,} characters")
    version, dot, body = text[len(PREFIX):].partition(".")
    if not dot or version != VERSION:
        raise ValueError(f"damaged kgui string: unknown version {version!r} (this kgui reads {PREFIX}{VERSION}.…)")
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_JSON)
        if inflater.unconsumed_tail:
            raise ValueError(f"it inflates to more than {MAX_JSON:,} bytes")
        if not inflater.eof:
            raise ValueError("it is cut short")
        payload = json.loads(raw.decode("utf-8"))
    except (binascii.Error, zlib.error, UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise ValueError(f"damaged kgui string: {_reason(exc)}") from None
    if not isinstance(payload, dict) or set(payload) - {"experiment", "classroom"} or "experiment" not in payload:
        raise ValueError("damaged kgui string: it holds no experiment")
    try:
        settings = ExperimentSettings.from_dict(payload["experiment"])
        settings.validate()
        classroom = Classroom.from_dict(payload.get("classroom", {}))
    except ValueError as exc:
        raise ValueError(f"kgui string: {exc}") from None
    return settings, classroom


def _reason(exc: Exception) -> str:
    if isinstance(exc, binascii.Error):
        return "not base64 text"
    if isinstance(exc, zlib.error):
        return "not compressed data (a part may be missing)"
    if isinstance(exc, (UnicodeDecodeError, json.JSONDecodeError)):
        return "not JSON inside"
    return str(exc)

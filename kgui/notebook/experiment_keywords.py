"""The command line's experiment flags as Python keywords: ``explore(dataset="spiral", hidden="8,8", lr=0.03,
option={"n": 500})`` is ``kgui run --dataset spiral --hidden 8,8 --lr 0.03 --option n=500``, parsed and checked by
the very same code (kgui.core.experiment.settings.add_arguments / from_arguments)."""
from __future__ import annotations

import argparse

from kgui.core.experiment import settings as experiment
from kgui.core.experiment.settings import ExperimentSettings


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise ValueError(message)


def _flags(keywords: dict) -> list[str]:
    argv = []
    for name, value in keywords.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            argv.append(flag if value else f"--no-{name.replace('_', '-')}")
        elif name == "option":
            if not isinstance(value, (dict, str, list, tuple)):
                raise ValueError(f"option takes a dict such as {{'n': 500}} or 'KEY=VALUE' strings, got {value!r}")
            items = [f"{key}={item}" for key, item in value.items()] if isinstance(value, dict) else value
            for item in [items] if isinstance(items, str) else items:
                argv += [flag, str(item)]
        elif name == "hidden" and isinstance(value, (list, tuple)):
            argv += [flag, ",".join(map(str, value))]
        elif value is not None:
            argv += [flag, str(value)]
    return argv


def settings_from_keywords(keywords: dict) -> ExperimentSettings:
    """Validated settings from the command line's flags given as keywords (``lr``, ``batch_size``, ``option`` as a
    dict or ``"KEY=VALUE"`` strings …); ValueError in one line for an unknown keyword or a bad value."""
    parser = _Parser(prog="explore", add_help=False, allow_abbrev=False)
    experiment.add_arguments(parser)
    unknown = [name for name in keywords if "--" + name.replace("_", "-") not in parser._option_string_actions]
    if unknown:
        known = sorted(flag[2:].replace("-", "_") for flag in parser._option_string_actions
                       if flag.startswith("--") and not flag.startswith("--no-"))
        raise ValueError(f"unknown keyword {', '.join(map(repr, unknown))}; the keywords are {', '.join(known)}")
    try:
        args = parser.parse_args(_flags(keywords))
    except ValueError as exc:   # "argument --batch-size: invalid int value: 'a'"
        raise ValueError(str(exc).removeprefix("argument --").replace("-", "_", 1)) from None
    if args.backend == "all":
        raise ValueError("backend='all' trains several engines: explore one engine at a time")
    return experiment.from_arguments(args)

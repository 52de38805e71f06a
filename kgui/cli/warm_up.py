"""``kgui warm-up``: the standard experiments compiled ahead of time (PyTensor's C cache)."""
from __future__ import annotations

from kgui.exit_codes import EXIT_OK


def warm_up_command(args, out) -> int:
    from kgui.core.training.engines import find
    from kgui.core.training.warmup import STANDARD_DATASETS, warm_up

    find(args.backend)   # an unknown engine is the one line, not after a line that says it compiles on it
    print(f"kgui: compiling {', '.join(STANDARD_DATASETS)} and the kernels every model shares on {args.backend} "
          "(once; later runs reuse it)…",
          file=out, flush=True)
    warm_up(args.backend, on_done=lambda result: print(f"  {result.dataset}: {result.seconds:.1f} s", file=out,
                                                       flush=True))
    return EXIT_OK

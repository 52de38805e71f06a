"""``kgui lr-find``: the learning-rate range test, its points as it goes, and a suggested rate; in this process or,
with ``--workers N``, in a worker process (the same points either way)."""
from __future__ import annotations

from kgui.core.training import lr_finder
from kgui.core.experiment import settings as experiment
from kgui.core.exports.export import export_format
from kgui.exit_codes import EXIT_ERROR, EXIT_OK

from .console import PRINT_EVERY, Console, error_line, wrote_line
from .jobs import signals_stop, worker_pool


def lr_find_command(args, out, err) -> int:
    from kgui.core.session import JobKind, Phase, RangePoints, Session

    for path in args.export:
        export_format(path)
    settings = experiment.from_arguments(args)
    rates = lr_finder.RateRange(args.start, args.end, args.steps or lr_finder.DEFAULT_STEPS)
    rates.rates()  # a bad range fails before anything is printed
    console = Console(out, err)

    def print_points(event: RangePoints) -> None:
        for point in event.points:
            if (point.step - 1) % PRINT_EVERY == 0:
                console.line(f"lr {point.learning_rate:<9.3g} loss {point.loss:.4f}  "
                             f"smoothed {point.smoothed_loss:.4f}")
            console.progress(point.step, rates.steps, f"lr {point.learning_rate:.3g}")

    console.line(f"learning-rate range test · {settings.backend} · {settings.dataset} · lr {rates.start:g} to "
                 f"{rates.end:g} over {rates.steps} steps")
    pool = worker_pool(args)
    session = Session(pool=pool)   # the range test writes no run
    session.on(Phase, lambda event: console.status(event.text))
    session.on(RangePoints, print_points)
    try:
        with signals_stop() as stopper:
            job = session.new_job(JobKind.RANGE_TEST, settings, rate_range=rates)
            stopper.follow(job.control)
            try:
                job.run()
            finally:
                console.clear()
    finally:
        if pool is not None:
            pool.shutdown()
    session.close()
    if job.error:   # stopped by a signal before its first point (the worker still starting) is no error
        print(error_line(job.error, "kgui: " if stopper.signal else "kgui: error: "), file=err)
        return stopper.exit_code if stopper.signal else EXIT_ERROR
    result = job.result
    console.line(result.summary())
    for path in args.export:
        console.line(wrote_line(lr_finder.export_range_test(result, path)))
    if result.status is lr_finder.RangeTestStatus.STOPPED:
        return stopper.exit_code
    if result.suggestion is None:
        print("kgui: error: the range test gave no suggestion; use more --steps or a wider --start/--end range",
              file=err)
        return EXIT_ERROR
    return EXIT_OK

"""``fastnn demo``: the lecture end to end (see :mod:`fastnn.demo`)."""

from __future__ import annotations

import os
import time

from fastnn.cli._common import CommandError, check_output_path, seed


def add_parser(sub) -> None:
    """The subcommand's options."""
    demo = sub.add_parser("demo", help="run the whole lecture: report, figures, index.html")
    demo.add_argument("--out", default="fastnn-demo", metavar="DIR", help="default ./fastnn-demo")
    demo.add_argument("--quick", action="store_true", help="smaller runs (seconds once cached)")
    demo.add_argument("--seed", type=seed, default=0, help="seed of every data set (default 0)")
    demo.set_defaults(run=run)


def run(args) -> int:
    """Write the report, figures and index.html into --out."""
    from fastnn.demo import Demo

    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise CommandError(f"--out {args.out} is a file; the demo writes a directory")
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as exc:
        raise CommandError(
            f"--out {args.out}: cannot create the directory: {exc.strerror}"
        ) from None
    check_output_path("--out", os.path.join(args.out, "index.html"))  # files can be created
    _compile_first()
    try:
        Demo(out=args.out, quick=args.quick, seed=args.seed).run()
    except OSError as exc:  # the directory became unwritable, or the disk filled up
        raise CommandError(
            f"--out {args.out}: cannot write {exc.filename or 'a file'}: {exc.strerror or exc}"
        ) from None
    return 0


def _compile_first() -> None:
    """On a machine where the kernels were never compiled, compile them in parallel first."""
    from fastnn._numba import available_cpus
    from fastnn._precompile import FAMILIES, cold_cache, precompile

    if not cold_cache():
        return
    processes = min(len(FAMILIES), available_cpus())
    print(
        f"compiling fastnn's kernels in {processes} processes (once: numba caches them) ...",
        flush=True,
    )
    started = time.perf_counter()
    compiled = precompile(processes=processes)
    failed = sorted(set(FAMILIES) - set(compiled))
    note = f"; {', '.join(failed)} failed and will compile as used" if failed else ""
    print(f"   compiled in {time.perf_counter() - started:.0f} s{note}", flush=True)

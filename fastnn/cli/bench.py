"""``fastnn bench``: numba against the numpy reference (see :mod:`fastnn.quickbench`)."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    """The subcommand's options."""
    bench = sub.add_parser("bench", help="numba vs the numpy reference on the main workloads")
    bench.add_argument("--quick", action="store_true", help="small sizes (a few seconds)")
    bench.set_defaults(run=run)


def run(args) -> int:
    """Print the benchmark table."""
    from fastnn.quickbench import run_quick_bench

    run_quick_bench(quick=args.quick, stream=sys.stdout)
    return 0

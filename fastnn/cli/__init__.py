"""The ``fastnn`` command: ``demo``, ``surface``, ``trainability``, ``connect`` and ``bench``.

One module per subcommand (``add_parser`` and ``run``), and ``_common`` for what they
share.  Bad arguments and bad files end with one line on stderr and exit status 2 (never
a traceback); a training run that diverges or does not converge ends with one line and
status 3, before any surface is computed; Ctrl-C ends with status 130 and leaves no
half-written output behind.
"""

from __future__ import annotations

import sys

from fastnn.cli import bench, connect, demo, surface, trainability
from fastnn.cli._common import INTERRUPTED, CommandError, Parser, load_data

__all__ = ["build_parser", "console", "load_data", "main"]


def build_parser() -> Parser:
    """The ``fastnn`` command's parser: one subparser per subcommand."""
    from fastnn import __version__

    parser = Parser(prog="fastnn", description="fastnn: the neural-network lecture, fast.")
    parser.add_argument("--version", action="version", version=f"fastnn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in (demo, surface, trainability, connect, bench):
        command.add_parser(sub)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``fastnn`` console script; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return args.run(args)
    except CommandError as exc:
        print(f"fastnn: error: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("fastnn: interrupted", file=sys.stderr)
        return INTERRUPTED


def console() -> None:
    """Entry point of the ``fastnn`` command (exits with :func:`main`'s status)."""
    sys.exit(main())


if __name__ == "__main__":
    console()

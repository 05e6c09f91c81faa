"""``python -m fastnn``: the ``fastnn`` command (as ``python -m fastnn.cli``)."""

from fastnn.cli import console

console()

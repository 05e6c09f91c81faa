"""``python -m fastnn.cli``: the ``fastnn`` command."""

from fastnn.cli import console

console()

"""A full disk (or quota) while fastnn writes: one error that says what was kept."""

from __future__ import annotations

import contextlib
import errno

FULL = (errno.ENOSPC, errno.EDQUOT)


@contextlib.contextmanager
def full_disk_is(error_type, message: str):
    """Turn ENOSPC / EDQUOT inside the block into ``error_type(message)``; other errors pass.

    ``message`` may hold ``{reason}`` (the system's words, e.g. "No space left on device").
    """
    try:
        yield
    except OSError as exc:
        if exc.errno not in FULL:
            raise
        raise error_type(message.format(reason=exc.strerror or exc)) from None

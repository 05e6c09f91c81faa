"""Ctrl-C while numba kernels run: held back to the end of the running slice of work."""

from __future__ import annotations

import contextlib
import signal
import threading


@contextlib.contextmanager
def deferred_interrupts():
    """Hold Ctrl-C (SIGINT) back until the running kernel returns; yields a "was it pressed" test.

    A KeyboardInterrupt raised while a parallel numba kernel runs surfaced as
    ``SystemError: CPUDispatcher(...) returned a result with an exception set``, and a
    serial kernel honours it only when it returns.  Kernels therefore run in bounded
    slices (a surface's tiles, about 0.2 s; a training run's chunks of epochs, about
    0.1 s), and the caller checks after each and raises KeyboardInterrupt itself.
    Outside the main thread, or when the program installed its own SIGINT handler,
    nothing changes.
    """
    pressed = []
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield lambda: False
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield lambda: bool(pressed)
    finally:
        signal.signal(signal.SIGINT, previous)

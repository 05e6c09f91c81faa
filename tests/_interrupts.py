"""A KeyboardInterrupt injected after some tiles (surface tests of interrupted runs)."""

from fastnn.grid import _evaluation as _engine


def interrupt_after(monkeypatch, n):
    """Make the engine's ``n + 1``-th tile raise KeyboardInterrupt (the first n finish)."""
    real = _engine.evaluate_tile
    calls = {"n": 0}

    def stopping(*args, **kwargs):
        if calls["n"] == n:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(_engine, "evaluate_tile", stopping)

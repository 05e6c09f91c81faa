"""Execution settings of the map functions, per call or for a block of calls.

``threads``, ``progress``, ``client`` (a Dask client) and ``device`` can be passed to
every map function, or set for a block of code with :func:`config_context` (in the
manner of ``sklearn.config_context`` and ``dask.config.set``) or for the session with
:func:`set_config`.  A value passed to a call wins over the context, which wins over
the session's; ``None`` means "not set here".  Settings live in a context variable, so
threads and asyncio tasks each see their own block's.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


@dataclass(frozen=True)
class ExecutionSettings:
    """How a map runs (``None``: the default -- numba's threads, a bar for long runs, CPU).

    Attributes
    ----------
    threads : int or None
        numba threads for in-process runs (restored afterwards).
    progress : bool or None
        A progress bar on stderr; None: on for runs of about a minute or more.
    client : dask.distributed.Client or None
        Run the tiles as tasks on this Dask cluster.
    device : {"cpu", "cuda"} or None
        Where surface tiles run (None: the CPU).
    """

    threads: int | None = None
    progress: bool | None = None
    client: object | None = None
    device: str | None = None

    def merged(self, **overrides) -> ExecutionSettings:
        """These settings with every non-None override applied."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


_NAMES = frozenset(f.name for f in fields(ExecutionSettings))
_SESSION = [ExecutionSettings()]
_CONTEXT: contextvars.ContextVar[ExecutionSettings | None] = contextvars.ContextVar(
    "fastnn_execution", default=None
)


def _checked(options: dict) -> dict:
    unknown = sorted(set(options) - _NAMES)
    if unknown:
        raise ValueError(
            f"{unknown[0]} is not an execution setting; the settings are "
            f"{', '.join(sorted(_NAMES))}"
        )
    return options


def get_config() -> ExecutionSettings:
    """The execution settings in force here (the innermost :func:`config_context`'s)."""
    return _CONTEXT.get() or _SESSION[0]


def set_config(**settings: Any) -> None:
    """Set execution settings for the session (``None`` leaves a setting as it is)."""
    _SESSION[0] = _SESSION[0].merged(**_checked(settings))


@contextlib.contextmanager
def config_context(**settings: Any) -> Iterator[ExecutionSettings]:
    """Execution settings for the calls inside the ``with`` block.

    Examples
    --------
    >>> import fastnn
    >>> with fastnn.config_context(threads=1, progress=False):
    ...     fastnn.get_config().threads
    1
    >>> fastnn.get_config().threads is None
    True
    """
    token = _CONTEXT.set(get_config().merged(**_checked(settings)))
    try:
        yield get_config()
    finally:
        _CONTEXT.reset(token)


def resolve(**per_call) -> ExecutionSettings:
    """The settings of one call: its own arguments over the settings in force."""
    return get_config().merged(**_checked(per_call))

"""What a grid job evaluates: an :class:`Evaluation` and the registry of tile kernels.

An evaluation is the axes of a grid plus everything one tile needs (arrays and codes),
computed once by the front door that builds it.  Its ``kind`` names a :class:`TileKernel`
registered by the module that defines it (:func:`register_kind`); the evaluation also
records that module, so a fresh process (a Dask worker) that unpickles it imports the
module and finds the kernel.  :func:`evaluate_tile` is a pure function of (evaluation,
tile bounds): each grid point's values depend only on its own coordinates, so the split
into tiles and the number of threads never change a result.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fastnn._backends import backend_module

if TYPE_CHECKING:
    from typing import Any


def _no_fixed_cost(arrays: Any) -> int:
    return 0


@dataclass(frozen=True)
class TileKernel:
    """How to evaluate tiles of one kind.

    ``run(impl, arrays, codes, a, b, out)`` computes a tile into ``out`` (shape
    ``(rows, cols)`` or ``(rows, cols, fields)``); ``cost(arrays)`` is the work per grid
    point and ``fixed(arrays)`` the work per tile, in units of about one cross-entropy
    sample evaluation.  ``revision`` goes up whenever the kernel's values may change, if
    only by rounding: it is part of every output's fingerprint, so a resumed run never
    mixes tiles of two revisions.
    """

    run: Callable
    cost: Callable
    fixed: Callable = _no_fixed_cost
    revision: int = 1
    # The kernel works on boxes of points this many rows tall and columns wide: default
    # tiles hold whole boxes (where the grid has that many rows and columns), and at
    # least BOXES_PER_TILE of them (grid/_tiles.py).
    box_rows: int = 1
    box_columns: int = 1
    # Values per grid point.
    fields: int = 1
    # Kinds whose values each field equals bit for bit (a one-pass kernel of several
    # single-field ones): an output of one field is fingerprinted as that kind's, so it
    # resumes, and is resumed by, runs of either.
    field_kinds: tuple = ()


# Every tile kernel by kind (the names are part of completion records and stores), and
# the module that registered it.
TILE_KERNELS: dict[str, TileKernel] = {}
_REGISTRANTS: dict[str, str] = {}


def register_kind(kind: str, kernel: TileKernel, module: str) -> None:
    """Make ``kind`` a tile kernel the engine runs; ``module`` (its ``__name__``) defines it."""
    TILE_KERNELS[kind] = kernel
    _REGISTRANTS[kind] = module


def tile_kernel(kind: str, module: str | None = None) -> TileKernel:
    """The kernel of ``kind``, importing ``module`` first where this process lacks it."""
    if kind not in TILE_KERNELS and module is not None:
        importlib.import_module(module)
    return TILE_KERNELS[kind]


@dataclass
class Evaluation:
    """Everything one tile needs: picklable, read-only, shared by all tiles.

    ``kind`` names a registered :class:`TileKernel`; ``arrays`` and ``codes`` are that
    kernel's inputs besides the axes ``a`` and ``b``.
    """

    kind: str
    backend: str
    a: np.ndarray
    b: np.ndarray
    arrays: tuple
    codes: tuple = ()
    # "cuda": tiles run on the GPU (fastnn.cuda.surface), which keeps the arrays there
    # between tiles; they are immutable copies (frozen), so a kept copy is never stale.
    device: str = "cpu"
    # The module that registered the kind (set from the registry).
    module: str | None = None

    def __post_init__(self):
        if self.module is None:
            self.module = _REGISTRANTS.get(self.kind)
        if self.device != "cpu":
            self.arrays = tuple(_frozen(x) for x in self.arrays)

    def __setstate__(self, state):
        # Unpickled on a Dask worker: freeze again what unpickling made writeable.
        self.__dict__.update(state)
        self.__post_init__()

    @property
    def kernel(self) -> TileKernel:
        return tile_kernel(self.kind, self.module)

    @property
    def fields(self) -> int:
        """Values per grid point."""
        return self.kernel.fields

    @property
    def shape(self) -> tuple[int, int]:
        return self.a.size, self.b.size

    def tile_shape(self, rows: int, cols: int) -> tuple:
        """Shape of a tile's values: (rows, cols), or (rows, cols, fields)."""
        return (rows, cols) if self.fields == 1 else (rows, cols, self.fields)

    def cost_per_point(self) -> int:
        """Relative work of one grid point (about one BCE sample evaluation per unit)."""
        return self.kernel.cost(self.arrays)

    def cost_per_tile(self) -> int:
        """Work a tile does once, whatever its number of points (same unit)."""
        return self.kernel.fixed(self.arrays)

    def box_rows(self) -> int:
        """Rows of the boxes of points the kernel works on (default tiles hold a multiple)."""
        return self.kernel.box_rows

    def box_columns(self) -> int:
        """Columns of the boxes of points the kernel works on (tiles hold a multiple)."""
        return self.kernel.box_columns


def _frozen(array):
    """``array`` itself when nothing can change it, else a read-only copy."""
    from fastnn.cuda import immutable

    if not isinstance(array, np.ndarray) or immutable(array):
        return array
    copy = np.array(array)
    copy.setflags(write=False)
    return copy


def evaluate_tile(
    evaluation: Evaluation, rows: tuple[int, int], cols: tuple[int, int], out: Any | None = None
) -> np.ndarray:
    """The values of grid rows ``rows = (r0, r1)`` and columns ``cols = (c0, c1)``.

    Returns an array of shape ``evaluation.tile_shape(r1 - r0, c1 - c0)`` (``out`` when
    given, which must be a C-contiguous float64 array of that shape).
    """
    a = evaluation.a[rows[0] : rows[1]]
    b = evaluation.b[cols[0] : cols[1]]
    if out is None:
        out = np.empty(evaluation.tile_shape(a.size, b.size))
    if evaluation.device == "cuda":
        from fastnn.cuda import surface as impl
    else:
        impl = backend_module(evaluation.backend)
    evaluation.kernel.run(impl, evaluation.arrays, evaluation.codes, a, b, out)
    return out


def compute_tile(
    evaluation: Evaluation,
    rows: tuple[int, int],
    cols: tuple[int, int],
    out: Any | None = None,
    writer: Callable[..., Any] | None = None,
) -> Any:
    """A tile's values, or what ``writer(rows, cols, values)`` returns after storing them."""
    values = evaluate_tile(evaluation, rows, cols, out)
    return values if writer is None else writer(rows, cols, values)

"""Type aliases of fastnn's public signatures (read by type checkers only).

Modules import them under ``TYPE_CHECKING``, so ``import fastnn`` never loads
``numpy.typing``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

# A random seed: None (fresh entropy), an int >= 0, or a Generator used as it is.
Seed = int | np.random.Generator | None
# One activation for every hidden layer, or one per layer; a name or (name, parameter).
Activation = str | tuple[str, float] | Sequence[str | tuple[str, float]]

__all__ = ["Activation", "ArrayLike", "Seed"]

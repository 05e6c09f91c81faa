"""Pieces of the CPU surface kernels that the GPU path (:mod:`fastnn.cuda`) reuses as they are.

The GPU host code calls these compiled helpers rather than re-deriving them, so that a
GPU tile forms its points exactly as the CPU kernel does (which layer the plane moves
first, where each layer's parameters sit in theta, the order of a point's later-layer
weights, the hoisted part of a cross-entropy surface).  A change to one of them changes
both devices' results; they are not kernels of the case table (their oracle is the
whole kernel's numpy twin).
"""

from fastnn.kernels._plane_network import _first_varying_layer as first_varying_layer
from fastnn.kernels._plane_network import _form_tail as form_tail
from fastnn.kernels.mlp import _offsets as layer_offsets
from fastnn.kernels.surface import _bce_hoisted as bce_hoisted

__all__ = ["bce_hoisted", "first_varying_layer", "form_tail", "layer_offsets"]

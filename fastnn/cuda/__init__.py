"""fastnn on an NVIDIA GPU: ``loss_surface(..., device="cuda")`` (optional: ``fastnn[cuda]``).

This module only checks; it imports no CUDA.  The GPU kernels are in
:mod:`fastnn.cuda.surface` (host code with the CPU kernels' signatures) and
:mod:`fastnn.cuda._kernels` (numba-cuda), imported when a surface runs on the GPU.
Without a GPU, ``NUMBA_ENABLE_CUDASIM=1`` runs them on numba-cuda's simulator (the tests
do: slow, for correctness only).
"""

from __future__ import annotations

import numpy as np

DEVICES = ("cpu", "cuda")
# Evaluation kinds with a GPU kernel (fastnn.surface._kinds).
GPU_KINDS = ("bce", "network")
GPU_UNSUPPORTED = (
    "device='cuda' evaluates cross-entropy (logistic) and network (MLP) surfaces, loss "
    "or accuracy of networks; use device='cpu' for {what}"
)
# Layers after the first one the plane moves live in per-thread arrays of at most this
# many units (fastnn.cuda._kernels.network_kernel).
MAX_LATER_UNITS = 1024


def immutable(array) -> bool:
    """Whether nothing can change ``array``'s values: it and every array it views are read-only."""
    base = array
    while isinstance(base, np.ndarray):
        if base.flags.writeable:
            return False
        base = base.base
    return base is None or isinstance(base, bytes)


def later_width(sizes, first) -> int:
    """Units a GPU thread's arrays hold: the widest layer after ``first + 1`` (or the output)."""
    n_layers = len(sizes) - 1
    return int(max(sizes[min(first + 2, n_layers) :]))


def check_device(device) -> str:
    """``device`` checked against :data:`DEVICES` (a ValueError naming it otherwise)."""
    from fastnn._validation import check_option

    return check_option(device, "device", DEVICES)


def require_gpu() -> str:
    """The GPU's name; a one-line ValueError when numba-cuda or a CUDA GPU is missing."""
    import importlib.util

    # numba's deprecated built-in numba.cuda imports without numba-cuda, but it is not the
    # package the GPU kernels are written and tested for.
    if importlib.util.find_spec("numba_cuda") is None:
        raise ValueError(
            "device='cuda' needs NVIDIA's numba-cuda: pip install 'fastnn[cuda]' (not installed)"
        )
    try:
        from numba import cuda
    except Exception as error:  # ImportError, or numba-cuda's missing CUDA bindings
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(
            f"device='cuda' needs NVIDIA's numba-cuda: pip install 'fastnn[cuda]' ({reason})"
        ) from None
    if not cuda.is_available():
        raise ValueError(
            "device='cuda': numba-cuda finds no usable CUDA GPU or driver "
            "(python -c 'from numba import cuda; cuda.detect()' says why); use device='cpu'"
        )
    name = getattr(cuda.get_current_device(), "name", "numba-cuda's simulator")
    return name.decode() if isinstance(name, bytes) else str(name)


def check_evaluation(evaluation) -> None:
    """A one-line ValueError when the GPU has no kernel for this evaluation."""
    if evaluation.kind not in GPU_KINDS:
        what = {
            "mse-exact": "squared-error surfaces",
            "mse-brute": "squared-error surfaces",
            "accuracy": "a linear classifier's accuracy",
            "normed-network": "networks with batch normalisation's parameters",
        }.get(evaluation.kind, "curvature maps")
        raise ValueError(GPU_UNSUPPORTED.format(what=what))
    if evaluation.backend != "numba":
        raise ValueError(
            "device='cuda' runs fastnn's kernels; backend='numpy' (the reference) is CPU only"
        )
    if evaluation.kind == "network":
        from fastnn._activations import table_from_key
        from fastnn.kernels.plane_parts import first_varying_layer

        X, _, _, u, v, sizes = evaluation.arrays
        if table_from_key(evaluation.codes[0], sizes.size - 2).shape[0] > sizes.size - 2:
            raise ValueError(
                "device='cuda': the GPU kernels have no output activation (output_activation "
                "other than 'identity'); use device='cpu'"
            )
        first = int(first_varying_layer(sizes, u, v))
        if later_width(sizes, first) > MAX_LATER_UNITS:
            raise ValueError(
                f"device='cuda': layers after the first one the plane moves may have at most "
                f"{MAX_LATER_UNITS} units (per-thread arrays); this network's sizes are "
                f"{[int(s) for s in sizes]}; use device='cpu'"
            )

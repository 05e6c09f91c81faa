"""fastnn's numerical core, compiled with numba (the fast path).

Mirrors fastnn.reference name for name and signature for signature.
"""

import pathlib

from fastnn._numba import _drop_stale_cache

_drop_stale_cache(pathlib.Path(__file__).parent)

from fastnn.kernels.activations import (
    log_sigmoid,
    log_sigmoid_derivative,
    sigmoid,
    sigmoid_derivative,
    softplus,
    softplus_derivative,
)
from fastnn.kernels.hessian import linear_hvp, mlp_hvp
from fastnn.kernels.linear import (
    bce_from_logits,
    bce_loss,
    bce_loss_grad,
    linear_logits,
    mse_loss,
    mse_loss_grad,
)
from fastnn.kernels.mlp import mlp_logits, mlp_loss_grad, output_loss
from fastnn.kernels.surface import (
    accuracy_surface,
    bce_surface,
    mlp_surface,
    mse_surface_brute,
    mse_surface_quadratic,
    mse_surface_stats,
    plane_layer,
)
from fastnn.kernels.train_curve import curve_train
from fastnn.kernels.train_linear import (
    _linear_gd_threaded,
    _linear_minibatch_threaded,
    linear_gd,
    linear_minibatch,
    linear_sgd,
)
from fastnn.kernels.train_mlp import _mlp_train_threaded, mlp_train
from fastnn.kernels.trainability import mlp_trainability

__all__ = [
    "accuracy_surface",
    "bce_from_logits",
    "bce_loss",
    "bce_loss_grad",
    "bce_surface",
    "curve_train",
    "linear_gd",
    "linear_hvp",
    "linear_logits",
    "linear_minibatch",
    "linear_sgd",
    "log_sigmoid",
    "log_sigmoid_derivative",
    "mlp_hvp",
    "mlp_logits",
    "mlp_loss_grad",
    "mlp_surface",
    "mlp_train",
    "mlp_trainability",
    "mse_loss",
    "mse_loss_grad",
    "mse_surface_brute",
    "mse_surface_quadratic",
    "mse_surface_stats",
    "output_loss",
    "plane_layer",
    "sigmoid",
    "sigmoid_derivative",
    "softplus",
    "softplus_derivative",
]

# The private threaded builds of the training loops (fastnn._builds.training_loop).
THREADED_BUILDS = {
    "linear_gd": _linear_gd_threaded,
    "linear_minibatch": _linear_minibatch_threaded,
    "mlp_train": _mlp_train_threaded,
}

"""fastnn's numerical core in plain numpy: the correctness oracle and benchmark baseline.

Mirrors fastnn.kernels name for name and signature for signature.
"""

from fastnn.reference.activations import (
    log_sigmoid,
    log_sigmoid_derivative,
    sigmoid,
    sigmoid_derivative,
    softplus,
    softplus_derivative,
)
from fastnn.reference.hessian import linear_hvp, mlp_hvp
from fastnn.reference.linear import (
    bce_from_logits,
    bce_loss,
    bce_loss_grad,
    linear_logits,
    mse_loss,
    mse_loss_grad,
)
from fastnn.reference.mlp import mlp_logits, mlp_loss_grad, output_loss
from fastnn.reference.surface import (
    accuracy_surface,
    bce_surface,
    mlp_surface,
    mse_surface_brute,
    mse_surface_quadratic,
    mse_surface_stats,
    plane_layer,
)
from fastnn.reference.train_curve import curve_train
from fastnn.reference.train_linear import (
    linear_gd,
    linear_minibatch,
    linear_sgd,
)
from fastnn.reference.train_mlp import mlp_train
from fastnn.reference.trainability import mlp_trainability

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

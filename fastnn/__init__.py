"""fastnn: the introductory neural-network curriculum as a fast, correct numerical core.

Linear regression (closed form and gradient descent), logistic regression,
multilayer perceptrons trained by backpropagation and gradient descent on user
functions, with numba kernels and a numpy reference implementation of every one
of them (``backend="numba"`` or ``"numpy"``).
"""

from fastnn import data
from fastnn._config import config_context, get_config, set_config
from fastnn.connectivity import Alignment, Curve, PathProfile, align, connect, linear_barrier
from fastnn.curvature import (
    CurvatureSurface,
    curvature_surface,
    hessian,
    hessian_density,
    hessian_eigs,
    hessian_trace,
    hvp,
)
from fastnn.exceptions import (
    ConvergenceWarning,
    DivergenceWarning,
    FastnnWarning,
    NotFittedError,
    OverflowWarning,
    ProjectionWarning,
)
from fastnn.gradcheck import gradcheck
from fastnn.interop import from_sklearn, from_torch, to_sklearn, to_torch
from fastnn.layout import MLPLayout
from fastnn.linear_model import LinearRegression, LogisticRegression, linear_fit_1d
from fastnn.mlp import MLPClassifier, MLPRegressor
from fastnn.optim import gradient_descent
from fastnn.surface import (
    LossLine,
    Plane,
    Surface,
    loss_line,
    loss_surface,
    loss_surfaces,
    plane_through,
)
from fastnn.trainability import RefinedTrainabilityMap, TrainabilityMap, trainability

__version__ = "0.1.0"

__all__ = [
    "align",
    "Alignment",
    "connect",
    "Curve",
    "linear_barrier",
    "PathProfile",
    "plane_through",
    "ConvergenceWarning",
    "config_context",
    "CurvatureSurface",
    "curvature_surface",
    "data",
    "DivergenceWarning",
    "FastnnWarning",
    "from_sklearn",
    "from_torch",
    "get_config",
    "gradcheck",
    "gradient_descent",
    "hessian",
    "hessian_density",
    "hessian_eigs",
    "hessian_trace",
    "hvp",
    "linear_fit_1d",
    "LinearRegression",
    "LogisticRegression",
    "loss_line",
    "loss_surface",
    "loss_surfaces",
    "LossLine",
    "MLPClassifier",
    "MLPLayout",
    "MLPRegressor",
    "NotFittedError",
    "OverflowWarning",
    "Plane",
    "ProjectionWarning",
    "set_config",
    "Surface",
    "to_sklearn",
    "to_torch",
    "RefinedTrainabilityMap",
    "TrainabilityMap",
    "trainability",
]

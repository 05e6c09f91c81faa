"""fastnn: the introductory neural-network curriculum as a fast, correct numerical core.

Linear regression (closed form and gradient descent), logistic regression and
gradient descent on user functions, with numba kernels and a numpy reference
implementation of every one of them (``backend="numba"`` or ``"numpy"``).
"""

from fastnn import data
from fastnn.exceptions import DivergenceWarning, FastnnWarning, NotFittedError
from fastnn.linear_model import LinearRegression, LogisticRegression, linear_fit_1d
from fastnn.optim import gradient_descent

__version__ = "0.1.0"

__all__ = [
    "DivergenceWarning",
    "FastnnWarning",
    "LinearRegression",
    "LogisticRegression",
    "NotFittedError",
    "data",
    "gradient_descent",
    "linear_fit_1d",
]

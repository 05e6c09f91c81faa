# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 2. Gradient descent
#
# Most models have no closed form. Gradient descent walks downhill instead:
# $\theta \leftarrow \theta - \eta \nabla f(\theta)$, with learning rate $\eta$.
#
# ## One dimension
#
# The lecture's example is $f(\theta) = (\theta + 5)^2$, gradient $2\theta + 10$, from
# $\theta = 1$ with $\eta = 0.4$:

# %%
import warnings

import numpy as np

import fastnn
from fastnn import lecture
from fastnn.plot import plot_descent_1d, plot_descent_2d, plot_loss_curve


def f(theta):
    return (theta + 5.0) ** 2


def grad(theta):
    return 2.0 * theta + 10.0


fastnn.gradient_descent(grad, theta0=1.0, lr=0.4, n_iter=4)

# %% [markdown]
# Each step multiplies the distance to the minimum by $1 - 2\eta$: $\eta = 0.4$ shrinks it
# by 0.2, a tiny rate crawls, $\eta = 0.8$ overshoots and oscillates (factor $-0.6$), and any
# $\eta > 1$ makes $|1 - 2\eta| > 1$: the iterates grow. fastnn stops such a run and says so
# with a `DivergenceWarning`, instead of returning numbers that look like a result.

# %%
paths = {}
for lr in (0.005, 0.4, 0.8, 1.01):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", fastnn.DivergenceWarning)
        paths[lr] = fastnn.gradient_descent(grad, theta0=1.0, lr=lr, n_iter=20)
    print(f"lr {lr:<5} -> {paths[lr][-1]:10.4g}", "(DivergenceWarning)" if caught else "")
plot_descent_1d(f, paths)

# %% [markdown]
# ## Two dimensions and the largest curvature
#
# On a bowl $f = \theta_0^2 + 10\,\theta_1^2$ the curvatures are 2 and 20. The steep direction
# decides stability: gradient descent converges only for $\eta < 2 / \lambda_{\max} = 0.1$,
# while the shallow direction decides how long it takes.


# %%
def bowl(a, b):
    return a**2 + 10.0 * b**2


elongated = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", fastnn.DivergenceWarning)
    for lr in (0.01, 0.05, 0.095, 0.104):
        elongated[f"lr {lr}"] = fastnn.gradient_descent(
            lambda t: np.array([2.0 * t[0], 20.0 * t[1]]), theta0=[-4.0, 1.5], lr=lr, n_iter=30
        )
plot_descent_2d(bowl, elongated, extent=(-5, 5, -2.5, 2.5))

# %% [markdown]
# ## Gradient descent on the linear model
#
# The lecture fits $y = 4x + 2\varepsilon$ (true $\theta = [0, 4]$) by full-batch gradient
# descent on the mean squared error from $[-3, 1]$ with $\eta = 0.05$ for 100 iterations.
# (The lecture's notebook trains on the noiseless $y$ by mistake; here the noisy targets are
# used.)

# %%
X, y = lecture.gd_data(seed=0)
gd = lecture.linear_gd_model().fit(X, y, theta0=lecture.LINEAR_GD_START)
ols = fastnn.LinearRegression().fit(X, y)
print(f"GD  theta {gd.theta_}  MSE {gd.loss_:.4f}")
print(f"OLS theta {ols.theta_}  MSE {ols.loss_:.4f}")

# %% [markdown]
# The loss over the plane of both parameters, with the path on top. Its elongated contours
# are the 2-D bowl above, met in practice:

# %%
surface = fastnn.loss_surface(
    gd, X, y, params=("intercept", "w1"), span=((-3, 3), (1, 7)), resolution=100
)
surface.plot("contour", trajectory=gd.trajectory_)

# %%
surface.plot("3d", trajectory=gd.trajectory_)

# %% [markdown]
# The mean squared error's Hessian is constant, $\frac{2}{N} X^\top X$ (with the column of
# ones). Its largest eigenvalue predicts where gradient descent stops working, and the
# experiment agrees:

# %%
top = fastnn.hessian_eigs(ols, X, y, k=1).values[0]
print(f"largest eigenvalue {top:.4f}: stable below 2 / lambda_max = {2 / top:.4f}")
for lr in (0.9 * 2 / top, 1.1 * 2 / top):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", fastnn.DivergenceWarning)
        fit = lecture.linear_gd_model(learning_rate_init=lr).fit(
            X, y, theta0=lecture.LINEAR_GD_START
        )
    print(f"lr {lr:.4f}: {fit.n_iter_} iterations, MSE {fit.loss_:.4g}", "diverged" * bool(caught))

# %% [markdown]
# In Jupyter, a slider makes the same experiment live: every position refits the model at
# that learning rate (milliseconds) and redraws its path on the surface above
# (`pip install "fastnn[interactive]"`; a static page like this one cannot run it):
#
# ```python
# from fastnn.widgets import learning_rate_explorer
#
# learning_rate_explorer(lecture.linear_gd_model(), X, y, surface=surface,
#                        theta0=lecture.LINEAR_GD_START)
# ```

# %% [markdown]
# ## Batch, stochastic and minibatch
#
# Full-batch descent uses every sample for each step. Stochastic gradient descent uses one
# sample per step (many cheap, noisy steps per pass over the data), minibatch descent $m$
# random samples. Their losses per epoch (one pass) on the same data:

# %%
curves = {}
for solver, lr in (("gd", 0.05), ("sgd", 0.005), ("minibatch", 0.05)):
    model = fastnn.LinearRegression(
        solver=solver, learning_rate_init=lr, max_iter=30, batch_size=10, random_state=0
    ).fit(X, y, theta0=lecture.LINEAR_GD_START)
    curves[solver] = model.loss_curve_
    print(f"{solver:<9} lr {lr:<6} theta {np.round(model.theta_, 3)}")
plot_loss_curve(curves, log=True, xlabel="epoch (GD: iteration)")

# %% [markdown]
# ## Exercises
#
# 1. Set `lr` to 1.01 in the first example. What happens, and why does $2/\lambda_{\max}$
#    (here $\lambda = 2$) predict it?
# 2. On the bowl, which learning rate reaches $|\theta| < 10^{-3}$ in the fewest steps? Compare
#    with $2 / (\lambda_{\min} + \lambda_{\max})$.
# 3. Give the linear model's data an offset (`X + 10`). What happens to $\lambda_{\max}$, to
#    the largest stable learning rate, and to the number of iterations gradient descent needs?
# 4. SGD above used a ten times smaller rate than GD. Try SGD at 0.05: why does one sample's
#    gradient tolerate a smaller rate than the mean gradient?

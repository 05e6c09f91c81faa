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
# # 3. Logistic regression
#
# Two classes of points in the plane: Gaussians at $[0, 0]$ and $[-1, 5]$, both with
# covariance $\begin{pmatrix}1 & 0.7\\ 0.7 & 1\end{pmatrix}$, 1000 training and 500 test
# samples. A linear model's output $z = \theta_0 + \theta_1 x_1 + \theta_2 x_2$ becomes a
# probability through the sigmoid $\sigma(z) = 1 / (1 + e^{-z})$, and the loss is the mean
# binary cross-entropy
#
# $$H = -\frac{1}{N}\sum_i \left[y_i \log \hat y_i + (1 - y_i)\log(1 - \hat y_i)\right],
#   \qquad \nabla_\theta H = \frac{1}{N}\sum_i (\hat y_i - y_i)\, x_i .$$

# %%
import numpy as np

import fastnn
from fastnn import lecture
from fastnn.plot import plot_classes, plot_decision, plot_loss_curve

X, y = lecture.logistic_data(seed=0)
X_test, y_test = lecture.logistic_data(seed=0, test=True)
plot_classes(X, y, X_test, y_test, title="Training (filled) and test (open) samples")

# %% [markdown]
# ## Training
#
# There is no closed form, so the lecture runs gradient descent from $[0, -10, 10]$ with
# learning rate $10^{-3}$ for 1000 iterations. Its "mean" gradient,
# `np.mean(np.dot(x.T, yhat - y), axis=1)`, is in fact the **sum** over the 1000 samples:
# its steps are 1000 times larger than the rate says. fastnn uses the mean, so the same steps
# need $\eta = 1$ (`lecture.logistic_gd_model`):

# %%
start = lecture.LOGISTIC_GD_START
model = lecture.logistic_gd_model().fit(X, y, theta0=start)
print(f"theta {np.round(model.theta_, 3)}")
print(f"cross-entropy {model.loss_curve_[0]:.3f} -> {model.loss_:.4f}")
print(f"test accuracy {model.score(X_test, y_test):.3f}")

# %%
plot_loss_curve(model.loss_curve_, log=True, title="Cross-entropy per iteration")

# %% [markdown]
# Before and after: the predicted probability of class 1 over the plane, the 0.5 contour
# being the decision boundary.

# %%
before = fastnn.LogisticRegression(solver="gd", max_iter=1).fit(X, y, theta0=start)
before.theta_ = np.asarray(start)
plot_decision(before, X_test, y_test, title="Before training")

# %%
plot_decision(model, X_test, y_test, title="After training (test samples)")

# %% [markdown]
# ## A loss that cannot overflow
#
# Computed as written, $\sigma(z)$ rounds to exactly 1 for $z > 37$, and
# $\log(1 - \hat y)$ becomes $-\infty$. The lecture guards the logarithm with `+1e-10`,
# which caps the loss of a confidently wrong prediction at 23. fastnn computes the loss from
# $z$ directly, $H_i = \operatorname{softplus}(z_i) - y_i z_i$, exact for every $z$:

# %%
far = np.array([0.0, -200.0, 200.0])
loss, gradient = model.loss_grad(X, y, theta=far)
z = np.column_stack([np.ones(len(X)), X]) @ far
with np.errstate(all="ignore"):
    p = 1 / (1 + np.exp(-z))
    guarded = -np.mean(y * np.log(p + 1e-10) + (1 - y) * np.log(1 - p + 1e-10))
print(f"fastnn's loss at {far}: {loss:.2f} (finite gradient: {np.isfinite(gradient).all()})")
print(f"the lecture's guarded formula: {guarded:.2f}")

# %% [markdown]
# Whether a gradient is right can always be checked against central differences of the loss:

# %%
fastnn.gradcheck(model, X[:200], y[:200])

# %% [markdown]
# ## The loss surface
#
# The lecture maps the loss over $\theta_1, \theta_2 \in [-10, 10]$ with the bias held at 0.
# Its notebook fills `loss[ii, jj]` against a meshgrid of the other orientation, so the
# surface it draws is transposed; fastnn's `values[i, j]` is the loss at `(a[i], b[j])`, and
# the figures draw it the right way round.

# %%
surface = fastnn.loss_surface(
    fastnn.LogisticRegression,
    X,
    y,
    params=("w1", "w2"),
    span=((-10, 10), (-10, 10)),
    resolution=50,
    center=[0.0, 0.0, 0.0],
)
surface.plot("contour", log=True, title="Cross-entropy, bias 0")

# %%
surface.plot("3d", title="Cross-entropy, bias 0 (3-D)")

# %% [markdown]
# ## Exercises
#
# 1. Run the lecture's gradient (the sum) with $\eta = 10^{-3}$ and fastnn's mean with
#    $\eta = 1$ for ten steps by hand with numpy. Are the iterates the same?
# 2. Move the blobs apart (`fastnn.data.blobs(1000, means=...)`) until the classes separate.
#    What happens to $\|\theta\|$ as training goes on, and why does the cross-entropy never
#    reach zero?
# 3. The surface above holds the bias at 0. Map $\theta_1$ against the bias instead
#    (`params=("intercept", "w1")`): where does the path of `model` lie in that plane?

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
# # 1. Linear regression
#
# The lecture starts with a line through noisy points: $y = 3 + 2.5\,x + \sigma\,\varepsilon$
# with $\varepsilon \sim N(0, 1)$, $\sigma = 5$ (the lecture's notebook calls $\sigma$
# `noiseVar`; it is a standard deviation), and 100 values of $x$ evenly spaced on $[-4, 6]$.
# `fastnn.lecture` holds the lecture's data sets and settings; `fastnn.data` makes them at any
# size and seed.

# %%
import numpy as np

import fastnn
from fastnn import lecture
from fastnn.plot import plot_fitted_lines, plot_regression_data

X, y = lecture.ols_data(seed=0)
X.shape, y.shape

# %%
plot_regression_data(X[:, 0], y, intercept=3.0, slope=2.5, title="The data, true line dashed")

# %% [markdown]
# ## The closed form in one dimension
#
# Minimising the mean squared error $\frac{1}{N}\sum_i (y_i - \theta_0 - \theta_1 x_i)^2$ by
# setting both derivatives to zero gives
#
# $$\theta_1 = \frac{\operatorname{cov}(x, y)}{\operatorname{var}(x)}, \qquad
#   \theta_0 = \bar y - \theta_1 \bar x .$$
#
# Both moments must use the same normalisation. The lecture's code divides
# `np.cov(x, y)[0, 1]` (which divides by $N - 1$) by `np.var(x)` (which divides by $N$), so its
# slope is too large by a factor $N / (N - 1)$:

# %%
x = X[:, 0]
intercept, slope = fastnn.linear_fit_1d(x, y)
lecture_slope = np.cov(x, y)[0, 1] / np.var(x)
print(f"fastnn        intercept {intercept:.4f}  slope {slope:.4f}")
print(f"lecture code  slope {lecture_slope:.4f}  (ratio {lecture_slope / slope:.4f} = N/(N-1))")

# %% [markdown]
# ## Ordinary least squares
#
# With a column of ones for the intercept, $X\theta \approx y$ for any number of features,
# and the normal equations $X^\top X \theta = X^\top y$ give
# $\theta = (X^\top X)^{-1} X^\top y$. The lecture computes that inverse. A least-squares
# solver (QR or SVD) gives the same answer without squaring the condition number of $X$, which
# matters as soon as the data sit far from the origin. `LinearRegression()` (the default
# `solver="ols"`) centres the data and solves by least squares:

# %%
ols = fastnn.LinearRegression().fit(X, y)
print(f"OLS  theta {ols.theta_}  (intercept_ {ols.intercept_:.4f}, coef_ {ols.coef_})")
print(f"mean squared error {ols.loss_:.4f}")

# %%
plot_fitted_lines(x, y, {"closed form": (intercept, slope), "OLS": (ols.intercept_, ols.coef_[0])})

# %% [markdown]
# The same data moved to $x \approx 10^8$: the normal equations' inverse loses the slope,
# least squares does not (the true slope is still 2.5).

# %%
far = x + 1e8
ones = np.column_stack([np.ones_like(far), far])
with np.errstate(all="ignore"):
    inverse_theta = np.linalg.inv(ones.T @ ones) @ ones.T @ y
far_fit = fastnn.LinearRegression().fit(far[:, None], y)
print(f"inv(X^T X) X^T y  slope {inverse_theta[1]:.6g}")
print(f"fastnn OLS        slope {far_fit.coef_[0]:.6g}  (as near the origin: {ols.coef_[0]:.6g})")

# %% [markdown]
# ## Several features
#
# Nothing above is specific to one feature: `fit` takes any `(n_samples, n_features)` array,
# and a rank-deficient $X$ gets the minimum-norm solution.

# %%
rng = np.random.default_rng(0)
X3 = rng.normal(size=(200, 3))
y3 = 1.0 + X3 @ [2.0, -1.0, 0.5] + 0.1 * rng.normal(size=200)
fastnn.LinearRegression().fit(X3, y3).theta_

# %% [markdown]
# ## Exercises
#
# 1. Increase the noise $\sigma$ (`fastnn.data.linear(100, noise=...)`): how far do the
#    fitted intercept and slope move from 3 and 2.5 over ten seeds? How does that spread
#    change with 10,000 points?
# 2. Make the bias of the lecture's slope visible: at which $N$ does $N/(N-1)$ change the
#    slope's third digit?
# 3. Duplicate a column of `X3` and fit again. Which solution does least squares return, and
#    why is it unique although infinitely many $\theta$ fit equally well?

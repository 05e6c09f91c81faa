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
# # 4. The network and backpropagation
#
# No line separates a blob from a ring around it (the "donut": class 0 an isotropic Gaussian
# of variance 2 at the origin, class 1 a noisy ring of radius 5). A network can: the lecture's
# has two inputs, ten sigmoid hidden units and one sigmoid output,
#
# $$\hat y = \sigma\!\left(W_2^\top \sigma(W_1^\top x + b_1) + b_2\right),$$
#
# trained by full-batch gradient descent on the mean cross-entropy.

# %%
import numpy as np

import fastnn
from fastnn import lecture
from fastnn.plot import plot_classes, plot_decision, plot_loss_curve

X, y = lecture.network_data(seed=0)
X_test, y_test = lecture.network_data(seed=0, test=True)
plot_classes(X, y, X_test, y_test, title="The donut")

# %% [markdown]
# ## Backpropagation by hand
#
# The chain rule, layer by layer from the output back. With $z_2$ the output's
# pre-activation, the cross-entropy of $\hat y = \sigma(z_2)$ has
# $\partial H / \partial \hat y = -y/\hat y + (1 - y)/(1 - \hat y)$ (the slides print the
# second sign wrong) and so $\delta_2 = \partial H_i/\partial z_2 = \hat y - y$. The hidden
# layer's error is $\delta_1 = (\delta_2 W_2^\top) \odot \sigma'(z_1)$: it already contains
# $\delta_2$ once (the slides multiply by it twice). The gradients are means over the samples
# (the lecture's code sums them):


# %%
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def backprop(W1, b1, W2, b2, X, y):
    """Mean cross-entropy of the 2-10-1 network and its gradient, in plain numpy."""
    h = sigmoid(X @ W1 + b1)
    z2 = (h @ W2 + b2)[:, 0]
    loss = np.mean(np.logaddexp(0, z2) - y * z2)
    delta2 = (sigmoid(z2) - y)[:, None] / len(y)
    delta1 = (delta2 @ W2.T) * h * (1 - h)
    return loss, (X.T @ delta1, delta1.sum(0), h.T @ delta2, delta2.sum(0))


net = lecture.network_model(max_iter=1, random_state=0).fit(X, y)
layout = net.layout_
W1, W2 = layout.coefs(net.theta_)
b1, b2 = layout.intercepts(net.theta_)
loss, (gW1, gb1, gW2, gb2) = backprop(W1, b1, W2, b2, X, y)

fast_loss, fast_grad = net.loss_grad(X, y)
fW1, fW2 = layout.coefs(fast_grad)
fb1, fb2 = layout.intercepts(fast_grad)
print(f"loss: numpy {loss:.12f}  fastnn {fast_loss:.12f}")
for name, mine, theirs in (("W1", gW1, fW1), ("b1", gb1, fb1), ("W2", gW2, fW2), ("b2", gb2, fb2)):
    print(f"{name}: largest difference {np.max(np.abs(mine - theirs)):.1e}")

# %% [markdown]
# Both agree with central differences of the loss:

# %%
fastnn.gradcheck(net, X[:200], y[:200])

# %% [markdown]
# ## Training the lecture's network
#
# The lecture's hidden layer has no bias and its gradients are sums, so its learning rate of
# 0.005 on 2000 samples is a step of 10 on the mean. fastnn's network has hidden biases and
# mean gradients with $\eta = 1$; weights start $N(0, 1)$ as in the lecture. The whole
# training loop runs inside one compiled kernel:

# %%
net = lecture.network_model(record_trajectory=10).fit(X, y)
print(f"cross-entropy {net.loss_curve_[0]:.3f} -> {net.loss_:.4f} in {net.n_iter_} iterations")
print(f"train accuracy {net.score(X, y):.3f}, test accuracy {net.score(X_test, y_test):.3f}")
plot_loss_curve(net.loss_curve_, title="The network: cross-entropy per iteration")

# %% [markdown]
# The classes overlap (the ring's noisy radius reaches into the blob), so no classifier can
# be right everywhere: a threshold on the radius, the best rule there is for these two
# distributions, scores about 0.95-0.96 on the test set, and so does the network.

# %%
radius = np.hypot(*X_test.T)
best_rule = max(np.mean((radius > r) == y_test) for r in np.linspace(1, 6, 501))
print(f"best radius threshold on the test set: {best_rule:.3f}")

# %%
first = lecture.network_model(max_iter=1).fit(X, y)
first.theta_ = net.trajectory_[0].copy()
plot_decision(first, X_test, y_test, title="Before training")

# %%
plot_decision(net, X_test, y_test, title="After training (test samples)")

# %% [markdown]
# ## Deeper, other activations, other solvers
#
# The lecture's general form, $\hat y = \sigma(\mathrm{linear}(\sigma(\mathrm{linear}(\dots))))$,
# is any depth. fastnn's MLPs take scikit-learn's names: hidden sizes, an activation (or one
# per layer), and the solvers `gd`, `sgd`, `minibatch`, `momentum` and `adam`:

# %%
for hidden, activation, solver in (
    ((10,), "sigmoid", "gd"),
    ((32, 32), "relu", "adam"),
    ((16, 16), ("tanh", "gelu"), "momentum"),
):
    model = fastnn.MLPClassifier(
        hidden,
        activation,
        solver=solver,
        max_iter=200,
        random_state=0,
        learning_rate_init=1.0 if solver == "gd" else 0.01,
        tol=None,
    ).fit(X, y)
    print(
        f"{str(hidden):<9} {str(activation):<17} {solver:<9} "
        f"test accuracy {model.score(X_test, y_test):.3f}"
    )

# %% [markdown]
# ## Exercises
#
# 1. Remove the hidden layer's bias from `backprop` (as the lecture does). Which decision
#    boundaries can the network still draw? (Hint: where must every hidden unit's line pass?)
# 2. Train the lecture's network with $\eta$ = 0.1, 1, 10 and 100. Which converge, which
#    stall in the sigmoid's flat tails, and which diverge? What does `net.loss_curve_` show?
# 3. Halve the number of hidden units until the test accuracy drops. How few suffice for a
#    closed boundary around the blob?

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
# # 5. Loss surfaces
#
# The lecture draws the loss of a two-parameter model over a grid of both parameters. A
# network has many parameters, so its loss is drawn over a **plane** through parameter
# space, $\theta(a, b) = \theta^* + a\,u + b\,v$, around the trained $\theta^*$. Which plane
# decides what the picture shows. This chapter maps the lecture's network (2-10-1, sigmoid,
# trained on the donut) and asks the questions researchers ask of such maps: how curved is the
# minimum, which learning rates train, are two solutions connected, how many basins are there.

# %%

import fastnn
from fastnn import lecture

X, y = lecture.network_data(seed=0)
net = lecture.network_model(max_iter=500, record_trajectory=5).fit(X, y)
print(f"cross-entropy {net.loss_:.4f}, {net.layout_.n_params} parameters")

# %% [markdown]
# ## A random plane, filter-normalised
#
# Two random directions, each rescaled filter by filter to the norm of the trained weights
# (Li et al., 2018), so that the picture does not depend on the weights' scale. The biases are
# held fixed (`bias="zero"`), as in that paper:

# %%
plane = fastnn.loss_surface(net, X, y, directions="filter", random_state=0, resolution=41)
plane.plot("filled")

# %% [markdown]
# ## The plane of the path
#
# A random plane almost never contains the optimiser's path. The plane of the path's two
# principal components does: the path is drawn where it was, and the axes say how much of its
# variance they hold.

# %%
pca = fastnn.loss_surface(net, X, y, directions="pca", resolution=41)
pca.plot("contour", trajectory=net.trajectory_)

# %% [markdown]
# The same surface as an interactive figure: rotate the 3-D view, hover for the values. The
# path's heights are the losses the network had at each recorded step (not the nearest grid
# point's):

# %%
steps = net.loss_model(X, y)
losses = [steps.loss_at(theta) for theta in net.trajectory_]
pca.to_plotly(net.trajectory_, losses=losses, log=True)

# %% [markdown]
# ## One dimension: from the start to the end
#
# The loss along the straight line from the trained network ($\alpha = 0$) to its initial
# weights ($\alpha = 1$): no bump means that no barrier separates them on that line.

# %%
line = fastnn.loss_line(net, X, y, to=net.trajectory_[0])
line.plot()

# %% [markdown]
# ## Curvature
#
# Exact Hessian-vector products (the R-operator, no finite differences) give the Hessian's
# extreme eigenvalues by Lanczos iteration, and its whole spectrum as a density. The largest
# eigenvalue is the sharpness of the minimum; $2 / \lambda_{\max}$ is the largest stable
# learning rate of gradient descent there, as on the linear model of chapter 2.

# %%
eigs = fastnn.hessian_eigs(net, X, y, k=2)
print(f"largest eigenvalues {eigs.values}: 2 / lambda_max = {2 / eigs.values[0]:.3g}")
density = fastnn.hessian_density(net, X, y, random_state=0)
axes = density.plot()  # pyplot's figure, shown when the cell ends
# %% [markdown]
# ## Which learning rates train
#
# A trainability map trains one network per grid point of two hyperparameters, here the
# learning rates of the two layers, and records how each run ended: converged (blue, darker
# is faster) or diverged (red, darker is earlier). Sohl-Dickstein (2024) found the boundary
# between them fractal. Squared error on the labels (`lecture.network_regressor`) lets large
# rates diverge, where the cross-entropy of a classifier mostly stalls instead:

# %%
small = lecture.network_regressor(hidden_layer_sizes=(8,), activation="tanh", max_iter=100)
tmap = fastnn.trainability(small, X[:500], y[:500], resolution=48,
                           ranges=((0.01, 100.0), (0.01, 100.0)))  # fmt: skip
print(f"{100 * tmap.diverged.mean():.0f}% of the runs diverged")
tmap.plot()

# %%
tmap.to_plotly()

# %% [markdown]
# ## Are two solutions connected?
#
# Two networks trained from different seeds find different parameters. Between them, the
# straight line usually climbs over a barrier. Hidden units can be permuted without changing
# what a network computes; aligning the second network's units to the first's (weight
# matching, as Git Re-Basin does) often lowers the barrier.

# %%
other = lecture.network_model(max_iter=500, random_state=1).fit(X, y)
before = fastnn.linear_barrier(net, other, X, y)
after = fastnn.linear_barrier(net, fastnn.align(net, other), X, y)
print(
    f"loss barrier: {before.loss_barrier['train']:.4f} as trained, "
    f"{after.loss_barrier['train']:.4f} after alignment"
)
after.plot()

# %% [markdown]
# ## How many basins?
#
# The sublevel-set persistence of the grid (CubicalRipser) finds every basin of a surface,
# the saddle that joins it to a deeper one, and its depth; basins shallower than a threshold
# are noise.

# %%
topology = plane.topology()
print(f"{topology.n_basins()} basin(s) deeper than 1% of the value range")
topology.plot(plane)

# %% [markdown]
# ## Exercises
#
# 1. Map the filter-normalised plane at `resolution=201`. How long does it take, and which
#    part of the network's forward pass does fastnn avoid computing per grid point? (The
#    first layer is affine in $(a, b)$.)
# 2. Train with a learning rate just below and just above $2/\lambda_{\max}$ computed at the
#    start. Where does each path go on the PCA plane?
# 3. Refine the trainability map around its boundary (`refine=3`) and measure the boundary's
#    box-counting dimension (`RefinedTrainabilityMap.boundary_dimension()`). Is it above 1?
# 4. Align with `method="activations"` instead of weights. Which gives the lower barrier?

"""The flat parameter layout of a multilayer perceptron.

Everything that describes a network's parameters -- the parameters themselves,
gradients, optimiser state, trajectories, loss-surface directions -- is one
float64 vector in this layout: for each layer, its weights (``fan_in x fan_out``,
row-major) and then its biases.
"""

from __future__ import annotations

import numpy as np

from fastnn._validation import check_option


class MLPLayout:
    """Offsets of each layer's weights and biases in a flat parameter vector.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, input first and output last, e.g. ``(2, 10, 1)``.

    Examples
    --------
    >>> layout = MLPLayout((2, 3, 1))
    >>> layout.n_params
    13
    >>> [w.shape for w in layout.coefs(np.arange(13.0))]
    [(2, 3), (3, 1)]
    """

    def __init__(self, sizes):
        self.sizes = np.asarray(sizes, dtype=np.int64)
        if self.sizes.ndim != 1 or self.sizes.size < 2 or np.any(self.sizes < 1):
            raise ValueError(f"sizes must list >= 2 positive layer widths; got {sizes!r}")
        fan_in, fan_out = self.sizes[:-1], self.sizes[1:]
        block = fan_in * fan_out + fan_out
        self.weight_start = np.concatenate([[0], np.cumsum(block)[:-1]])
        self.bias_start = self.weight_start + fan_in * fan_out
        self.n_params = int(block.sum())

    @property
    def n_layers(self) -> int:
        """Number of weight layers (hidden layers + 1)."""
        return self.sizes.size - 1

    def coefs(self, theta):
        """Per-layer weight matrices, as views of ``theta``."""
        return [
            theta[w : w + a * b].reshape(a, b)
            for w, a, b in zip(self.weight_start, self.sizes[:-1], self.sizes[1:], strict=True)
        ]

    def intercepts(self, theta):
        """Per-layer bias vectors, as views of ``theta``."""
        return [theta[s : s + b] for s, b in zip(self.bias_start, self.sizes[1:], strict=True)]

    def initial_theta(self, rng: np.random.Generator, init: str = "xavier") -> np.ndarray:
        """Random starting parameters.

        ``"normal"``: every weight and bias N(0, 1) (the lecture's choice);
        ``"xavier"``: weights N(0, 2 / (fan_in + fan_out)), biases 0 (Glorot);
        ``"he"``: weights N(0, 2 / fan_in), biases 0 (for ReLU).
        """
        check_option(init, "init", ("normal", "xavier", "he"))
        if init == "normal":
            return rng.standard_normal(self.n_params)
        theta = np.zeros(self.n_params)
        for W, (a, b) in zip(
            self.coefs(theta), zip(self.sizes[:-1], self.sizes[1:], strict=True), strict=True
        ):
            scale = np.sqrt(2.0 / (a + b)) if init == "xavier" else np.sqrt(2.0 / a)
            W[...] = scale * rng.standard_normal((a, b))
        return theta

    def __repr__(self) -> str:
        return f"MLPLayout(sizes={tuple(int(s) for s in self.sizes)}, n_params={self.n_params})"

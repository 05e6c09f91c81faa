"""Flat parameter layouts: how one float64 vector ``theta`` holds a model's parameters.

Everything that describes a model's parameters -- the parameters themselves,
gradients, optimiser state, trajectories, loss-surface directions -- is one vector
in its model's layout.  A layout knows its size, per-layer views (``coefs`` and
``intercepts``), the *filters* that filter normalisation rescales (column k of a
layer's weights is unit k's incoming weights), and the parameters' names:

* :class:`LinearLayout` -- ``theta = [intercept, w_1, ..., w_d]``, names
  ``"intercept"``, ``"w1"``, ... (or the features' names, e.g. a CSV header's);
* :class:`MLPLayout` -- per layer the weights (``fan_in x fan_out``, row-major) then
  the biases, names ``"W<layer>[<input>,<unit>]"`` and ``"b<layer>[<unit>]"`` (as
  ``coefs_`` / ``intercepts_`` index them).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from fastnn._validation import check_int, check_option

if TYPE_CHECKING:
    from collections.abc import Sequence


class _Layout:
    """What both layouts share: filters and parameter names <-> positions."""

    n_params: int

    def coefs(self, theta):  # pragma: no cover - every layout defines it
        raise NotImplementedError

    def intercepts(self, theta):  # pragma: no cover - every layout defines it
        raise NotImplementedError

    def filters(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(weights, biases)`` views of ``theta`` per layer (column k = unit k's inputs)."""
        return list(zip(self.coefs(theta), self.intercepts(theta), strict=True))

    def param_index(self, name: int | str) -> int:
        """The position in ``theta`` of a parameter given by index (negative allowed) or name.

        Raises
        ------
        ValueError
            Naming ``params`` and saying which names exist, for an unknown name or an
            index out of range.
        """
        if isinstance(name, (int, np.integer)) and not isinstance(name, bool):
            index = int(name)
            if not -self.n_params <= index < self.n_params:
                raise ValueError(
                    f"params: index {index} is out of range for a model with "
                    f"{self.n_params} parameters"
                )
            return index % self.n_params
        if not isinstance(name, str):
            raise ValueError(f"params must hold parameter indices or names; got {name!r}")
        found = self._index_of_name(name.strip())
        if found is None:
            raise ValueError(f"params: unknown parameter name {name!r}; {self._name_help}")
        return found

    def param_name(self, index: int) -> str:  # pragma: no cover - every layout defines it
        raise NotImplementedError

    def _index_of_name(self, name: str) -> int | None:  # pragma: no cover
        raise NotImplementedError

    @property
    def _name_help(self) -> str:
        return ""


_INTERCEPT_NAMES = ("intercept", "bias", "theta0")


def _check_feature_names(names, n_features: int):
    """The names as a list of distinct, non-empty strings, or None."""
    if names is None:
        return None
    names = [str(n).strip() if isinstance(n, (str, np.str_)) else n for n in names]
    if len(names) != n_features:
        raise ValueError(f"feature_names: {len(names)} names for {n_features} features")
    bad = [n for n in names if not isinstance(n, str) or not n or n in _INTERCEPT_NAMES]
    if bad:
        raise ValueError(
            f"feature_names must be non-empty strings other than {_INTERCEPT_NAMES}; got {bad[0]!r}"
        )
    if len(set(names)) != len(names):
        repeated = next(n for n in names if names.count(n) > 1)
        raise ValueError(f"feature_names: {repeated!r} names two features")
    return names


class LinearLayout(_Layout):
    """``theta = [intercept, w_1, ..., w_d]`` of a linear or logistic model.

    Parameters
    ----------
    n_features : int
        Number of input features ``d``.
    feature_names : sequence of str, optional
        The features' names (an estimator's ``feature_names_in_``): weight k is then
        named after feature k, and found by that name as well as by ``"w<k>"``.

    Examples
    --------
    >>> layout = LinearLayout(2)
    >>> layout.n_params, layout.param_name(0), layout.param_index("w2")
    (3, 'intercept', 2)
    >>> LinearLayout(1, feature_names=["x"]).param_name(1)
    'x'
    """

    def __init__(self, n_features: int, feature_names: Sequence[str] | None = None) -> None:
        self.n_features = check_int(n_features, "n_features")
        self.n_params = self.n_features + 1
        self.feature_names = _check_feature_names(feature_names, self.n_features)

    def coefs(self, theta: np.ndarray) -> list[np.ndarray]:
        """The weights as one ``(d, 1)`` matrix (a view of ``theta``)."""
        return [theta[1:, None]]

    def intercepts(self, theta: np.ndarray) -> list[np.ndarray]:
        """The intercept as a length-1 vector (a view of ``theta``)."""
        return [theta[:1]]

    def param_name(self, index: int) -> str:
        """``"intercept"`` for position 0; the k-th feature's name or ``"w<k>"`` for position k."""
        if index == 0:
            return "intercept"
        return f"w{index}" if self.feature_names is None else self.feature_names[index - 1]

    def _index_of_name(self, name: str) -> int | None:
        if self.feature_names is not None and name in self.feature_names:
            return self.feature_names.index(name) + 1
        if name in _INTERCEPT_NAMES:
            return 0
        match = re.fullmatch(r"(?:w|theta)(\d+)", name)
        if match and 1 <= int(match.group(1)) < self.n_params:
            return int(match.group(1))
        return None

    @property
    def _name_help(self) -> str:
        names = "'w1'" if self.n_features == 1 else f"'w1'..'w{self.n_features}'"
        if self.feature_names is not None:
            shown = ", ".join(repr(n) for n in self.feature_names[:5])
            names += f", a feature's name ({shown}{', ...' if self.n_features > 5 else ''})"
        return f"use 'intercept', {names} (or an index)"

    def __repr__(self) -> str:
        return f"LinearLayout(n_features={self.n_features}, n_params={self.n_params})"


class _NetworkLayout(_Layout):
    """What both network layouts share: per-layer views, and which layers have biases."""

    sizes: np.ndarray
    weight_start: np.ndarray
    bias_start: np.ndarray

    @property
    def n_layers(self) -> int:
        """Number of weight layers (hidden layers + 1)."""
        return self.sizes.size - 1

    def coefs(self, theta: np.ndarray) -> list[np.ndarray]:
        """Per-layer weight matrices, as views of ``theta``."""
        return [
            theta[w : w + a * b].reshape(a, b)
            for w, a, b in zip(self.weight_start, self.sizes[:-1], self.sizes[1:], strict=True)
        ]

    def intercepts(self, theta: np.ndarray) -> list[np.ndarray]:
        """Per-layer bias vectors, as views of ``theta``."""
        return [theta[s : s + b] for s, b in zip(self.bias_start, self.sizes[1:], strict=True)]

    def bias_flags(self, biases: bool | Sequence[bool]) -> tuple[bool, ...]:
        """Whether each layer has biases: ``biases`` is one bool for all, or one per layer."""
        n_layers = self.sizes.size - 1
        if isinstance(biases, (bool, np.bool_)):
            return (bool(biases),) * n_layers
        flags = tuple(bool(flag) for flag in biases)
        if len(flags) != n_layers:
            raise ValueError(
                f"biases has {len(flags)} flags; the network "
                f"{tuple(int(s) for s in self.sizes)} has {n_layers} layers (one per layer, "
                "the input side first)"
            )
        return flags

    def canonical_biases(self, biases: bool | Sequence[bool]) -> bool | tuple[bool, ...]:
        """``biases`` as one bool when every layer's flag is alike, else one per layer."""
        flags = self.bias_flags(biases)
        return flags[0] if len(set(flags)) == 1 else flags

    def bias_mask(self, biases: bool | Sequence[bool] = True) -> np.ndarray:
        """Boolean mask of the biases' entries in a parameter vector.

        ``biases`` (as :meth:`bias_flags`) selects the layers: every layer's by default.
        """
        mask = np.zeros(self.n_params, dtype=bool)
        for b, selected in zip(self.intercepts(mask), self.bias_flags(biases), strict=True):
            b[...] = selected
        return mask

    def zero_biases(self, theta: np.ndarray, biases: bool | Sequence[bool] = False) -> np.ndarray:
        """Set the biases of the layers without them to 0, in place.

        ``biases`` (as :meth:`bias_flags`) says which layers have biases: by default none
        (a network without biases: every bias becomes 0).
        """
        for b, has in zip(self.intercepts(theta), self.bias_flags(biases), strict=True):
            if not has:
                b[...] = 0.0
        return theta


class MLPLayout(_NetworkLayout):
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
    >>> layout.param_name(7), layout.param_index("b0[1]")
    ('b0[1]', 7)
    """

    @property
    def _name_help(self) -> str:
        return "use 'W<layer>[<input>,<unit>]' or 'b<layer>[<unit>]' (as coefs_/intercepts_)"

    def __init__(self, sizes: Sequence[int]) -> None:
        self.sizes = np.asarray(sizes, dtype=np.int64)
        if self.sizes.ndim != 1 or self.sizes.size < 2 or np.any(self.sizes < 1):
            raise ValueError(f"sizes must list >= 2 positive layer widths; got {sizes!r}")
        fan_in, fan_out = self.sizes[:-1], self.sizes[1:]
        block = fan_in * fan_out + fan_out
        self.weight_start = np.concatenate([[0], np.cumsum(block)[:-1]])
        self.bias_start = self.weight_start + fan_in * fan_out
        self.n_params = int(block.sum())

    def param_name(self, index: int) -> str:
        """``"W<layer>[<input>,<unit>]"`` or ``"b<layer>[<unit>]"`` of position ``index``."""
        for l in range(self.n_layers - 1, -1, -1):
            if index >= self.bias_start[l]:
                return f"b{l}[{index - self.bias_start[l]}]"
            if index >= self.weight_start[l]:
                j, k = divmod(index - self.weight_start[l], int(self.sizes[l + 1]))
                return f"W{l}[{j},{k}]"
        raise ValueError(f"index {index} is not a position in {self!r}")

    def _index_of_name(self, name: str) -> int | None:
        match = re.fullmatch(r"W(\d+)\[(\d+),\s*(\d+)\]", name)
        if match:
            l, j, k = (int(g) for g in match.groups())
            if l < self.n_layers and j < self.sizes[l] and k < self.sizes[l + 1]:
                return int(self.weight_start[l] + j * self.sizes[l + 1] + k)
            return None
        match = re.fullmatch(r"b(\d+)\[(\d+)\]", name)
        if match:
            l, k = (int(g) for g in match.groups())
            if l < self.n_layers and k < self.sizes[l + 1]:
                return int(self.bias_start[l] + k)
        return None

    def initial_theta(
        self, rng: np.random.Generator, init: str = "xavier", scale: float | Sequence[float] = 1.0
    ) -> np.ndarray:
        """Random starting parameters.

        ``"normal"``: every weight and bias N(0, 1) (the lecture's choice);
        ``"xavier"``: weights N(0, 2 / (fan_in + fan_out)), biases 0 (Glorot);
        ``"he"``: weights N(0, 2 / fan_in), biases 0 (for ReLU).  ``scale`` multiplies
        every drawn parameter (the estimators' ``init_scale``; trainability maps grid it),
        or is a sequence of one factor per layer (its weights and biases).
        """
        check_option(init, "init", ("normal", "xavier", "he"))
        if init == "normal":
            theta = rng.standard_normal(self.n_params)
        else:
            theta = np.zeros(self.n_params)
            for W, (a, b) in zip(
                self.coefs(theta), zip(self.sizes[:-1], self.sizes[1:], strict=True), strict=True
            ):
                spread = np.sqrt(2.0 / (a + b)) if init == "xavier" else np.sqrt(2.0 / a)
                W[...] = spread * rng.standard_normal((a, b))
        if np.ndim(scale) == 0:
            return theta * scale
        for l, factor in enumerate(np.asarray(scale, dtype=np.float64)):
            theta[self.weight_start[l] : self.bias_start[l] + self.sizes[l + 1]] *= factor
        return theta

    def __repr__(self) -> str:
        return f"MLPLayout(sizes={tuple(int(s) for s in self.sizes)}, n_params={self.n_params})"


class BatchNormLayout(_NetworkLayout):
    """A network whose layers may end in a batch normalisation with its own parameters.

    Per layer ``l``: the weights ``W<l>`` (fan_in x fan_out, row-major) and biases
    ``b<l>`` as in :class:`MLPLayout`; a normalised layer then ``gamma<l>`` and ``beta<l>``
    (one per unit).  Such a layer computes ``gamma s (A W + b - mean) + beta`` before its
    activation, with the running ``mean`` and ``s = 1 / sqrt(var + eps)`` fixed (a
    ``BatchNorm1d`` as evaluated): constants of the function, held by the layout, not
    parameters.  :meth:`fold` gives the same function's parameters in
    :attr:`folded` (an :class:`MLPLayout`); :mod:`fastnn._batch_norm` the derivatives.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, input first and output last.
    means, scales : sequence of (ndarray or None)
        Per layer: the running means and ``1 / sqrt(var + eps)`` of its units, or None
        for a layer without batch normalisation.
    """

    @property
    def _name_help(self) -> str:
        return (
            "use 'W<layer>[<input>,<unit>]', 'b<layer>[<unit>]', 'gamma<layer>[<unit>]' or "
            "'beta<layer>[<unit>]'"
        )

    def __init__(
        self,
        sizes: Sequence[int],
        means: Sequence[np.ndarray | None],
        scales: Sequence[np.ndarray | None],
    ) -> None:
        self.folded = MLPLayout(sizes)
        self.sizes = self.folded.sizes
        n_layers = self.sizes.size - 1
        if len(means) != n_layers or len(scales) != n_layers:
            raise ValueError(f"means and scales need one entry per layer ({n_layers})")
        self.means = [None if m is None else np.asarray(m, dtype=np.float64) for m in means]
        self.scales = [None if c is None else np.asarray(c, dtype=np.float64) for c in scales]
        self.normed = tuple(m is not None for m in self.means)
        start, weight_start, bias_start, norm_start = 0, [], [], []
        for l, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True)):
            mean, scale = self.means[l], self.scales[l]
            if (mean is None) != (scale is None) or (
                mean is not None
                and scale is not None
                and not mean.shape == scale.shape == (int(fan_out),)
            ):
                raise ValueError(f"layer {l}: means and scales need one value per unit ({fan_out})")
            weight_start.append(start)
            bias_start.append(start + fan_in * fan_out)
            start += fan_in * fan_out + fan_out
            norm_start.append(start if self.normed[l] else -1)
            start += 2 * fan_out if self.normed[l] else 0
        self.weight_start = np.array(weight_start, dtype=np.int64)
        self.bias_start = np.array(bias_start, dtype=np.int64)
        self.norm_start = np.array(norm_start, dtype=np.int64)
        self.n_params = int(start)

    def norms(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray] | None]:
        """Per layer ``(gamma, beta)`` views of ``theta``, or None where not normalised."""
        return [
            None if start < 0 else (theta[start : start + n], theta[start + n : start + 2 * n])
            for start, n in zip(self.norm_start, self.sizes[1:], strict=True)
        ]

    def filters(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(weights, biases)`` per layer, then ``(no weights, gamma)``, ``(no weights, beta)``.

        Per normalised layer ``gamma`` and ``beta`` are two more bias vectors: filter
        normalisation zeroes them with ``bias="zero"`` (Li et al.'s ``--xignore biasbn``)
        or rescales each as one filter with ``bias="keep"``.
        """
        pairs = list(zip(self.coefs(theta), self.intercepts(theta), strict=True))
        for norm in self.norms(theta):
            if norm is not None:
                pairs.extend((theta[:0].reshape(0, v.size), v) for v in norm)
        return pairs

    def param_name(self, index: int) -> str:
        """The name of position ``index``: ``W<l>[j,k]``, ``b<l>[k]``, ``gamma<l>[k]``...

        ... or ``beta<l>[k]`` (layer ``l``, input ``j``, unit ``k``).
        """
        for l in range(self.n_layers - 1, -1, -1):
            n = int(self.sizes[l + 1])
            if self.norm_start[l] >= 0 and index >= self.norm_start[l]:
                k = index - self.norm_start[l]
                return f"gamma{l}[{k}]" if k < n else f"beta{l}[{k - n}]"
            if index >= self.bias_start[l]:
                return f"b{l}[{index - self.bias_start[l]}]"
            if index >= self.weight_start[l]:
                j, k = divmod(index - self.weight_start[l], n)
                return f"W{l}[{j},{k}]"
        raise ValueError(f"index {index} is not a position in {self!r}")

    def _index_of_name(self, name: str) -> int | None:
        match = re.fullmatch(r"(gamma|beta)(\d+)\[(\d+)\]", name)
        if match is None:
            found = self.folded._index_of_name(name)
            if found is None:
                return None
            l = int(np.searchsorted(self.folded.weight_start, found, side="right") - 1)
            return int(found - self.folded.weight_start[l] + self.weight_start[l])
        which, l, k = match.group(1), int(match.group(2)), int(match.group(3))
        if l < self.n_layers and self.normed[l] and k < self.sizes[l + 1]:
            return int(self.norm_start[l] + k + (self.sizes[l + 1] if which == "beta" else 0))
        return None

    def fold(self, theta: np.ndarray) -> np.ndarray:
        """The same network's parameters in :attr:`folded`.

        Per normalised layer ``W c`` and ``(b - mean) c + beta``, ``c = gamma s``.
        """
        folded = np.empty(self.folded.n_params)
        parts = zip(
            self.coefs(theta), self.intercepts(theta), self.norms(theta),
            self.folded.coefs(folded), self.folded.intercepts(folded), self.means, self.scales,
            strict=True,
        )  # fmt: skip
        for W, b, norm, W_f, b_f, mean, scale in parts:
            if norm is None:
                W_f[...], b_f[...] = W, b
            else:
                c = norm[0] * scale
                W_f[...] = W * c
                b_f[...] = (b - mean) * c + norm[1]
        return folded

    def __repr__(self) -> str:
        normed = [l for l, flag in enumerate(self.normed) if flag]
        return (
            f"BatchNormLayout(sizes={tuple(int(s) for s in self.sizes)}, normalised layers "
            f"{normed}, n_params={self.n_params})"
        )

"""Regenerate the polynomial coefficients of fastnn's division-free elementary functions.

* ``log1p``: ``log1p(e) / e`` on ``0 <= e <= 1``, degree 20 in ``s = 2e - 1``
  (``fastnn.kernels._math._log1p_unit``);
* ``exp``: ``exp(r)`` on ``|r| <= ln(2) / 2``, degree 11 in ``r``
  (``fastnn.kernels._math._exp_normal_range``);
* ``expm1``: ``expm1(r) / r`` on ``|r| <= ln(2) / 2``, degree 10 in ``r``
  (``fastnn.kernels._math._expm1_short``, the tanh's);
* ``erfcx``: ``exp(x^2) erfc(x)`` on ``x >= 0``, degree 36 in ``t = (x - 3.75) / (x +
  3.75)`` (Schonfelder's variable; ``fastnn.kernels._math._erfc``);
* ``exp-f32``: the same in float32, degree 6 (``fastnn.kernels._math._exp_nonpositive_f32``;
  coefficients rounded to float32, the error measured in float32 ulp of a float32 Horner
  scheme).

Each is interpolated at the Chebyshev points with 40-digit arithmetic (mpmath), converted
to monomials and rounded to float64.  The script prints the coefficients highest degree
first (the order of the Horner scheme) and the worst error in ulp on a dense grid.

Usage: ``python scripts/fit_polynomials.py {log1p,exp,expm1,erfcx,exp-f32} [degree]``
(needs ``pip install mpmath``).
"""

from __future__ import annotations

import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 40
HALF_LN2 = float(mp.log(2) / 2)
ERFCX_SHIFT = 3.75  # erfcx's variable t = (x - ERFCX_SHIFT) / (x + ERFCX_SHIFT)


def chebyshev_monomials(f, lo: float, hi: float, degree: int) -> list[float]:
    """Monomial coefficients (lowest first, in x) of f's Chebyshev interpolant on [lo, hi]."""
    n = degree + 1
    mid, half = (mp.mpf(lo) + hi) / 2, (mp.mpf(hi) - lo) / 2
    nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]
    values = [f(mid + half * s) for s in nodes]
    cheb = [
        2 * mp.fsum(values[k] * mp.cos(mp.pi * j * (k + mp.mpf(1) / 2) / n) for k in range(n)) / n
        for j in range(n)
    ]
    cheb[0] /= 2
    basis = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]  # T_0, T_1 as monomials
    while len(basis) < n:
        doubled = [mp.mpf(0)] + [2 * x for x in basis[-1]]
        previous = basis[-2] + [mp.mpf(0)] * (len(doubled) - len(basis[-2]))
        basis.append([x - y for x, y in zip(doubled, previous, strict=True)])
    monomials = [mp.mpf(0)] * n
    for c, polynomial in zip(cheb, basis, strict=False):
        for i, t in enumerate(polynomial):
            monomials[i] += c * t
    if mid != 0:  # only [0, 1] -> s = 2e - 1 is used: keep coefficients in s
        return [float(x) for x in monomials]
    return [float(x / half**i) for i, x in enumerate(monomials)]


def _horner(coefficients, x):
    result = np.zeros_like(x)
    for c in coefficients[::-1]:
        result = result * x + c
    return result


def fit(kind: str, degree: int | None = None) -> tuple[list[float], float]:
    """(coefficients lowest first, worst error in ulp) of one function."""
    if kind == "log1p":
        degree = degree or 20
        coefficients = chebyshev_monomials(
            lambda s: mp.log1p((s + 1) / 2) / ((s + 1) / 2), -1, 1, degree
        )
        e = np.concatenate([np.linspace(0.0, 1.0, 20001)[1:], np.geomspace(1e-300, 1e-3, 2000)])
        approx = e * _horner(coefficients, 2.0 * e - 1.0)
        exact = np.array([float(mp.log1p(mp.mpf(x))) for x in e])
    elif kind == "exp":
        degree = degree or 11
        coefficients = chebyshev_monomials(mp.exp, -HALF_LN2, HALF_LN2, degree)
        r = np.linspace(-HALF_LN2, HALF_LN2, 20001)
        approx = _horner(coefficients, r)
        exact = np.array([float(mp.exp(mp.mpf(x))) for x in r])
    elif kind == "expm1":
        degree = degree or 10
        coefficients = chebyshev_monomials(
            lambda r: mp.expm1(r) / r if r != 0 else mp.mpf(1), -HALF_LN2, HALF_LN2, degree
        )
        r = np.concatenate([np.linspace(-HALF_LN2, HALF_LN2, 20000), [1e-300, -1e-300]])
        approx = r * _horner(coefficients, r)
        exact = np.array([float(mp.expm1(mp.mpf(x))) for x in r])
    elif kind == "erfcx":
        degree = degree or 36
        k = mp.mpf(ERFCX_SHIFT)

        def erfcx(t):
            x = k * (1 + t) / (1 - t)
            return mp.erfc(x) * mp.exp(x * x)

        coefficients = chebyshev_monomials(erfcx, -1, 1, degree)
        x = np.concatenate([np.linspace(0.0, 27.0, 20001), np.geomspace(1e-12, 27.0, 2000)])
        approx = _horner(coefficients, (x - ERFCX_SHIFT) / (x + ERFCX_SHIFT))
        exact = np.array([float(mp.erfc(mp.mpf(v)) * mp.exp(mp.mpf(v) ** 2)) for v in x])
    elif kind == "exp-f32":
        degree = degree or 6
        coefficients = [
            float(np.float32(c)) for c in chebyshev_monomials(mp.exp, -HALF_LN2, HALF_LN2, degree)
        ]
        r = np.linspace(-HALF_LN2, HALF_LN2, 200001).astype(np.float32)
        approx = np.zeros_like(r)
        for c in coefficients[::-1]:
            approx = approx * r + np.float32(c)
        exact = np.exp(r.astype(np.float64))
        return coefficients, float(np.max(np.abs(approx - exact) / np.spacing(np.float32(exact))))
    else:
        raise SystemExit(f"unknown function {kind!r}: choose log1p, exp, expm1, erfcx or exp-f32")
    return coefficients, float(np.max(np.abs(approx - exact) / np.spacing(np.abs(exact))))


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "log1p"
    coefficients, ulp = fit(kind, int(sys.argv[2]) if len(sys.argv) > 2 else None)
    for c in coefficients[::-1]:
        print(repr(c))
    print(f"# worst error of the polynomial alone: {ulp:.1f} ulp", file=sys.stderr)

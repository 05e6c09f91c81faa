"""Vectorisable elementary functions for numba kernels.

numba >= 0.62 ships without SVML, so ``math.exp`` inside a ``@njit`` loop is a
scalar libm call (about 0.16 G elements/s per core here) and the loop around
it cannot vectorise.  The functions below are branch-free (selects only),
use only adds, multiplies, FMAs, one or two divides and integer bit
operations, so LLVM turns loops over them into packed SIMD code.

Accuracy (tested against numpy over the whole double range in
``tests/test_math.py``): :func:`_exp` within 2 ulp, :func:`_log1p` within
2 ulp; inf, NaN, overflow and underflow behave as numpy's.  :func:`_exp_term`
is the exp of loss sums for float64 and float32 arguments alike.

These are private helpers, not kernels: numpy's ``np.exp`` and ``np.log1p``
are their reference.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic, overload

from fastnn._numba import njit


@intrinsic
def _bits_to_float(typingctx, bits):
    """Reinterpret an int64 bit pattern as a float64 (a free LLVM bitcast)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@intrinsic
def _float_to_bits(typingctx, x):
    """Reinterpret a float64 as its int64 bit pattern (a free LLVM bitcast)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


_LOG2E = 1.4426950408889634
# ln 2 split so that n * _LN2_HI is exact for |n| < 2**11 (fdlibm's constants).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# Adding 1.5 * 2**52 rounds a double to an integer (round-to-nearest) and
# leaves that integer in the low bits of the sum: no float->int conversion,
# which AVX2 cannot do on packed doubles.
_SHIFTER = 6755399441055744.0
_SHIFTER_BITS = 0x4338000000000000
_EXPONENT_BIAS = 1023
_SQRT2 = 1.4142135623730951
_MANTISSA_MASK = 0x000FFFFFFFFFFFFF
_INF = float("inf")
_NAN = float("nan")


@njit(exact=True)
def _expm1_quotient(r):
    """expm1(r) / r for |r| <= ln(2)/2: its Taylor series to degree 12 (exp's to 13).

    The truncation error is below 4e-18 there.  ``exp(r) = 1 + r q(r)`` and
    ``expm1(r) = r q(r)``.
    """
    q = 1.0 / 6227020800.0
    q = q * r + 1.0 / 479001600.0
    q = q * r + 1.0 / 39916800.0
    q = q * r + 1.0 / 3628800.0
    q = q * r + 1.0 / 362880.0
    q = q * r + 1.0 / 40320.0
    q = q * r + 1.0 / 5040.0
    q = q * r + 1.0 / 720.0
    q = q * r + 1.0 / 120.0
    q = q * r + 1.0 / 24.0
    q = q * r + 1.0 / 6.0
    q = q * r + 0.5
    return q * r + 1.0


@njit(exact=True)
def _exp(x):
    """exp(x) for a float64, vectorisable; 1-2 ulp."""
    xc = min(max(x, -746.0), 710.0)
    t = xc * _LOG2E + _SHIFTER
    nf = t - _SHIFTER
    n = _float_to_bits(t) - _SHIFTER_BITS
    r = (xc - nf * _LN2_HI) - nf * _LN2_LO  # |r| <= ln(2)/2
    p = _expm1_quotient(r) * r + 1.0
    # 2**n in two factors, each a normal number, so subnormal results are
    # rounded once and overflow gives inf exactly as libm does.
    n1 = n >> 1
    n2 = n - n1
    s1 = _bits_to_float((n1 + _EXPONENT_BIAS) << 52)
    s2 = _bits_to_float((n2 + _EXPONENT_BIAS) << 52)
    result = (p * s1) * s2
    return result if x == x else x


# erfcx(x) = exp(x^2) erfc(x) on x >= 0 is a polynomial of degree 36 in
# t = (x - 3.75) / (x + 3.75) (scripts/fit_polynomials.py erfcx: 12 ulp at worst, from the
# rounding of t where x is large); its Horner scheme is written out in _erfcx_polynomial.
_ERFCX_SHIFT = 3.75
# Veltkamp's splitting constant: a = hi + lo with 26-bit halves, so hi * hi is exact.
_SPLIT = 134217729.0
# erfc(x) is below the smallest subnormal from here on.
_ERFC_ZERO = 27.3


@njit(inline=True)
def _erfcx_polynomial(t):
    """Erfcx as a polynomial in t (coefficients: ``scripts/fit_polynomials.py erfcx``)."""
    q = 1.6108493197646533e-15
    q = q * t + 4.2049915129222305e-15
    q = q * t - 1.8179869312326472e-14
    q = q * t - 6.148120328429367e-14
    q = q * t + 8.965779556943307e-14
    q = q * t + 4.802139791201522e-13
    q = q * t - 1.569034166219126e-13
    q = q * t - 2.7638196782563884e-12
    q = q * t - 1.245591506315948e-12
    q = q * t + 1.3594060005788362e-11
    q = q * t + 1.595026882141949e-11
    q = q * t - 6.2663552981666e-11
    q = q * t - 1.2221333294069409e-10
    q = q * t + 2.9244480152336136e-10
    q = q * t + 8.10175301518918e-10
    q = q * t - 1.5081336214638405e-09
    q = q * t - 5.1245328115352855e-09
    q = q * t + 9.392427486896312e-09
    q = q * t + 3.172763280246493e-08
    q = q * t - 7.27983523609224e-08
    q = q * t - 1.8358268823578024e-07
    q = q * t + 6.595518929328799e-07
    q = q * t + 7.486402999798659e-07
    q = q * t - 6.183467428355856e-06
    q = q * t + 3.5836818424996483e-06
    q = q * t + 4.789878904187781e-05
    q = q * t - 0.00015246265717697253
    q = q * t - 2.5535332109394193e-05
    q = q * t + 0.0018029624156468715
    q = q * t - 0.008220621154039152
    q = q * t + 0.02414322397253901
    q = q * t - 0.054802326694983555
    q = q * t + 0.10260431203219397
    q = q * t - 0.16357189552392382
    q = q * t + 0.2260080669166215
    q = q * t - 0.2734219314954265
    q = q * t + 0.14558972127503855
    return q


@njit(inline=True)
def _erfc(x):
    """erfc(x) for a float64, vectorisable: ``exp(-x^2) erfcx(|x|)``, ``2 - that`` below 0.

    Inlined at numba's IR level, as :func:`_tanh`, so that loops over it vectorise.
    Within 3e-14 relative for x >= 0 (1e-15 up to x = 5) and 1 ulp of 2 below 0.  ``x^2``
    is formed exactly as ``hi + lo`` (Veltkamp), so ``exp(-x^2)`` loses nothing to its
    rounding; 0 from 27.3 on; NaN stays NaN.
    """
    a = abs(x)
    t = (a - _ERFCX_SHIFT) / (a + _ERFCX_SHIFT)
    q = _erfcx_polynomial(t)
    hi = a * a
    split = _SPLIT * a
    a_hi = split - (split - a)
    a_lo = a - a_hi
    lo = ((a_hi * a_hi - hi) + 2.0 * a_hi * a_lo) + a_lo * a_lo
    tail = _exp(-hi) * (1.0 - lo) * q  # exp(-lo) = 1 - lo: |lo| < 2^-53 hi
    tail = 0.0 if a >= _ERFC_ZERO else tail
    result = tail if x >= 0.0 else 2.0 - tail
    return result if x == x else x


@njit(exact=True)
def _log1p(x):
    """log(1 + x) for a float64 x >= -1, vectorisable; 1-2 ulp.

    Below -1 it returns NaN, at -1 ``-inf``, at ``inf`` ``inf`` (numpy's values).
    """
    u = 1.0 + x
    # The rounding error of 1 + x, recovered exactly (Fast2Sum on the larger operand).
    c = (1.0 - (u - x)) if x >= 1.0 else (x - (u - 1.0))
    bits = _float_to_bits(u)
    k = ((bits >> 52) & 0x7FF) - _EXPONENT_BIAS
    m = _bits_to_float((bits & _MANTISSA_MASK) | (_EXPONENT_BIAS << 52))  # in [1, 2)
    big = m > _SQRT2
    m = 0.5 * m if big else m  # now in [sqrt(2)/2, sqrt(2))
    k = k + 1 if big else k
    f = m - 1.0  # exact (Sterbenz)
    s = f / (2.0 + f)  # |s| <= 0.1716
    z = s * s
    # log(m) = 2 atanh(s) = 2 s (1 + z/3 + z^2/5 + ...), truncated after z^11.
    q = 2.0 / 23.0
    q = q * z + 2.0 / 21.0
    q = q * z + 2.0 / 19.0
    q = q * z + 2.0 / 17.0
    q = q * z + 2.0 / 15.0
    q = q * z + 2.0 / 13.0
    q = q * z + 2.0 / 11.0
    q = q * z + 2.0 / 9.0
    q = q * z + 2.0 / 7.0
    q = q * z + 2.0 / 5.0
    q = q * z + 2.0 / 3.0
    log_m = 2.0 * s + s * z * q
    kf = float(k)
    result = kf * _LN2_HI + (log_m + (kf * _LN2_LO + c / u))
    # Special values: u == inf, x < -1 (NaN), x == -1 (-inf), NaN stays NaN.
    result = x if x == _INF else result
    result = -_INF if u == 0.0 else result
    result = _NAN if (x < -1.0 or x != x) else result
    return result


@njit(exact=True)
def _expm1_short(r):
    """expm1(r) / r for |r| <= ln(2)/2: its degree-10 Chebyshev interpolant.

    ``r`` times it is within 1 ulp of expm1(r) there (``scripts/fit_polynomials.py
    expm1``); two terms fewer than :func:`_expm1_quotient`'s Taylor series, for the tanh
    of the trainability lanes, a third of whose time tanh takes.
    """
    q = 2.510520637395701e-08
    q = q * r + 2.7626357241447223e-07
    q = q * r + 2.7557255425746435e-06
    q = q * r + 2.4801504346997686e-05
    q = q * r + 0.00019841269874800493
    q = q * r + 0.0013888888932488599
    q = q * r + 0.008333333333326141
    q = q * r + 0.04166666666657314
    q = q * r + 0.1666666666666667
    q = q * r + 0.5000000000000006
    return q * r + 1.0


@njit(exact=True)
def _expm1_nonpositive(y):
    """exp(y) - 1 for y <= 0 without cancellation, vectorisable; within 2 ulp.

    One reduction ``y = n ln 2 + r`` (|r| <= ln(2)/2), ``expm1(r) = r q(r)``
    (:func:`_expm1_short`), then ``2**n expm1(r) + (2**n - 1)``: for n = 0 that is
    ``expm1(r)`` itself, below it the two terms have the same sign, so nothing cancels.
    ``y`` is clamped at -40, where the result rounds to -1.  NaN stays NaN through the
    arithmetic itself: the clamp keeps it (a ``max`` would replace it by -40).
    """
    yc = -40.0 if y < -40.0 else y
    t = yc * _LOG2E + _SHIFTER
    nf = t - _SHIFTER
    n = _float_to_bits(t) - _SHIFTER_BITS  # -58 <= n <= 0: 2**n is a normal number
    r = (yc - nf * _LN2_HI) - nf * _LN2_LO
    scale = _bits_to_float((n + _EXPONENT_BIAS) << 52)
    return scale * (r * _expm1_short(r)) + (scale - 1.0)


@njit(inline=True)
def _tanh(x):
    """tanh(x) = sign(x) m / (-2 - m) with m = expm1(-2|x|), vectorisable; a few ulp.

    Inlined at numba's IR level (so loops over it vectorise); the exact part is
    :func:`_expm1_nonpositive`.  The sign is copied from ``x`` (so tanh(-0) is -0 and
    tanh(0) is 0), and ``-2 - m`` is ``-(2 + m)`` exactly: no negation of its own.  A
    float32 ``x`` is computed in float64.
    """
    m = _expm1_nonpositive(-2.0 * abs(x))
    return math.copysign(m / (-2.0 - m), x)


@njit(exact=True)
def _log1p_unit(e):
    """log(1 + e) for 0 <= e <= 1, without a division; within 1 ulp.

    The range of ``exp(-|z|)``, where softplus and cross-entropy need it: there one
    polynomial suffices, ``e q(2e - 1)`` with ``q`` the degree-20 Chebyshev
    interpolant of ``log1p(e) / e`` (computed at 40 digits, ``scripts/fit_polynomials.py``).
    The factor ``e`` keeps the relative accuracy down to the smallest ``e``.  A
    division costs as much as the whole polynomial in a vectorised loop.
    """
    s = 2.0 * e - 1.0
    q = 2.330586809976668e-11
    q = q * s - 7.317042246170282e-11
    q = q * s + 1.0787232813120478e-10
    q = q * s - 3.420138797930341e-10
    q = q * s + 1.363113923159679e-09
    q = q * s - 4.336548550414743e-09
    q = q * s + 1.3500470517435648e-08
    q = q * s - 4.331304783093553e-08
    q = q * s + 1.3990346886420576e-07
    q = q * s - 4.5354366598033807e-07
    q = q * s + 1.4798682669311618e-06
    q = q * s - 4.866877333591529e-06
    q = q * s + 1.6156949099580387e-05
    q = q * s - 5.426089824207432e-05
    q = q * s + 0.00018490300180466052
    q = q * s - 0.0006421503724725223
    q = q * s + 0.0022882409076902767
    q = q * s - 0.008461080413870536
    q = q * s + 0.03315243843855094
    q = q * s - 0.14426354954966195
    q = q * s + 0.8109302162163288
    return e * q


@njit(exact=True)
def _exp_normal_range(x):
    """exp(x) where the result is a normal number, 0 below exp(-708); vectorisable, 1-2 ulp.

    Cheaper than :func:`_exp` (a degree-11 Chebyshev polynomial instead of degree 13,
    one scaling instead of two, no subnormal results) for sums such as a loss,
    where a term below 3e-308 changes nothing.  Overflow gives inf and NaN stays NaN.
    """
    xc = min(max(x, -708.0), 710.0)
    t = xc * _LOG2E + _SHIFTER
    nf = t - _SHIFTER
    n = _float_to_bits(t) - _SHIFTER_BITS
    r = (xc - nf * _LN2_HI) - nf * _LN2_LO
    p = 2.5110037605963777e-08
    p = p * r + 2.763263963904103e-07
    p = p * r + 2.755724091857897e-06
    p = p * r + 2.4801485482328494e-05
    p = p * r + 0.00019841269890047113
    p = p * r + 0.0013888888952314775
    p = p * r + 0.008333333333319601
    p = p * r + 0.0416666666664881
    p = p * r + 0.1666666666666668
    p = p * r + 0.5000000000000019
    p = p * r + 1.0
    p = p * r + 1.0
    # 2**(n - 1) is normal for every n here (-1021 <= n <= 1024); times 2 is exact.
    result = (p * _bits_to_float((n - 1 + _EXPONENT_BIAS) << 52)) * 2.0
    result = 0.0 if x < -708.0 else result
    return result if x == x else x


# float32: the shifter is 1.5 * 2**23, ln 2 is split so that n * _LN2_HI_F32 is exact for
# |n| < 2**8 (the high part has 16 significant bits).
_SHIFTER_F32 = np.float32(12582912.0)
_SHIFTER_BITS_F32 = 0x4B400000
_LOG2E_F32 = np.float32(_LOG2E)
_LN2_HI_F32 = np.float32(0.693145751953125)
_LN2_LO_F32 = np.float32(1.4286068203094173e-06)
# exp(-87) = 1.6e-38 is still normal; every n of the reduction is >= -126.
_EXP_MIN_F32 = np.float32(-87.0)
_ZERO_F32 = np.float32(0.0)
# Degree-6 Chebyshev interpolant of exp on |r| <= ln(2)/2, highest degree first
# (scripts/fit_polynomials.py exp-f32): 1.2 ulp of float32.
_EXP_F32 = tuple(
    np.float32(c)
    for c in (
        0.0013941108481958508,
        0.00837512593716383,
        0.04166635125875473,
        0.16666415333747864,
        0.5,
        1.0,
        1.0,
    )
)
_C6, _C5, _C4, _C3, _C2, _C1, _C0 = _EXP_F32


@intrinsic
def _times_pow2_f32(typingctx, p, shifted):
    """``p * 2**n`` for float32 ``p``, where ``shifted = n + 1.5 * 2**23`` (float32).

    The rounding shifter leaves ``n`` in the low bits of ``shifted``; the exponent field
    of ``2**n`` is formed from them in 32-bit integer arithmetic (numba would widen every
    integer operation to 64 bits, which halves the vector lanes).  Valid for
    -126 <= n <= 127.
    """
    sig = types.float32(types.float32, types.float32)

    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        bits = builder.bitcast(args[1], i32)
        exponent = builder.add(bits, ir.Constant(i32, 127 - _SHIFTER_BITS_F32))
        scale = builder.bitcast(builder.shl(exponent, ir.Constant(i32, 23)), ir.FloatType())
        return builder.fmul(args[0], scale)

    return sig, codegen


@njit(exact=True)
def _exp_nonpositive_f32(x):
    """exp(x) for a float32 ``x <= 0``, vectorisable; within 2 ulp of float32.

    Results below the normal range (x < -87) are 0, NaN stays NaN.  Positive ``x`` is
    outside the domain (clamped to 0): callers pass ``-|z|`` or ``z - max(z)``.
    """
    xc = min(max(x, _EXP_MIN_F32), _ZERO_F32)
    t = xc * _LOG2E_F32 + _SHIFTER_F32
    nf = t - _SHIFTER_F32
    r = (xc - nf * _LN2_HI_F32) - nf * _LN2_LO_F32
    p = _C6
    p = p * r + _C5
    p = p * r + _C4
    p = p * r + _C3
    p = p * r + _C2
    p = p * r + _C1
    p = p * r + _C0
    result = _times_pow2_f32(p, t)
    result = _ZERO_F32 if x < _EXP_MIN_F32 else result
    return result if x == x else x


def _exp_term(x):
    """exp(x) for x <= 0 as a term of a loss sum, in ``x``'s precision (float64 or float32).

    float64: :func:`_exp_normal_range`; float32: :func:`_exp_nonpositive_f32`.
    """
    return np.exp(x)


@overload(_exp_term)
def _exp_term_numba(x):
    if x == types.float32:
        return lambda x: _exp_nonpositive_f32(x)
    return lambda x: _exp_normal_range(x)


def _cast_like(x, like):
    """``x`` as a scalar of ``like``'s precision: an array's dtype or a float's type.

    float32 arithmetic stays float32 only if its constants are float32 too (a float64
    literal promotes the whole expression).
    """
    return np.asarray(like).dtype.type(x)


@overload(_cast_like)
def _cast_like_numba(x, like):
    dtype = like.dtype if isinstance(like, types.Array) else like

    def cast(x, like):
        return dtype(x)

    return cast

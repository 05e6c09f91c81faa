"""Are two solutions connected?  Barriers, permutation alignment and curves of low loss.

* :func:`linear_barrier` -- loss and error on the straight line between two networks and
  the barrier of the literature (Frankle et al. 2020; Entezari et al. 2022);
* :func:`align` -- ``model_b`` with its hidden units permuted to match ``model_a``
  (weight or activation matching, Ainsworth et al. 2023);
* :func:`connect` -- a Bezier curve or two-segment chain of low loss between them, its
  bend trained in numba (Garipov et al. 2018);
* :func:`fastnn.plane_through` maps the plane of a curve's three control points.
"""

from fastnn.connectivity._align import Alignment, align
from fastnn.connectivity._curve import Curve, connect
from fastnn.connectivity._path import PathProfile, linear_barrier

__all__ = ["Alignment", "align", "connect", "Curve", "linear_barrier", "PathProfile"]

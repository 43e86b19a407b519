"""Matrix products: matmul/mm and the ``@`` operators (1-d operands, batch broadcasting)."""

from __future__ import annotations

import operator

import numpy as np

import flowkit as flow

from ..core import FLOATS, I64, Case, f64, spec, values

# ============================================================================ matmul
_MM_SHAPES = [
    lambda n, k, m, b, c: ((k,), (k,)),
    lambda n, k, m, b, c: ((k,), (k, m)),
    lambda n, k, m, b, c: ((n, k), (k,)),
    lambda n, k, m, b, c: ((n, k), (k, m)),
    lambda n, k, m, b, c: ((b, n, k), (k, m)),
    lambda n, k, m, b, c: ((n, k), (b, k, m)),
    lambda n, k, m, b, c: ((b, 1, n, k), (c, k, m)),
    lambda n, k, m, b, c: ((k,), (b, k, m)),
    lambda n, k, m, b, c: ((b, n, k), (k,)),
    lambda n, k, m, b, c: ((b, n, k), (b, k, m)),
]


def _register_matmul():
    def mm_b(call):
        def build(d):
            n, k, m, b, c = (d.choice((1, 2, 3, 0, 2)) for _ in range(5))
            sa, sb = d.choice(_MM_SHAPES)(n, k, m, b, c)
            dt = d.choice(FLOATS + (I64,))
            rng = d.rng()
            x, y = values(rng, sa, dt), values(rng, sb, dt)
            return Case(
                call,
                [x, y],
                lambda u, v: (
                    np.matmul(f64(u), f64(v)).astype(dt) if dt.kind == "f" else np.matmul(u, v)
                ),
                label=f"matmul {dt}{sa} {sb}",
            )

        return build

    def mm_invalid(call):
        def build(d):
            kind = d.choice(("shape", "zero_d", "dtype", "numpy"))
            if kind == "numpy":  # a numpy array as an operand: an error naming it and the fix
                m = np.ones((2, 2), np.float32)
                return Case(lambda t: call(t, m), [m], error=flow.ArgumentTypeError)
            if kind == "shape":
                return Case(call, [np.zeros((2, 3)), np.zeros((4, 2))], error=flow.ShapeError)
            if kind == "zero_d":
                return Case(call, [np.zeros(()), np.zeros((2,))], error=flow.ShapeError)
            return Case(
                call, [np.zeros((2, 3), np.float32), np.zeros((3, 2))], error=flow.DTypeError
            )

        return build

    for name, call in (
        ("flowkit.matmul", flow.matmul),
        ("flowkit.mm", flow.mm),
        ("Tensor.matmul", lambda a, b: a.matmul(b)),
        ("Tensor.__matmul__", operator.matmul),
    ):
        spec(name, mm_b(call), True, mm_invalid(call))

    # a flowkit tensor on the right of a non-tensor: Python asks the tensor, which declines
    # (mixing numpy arrays or lists with tensors is refused everywhere)
    def rmatmul_b(d):
        x = values(d.rng(), (2, 2), d.choice(FLOATS))
        return Case(lambda a, b: a.__rmatmul__(b) is NotImplemented, [x, x], lambda a, b: True)

    def rmatmul_invalid(d):
        left = d.choice(([1.0, 2.0], np.array([1.0, 2.0])))
        error = TypeError if isinstance(left, list) else flow.ArgumentTypeError  # (names it)
        return Case(lambda t: left @ t, [np.ones(2)], error=error)

    spec("Tensor.__rmatmul__", rmatmul_b, False, rmatmul_invalid)


_register_matmul()

"""Matrix products: matmul and the ``@`` operators (1-d operands, batch broadcasting); mm, bmm,
dot, outer, addmm, baddbmm, einsum, tensordot, trace, inverse, cross."""

from __future__ import annotations

import operator

import numpy as np

import flowkit as flow

from ..core import F64, FLOATS, I64, Case, f64, method, spec, values

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


# ============================================================================ the other products
def _ref_mm(u, v):
    dt = u.dtype
    return np.matmul(f64(u), f64(v)).astype(dt) if dt.kind == "f" else np.matmul(u, v)


def _register_products():
    M = method

    def fixed_b(call, ndims, label):
        def build(d):
            n, k, m, b = (d.choice((1, 2, 3, 0)) for _ in range(4))
            shapes = {1: ((k,), (k,)), 2: ((n, k), (k, m)), 3: ((b, n, k), (b, k, m))}[ndims]
            dt = d.choice(FLOATS + (I64,))
            rng = d.rng()
            x, y = values(rng, shapes[0], dt), values(rng, shapes[1], dt)
            return Case(call, [x, y], _ref_mm, label=f"{label} {dt}{x.shape} {y.shape}")

        return build

    def fixed_invalid(call, ndims):
        def build(d):
            kind = d.choice(("ndim", "shape", "dtype"))
            good = {1: ((3,), (3,)), 2: ((2, 3), (3, 2)), 3: ((2, 2, 3), (2, 3, 2))}[ndims]
            if kind == "ndim":
                return Case(
                    call, [np.zeros(good[0] + (2,)), np.zeros(good[1])], error=flow.ShapeError
                )
            if kind == "shape":  # the first operand twice: the inner sizes differ
                bad = (2,) if ndims == 1 else good[0]
                return Case(call, [np.zeros(good[0]), np.zeros(bad)], error=flow.ShapeError)
            return Case(
                call, [np.zeros(good[0], np.float32), np.zeros(good[1])], error=flow.DTypeError
            )

        return build

    for ndims, names in (
        (2, (("flowkit.mm", flow.mm), ("Tensor.mm", M("mm")))),
        (3, (("flowkit.bmm", flow.bmm), ("Tensor.bmm", M("bmm")))),
        (1, (("flowkit.dot", flow.dot), ("Tensor.dot", M("dot")))),
    ):
        for name, call in names:
            spec(name, fixed_b(call, ndims, name), True, fixed_invalid(call, ndims))

    def outer_b(call):
        def build(d):
            dt = d.choice(FLOATS + (I64,))
            x = values(d.rng(), (d.choice((0, 1, 2, 3)),), dt)
            y = values(d.rng(), (d.choice((1, 2, 3)),), dt)
            return Case(call, [x, y], lambda u, v: np.multiply.outer(u, v), label=f"outer {dt}")

        return build

    def outer_invalid(call):
        return lambda d: Case(call, [np.zeros((2, 2)), np.zeros(2)], error=flow.ShapeError)

    for name, call in (("flowkit.outer", flow.outer), ("Tensor.outer", M("outer"))):
        spec(name, outer_b(call), True, outer_invalid(call))

    def trace_b(call):
        def build(d):
            dt = d.choice(FLOATS + (I64, np.dtype(np.int32)))
            x = values(d.rng(), (d.choice((0, 1, 2, 3)), d.choice((1, 2, 3))), dt)
            want = dt if dt.kind == "f" else I64
            return Case(
                call, [x], lambda u: np.asarray(np.trace(u), want), label=f"trace {dt}{x.shape}"
            )

        return build

    def trace_invalid(call):
        return lambda d: Case(call, [np.zeros((2, 2, 2))], error=flow.ShapeError)

    for name, call in (("flowkit.trace", flow.trace), ("Tensor.trace", M("trace"))):
        spec(name, trace_b(call), True, trace_invalid(call))

    def addmm_b(call, batched):
        def build(d):
            n, k, m, b = (d.choice((1, 2, 3)) for _ in range(4))
            dt = d.choice(FLOATS)
            rng = d.rng()
            lead = (b,) if batched else ()
            x = values(rng, d.choice((lead + (n, m), (m,), (1, m), (n, 1))), dt)
            y = values(rng, lead + (n, k), dt)
            z = values(rng, lead + (k, m), dt)
            beta, alpha = d.choice((1, 0.5, 0)), d.choice((1, -2.0))
            if beta == 0 and d.bool():
                x = np.full_like(x, np.nan)  # ignored with beta=0

            def ref(u, v, w):
                p = alpha * np.matmul(f64(v), f64(w))
                return (p if beta == 0 else beta * f64(u) + p).astype(dt)

            c = Case(
                lambda u, v, w: call(u, v, w, beta=beta, alpha=alpha),
                [x, y, z],
                ref,
                label=f"{x.shape} {y.shape} {z.shape} beta={beta} alpha={alpha}",
            )
            c.grad = not np.isnan(x).any()
            return c

        return build

    def addmm_invalid(call, batched):
        lead = (2,) if batched else ()
        return lambda d: Case(
            call,
            [np.zeros(lead + (4, 4)), np.zeros(lead + (2, 3)), np.zeros(lead + (3, 2))],
            error=flow.ShapeError,
        )

    for batched, names in (
        (False, (("flowkit.addmm", flow.addmm), ("Tensor.addmm", M("addmm")))),
        (True, (("flowkit.baddbmm", flow.baddbmm), ("Tensor.baddbmm", M("baddbmm")))),
    ):
        for name, call in names:
            spec(name, addmm_b(call, batched), True, addmm_invalid(call, batched))

    def inverse_b(call):
        def build(d):
            n = d.choice((1, 2, 3))
            lead = d.choice(((), (2,), (1, 2)))
            dt = d.choice(FLOATS)
            # well conditioned: the identity plus a small random matrix
            x = (np.eye(n) * 2 + values(d.rng(), lead + (n, n), F64) * 0.3).astype(dt)
            return Case(
                call,
                [x],
                lambda u: np.linalg.inv(f64(u)).astype(dt),
                label=f"inverse {dt}{x.shape}",
            )

        return build

    def inverse_invalid(call):
        def build(d):
            kind = d.choice(("singular", "square", "int"))
            if kind == "singular":
                return Case(call, [np.ones((2, 2))], error=flow.ArgumentValueError)
            if kind == "square":
                return Case(call, [np.ones((2, 3))], error=flow.ShapeError)
            return Case(call, [np.eye(2, dtype=I64)], error=flow.DTypeError)

        return build

    for name, call in (("flowkit.inverse", flow.inverse), ("Tensor.inverse", M("inverse"))):
        spec(name, inverse_b(call), True, inverse_invalid(call))

    def cross_b(call):
        def build(d):
            dt = d.choice(FLOATS + (I64,))
            form = d.choice(("none", "last", "first", "bcast"))
            rng = d.rng()
            if form == "first":
                sa = sb = (3, d.choice((1, 2)))
                dim = 0
            elif form == "bcast":
                sa, sb, dim = (2, 3), (1, 3), -1
            else:
                sa = sb = (d.choice((1, 2, 4)), 3)
                dim = None if form == "none" else -1
            x, y = values(rng, sa, dt), values(rng, sb, dt)
            ax = 1 if dim is None else dim
            return Case(
                lambda u, v: call(u, v, dim) if dim is not None else call(u, v),
                [x, y],
                lambda u, v: np.cross(*np.broadcast_arrays(u, v), axis=ax).astype(dt),
                label=f"cross {dt}{sa} {sb} dim={dim}",
            )

        return build

    def cross_invalid(call):
        def build(d):
            if d.bool():
                return Case(
                    lambda u, v: call(u, v),
                    [np.ones((2, 2)), np.ones((2, 2))],
                    error=flow.ShapeError,
                )
            return Case(
                lambda u, v: call(u, v, 0),
                [np.ones((2, 3)), np.ones((2, 3))],
                error=flow.ShapeError,
            )

        return build

    for name, call in (("flowkit.cross", flow.cross), ("Tensor.cross", M("cross"))):
        spec(name, cross_b(call), True, cross_invalid(call))

    _EINSUMS = [
        ("ij,jk->ik", ((2, 3), (3, 4))),
        ("ij,jk", ((2, 3), (3, 1))),
        ("ii", ((3, 3),)),
        ("ii->i", ((2, 2),)),
        ("ij->j", ((2, 3),)),
        ("ij->ji", ((2, 3),)),
        ("bij,bjk->bik", ((2, 2, 3), (2, 3, 2))),
        ("...ij,...jk->...ik", ((2, 2, 3), (2, 3, 1))),
        ("i,j->ij", ((2,), (3,))),
        ("i,i->", ((3,), (3,))),
        ("ij,jk,kl->il", ((2, 3), (3, 2), (2, 2))),
        ("iij->j", ((2, 2, 3),)),
        ("ij,ij->i", ((2, 3), (2, 3))),
    ]

    def einsum_b(d):
        eq, shapes = d.choice(_EINSUMS)
        dt = d.choice(FLOATS + (I64,))
        rng = d.rng()
        xs = [values(rng, s, dt) for s in shapes]

        def ref(*vs):
            out = np.einsum(eq, *[f64(v) if dt.kind == "f" else v for v in vs])
            return np.asarray(out, dt)

        as_list = d.bool()
        return Case(
            (lambda *ts: flow.einsum(eq, list(ts)))
            if as_list
            else (lambda *ts: flow.einsum(eq, *ts)),
            xs,
            ref,
            label=f"einsum {eq} {dt}",
        )

    def einsum_invalid(d):
        kind = d.choice(("count", "size", "letter", "dtype"))
        if kind == "count":
            return Case(
                lambda a: flow.einsum("ij,jk->ik", a),
                [np.ones((2, 2))],
                error=flow.ArgumentValueError,
            )
        if kind == "size":
            return Case(
                lambda a, b: flow.einsum("ij,jk->ik", a, b),
                [np.ones((2, 3)), np.ones((2, 3))],
                error=flow.ShapeError,
            )
        if kind == "letter":
            return Case(
                lambda a: flow.einsum("i1->i", a), [np.ones((2, 2))], error=flow.ArgumentValueError
            )
        return Case(
            lambda a, b: flow.einsum("i,i->", a, b),
            [np.ones(2, np.float32), np.ones(2)],
            error=flow.DTypeError,
        )

    spec("flowkit.einsum", einsum_b, True, einsum_invalid)

    def tensordot_b(d):
        form = d.choice((0, 1, 2, "pair"))
        dt = d.choice(FLOATS)
        rng = d.rng()
        if form == "pair":
            x, y = values(rng, (2, 3), dt), values(rng, (4, 2), dt)
            dims = ([0], [1])
            axes = ([0], [1])
        else:
            x, y = values(rng, (2, 3, 2), dt), values(rng, (3, 2, 2), dt)
            if form == 1:
                x, y = values(rng, (2, 3), dt), values(rng, (3, 2), dt)
            dims = axes = form
        return Case(
            lambda a, b: flow.tensordot(a, b, dims),
            [x, y],
            lambda u, v: np.tensordot(f64(u), f64(v), axes).astype(dt),
            label=f"tensordot {x.shape} {y.shape} dims={dims}",
        )

    def tensordot_invalid(d):
        if d.bool():
            return Case(
                lambda a, b: flow.tensordot(a, b, 3),
                [np.ones((2, 2)), np.ones((2, 2))],
                error=flow.ArgumentValueError,
            )
        return Case(
            lambda a, b: flow.tensordot(a, b, 1),
            [np.ones((2, 3)), np.ones((2, 2))],
            error=flow.ShapeError,
        )

    spec("flowkit.tensordot", tensordot_b, True, tensordot_invalid)


_register_products()

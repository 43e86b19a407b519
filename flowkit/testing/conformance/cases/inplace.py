"""In-place arithmetic: ``add_``/``sub_``/``mul_``/``div_`` and the augmented assignments
(results keep the tensor's dtype), ``fill_``, ``zero_``, ``copy_``."""

from __future__ import annotations

import operator

import numpy as np

import flowkit as flow

from ..core import ALL, BOOL, FLOATS, I64, NUM, Case, _kind, shape, spec, values
from .elementwise import ref_binary

# ============================================================================ in-place arithmetic
_INPLACE = {
    "add_": "add",
    "sub_": "sub",
    "mul_": "mul",
    "div_": "div",
    "__iadd__": "add",
    "__isub__": "sub",
    "__imul__": "mul",
    "__itruediv__": "div",
}
_IOP = {
    "__iadd__": operator.iadd,
    "__isub__": operator.isub,
    "__imul__": operator.imul,
    "__itruediv__": operator.itruediv,
}


def _inplace_ref(op, x, other, alpha=None):
    """The result written back into ``x``: PyTorch computes in the promoted dtype and casts to
    ``x``'s (an int tensor cannot take a float result)."""
    if alpha is not None:
        other = ref_binary("mul", other, alpha)
    return ref_binary(op, x, other).astype(x.dtype)


def _register_inplace():
    for name, op in _INPLACE.items():

        def build(d, name=name, op=op):
            rng = d.rng()
            dx = d.choice(FLOATS) if op == "div" else d.choice(NUM)
            sx = shape(d)
            form = d.choice(("tensor", "tensor", "number"))
            alpha = d.choice((None, 2, 0.5)) if name in ("add_", "sub_") else None
            if alpha == 0.5 and dx.kind != "f":
                alpha = 2

            def call(t, o):
                y = t.clone()
                if name in _IOP:
                    r = _IOP[name](y, o)
                else:
                    r = getattr(y, name)(o) if alpha is None else getattr(y, name)(o, alpha=alpha)
                assert r is y, "an in-place op returns the tensor itself"
                return y

            if form == "number":
                s = d.choice((2, -1, 0.5)) if dx.kind == "f" else d.choice((2, -1, True))
                if op == "sub" and s is True:
                    s = 1  # a bool number subtracted is an error: see invalid below
                x = values(rng, sx, dx)
                return Case(
                    lambda t: call(t, s),
                    [x],
                    lambda v: _inplace_ref(op, v, s, alpha),
                    label=f"{name} {dx}{sx} {s!r} alpha={alpha}",
                )
            k = d.int(0, len(sx))
            so = tuple(1 if d.bool() else z for z in sx[k:])  # broadcasts to x's shape
            do = dx if d.int(0, 2) else d.choice([t for t in NUM if _kind(t) <= _kind(dx)])
            x = values(rng, sx, dx)
            o = values(rng, so, do, "nonzero" if op == "div" else "any")
            return Case(
                lambda t, u: call(t, u),
                [x, o],
                lambda v, u: _inplace_ref(op, v, u, alpha),
                label=f"{name} {dx}{sx} {do}{so} alpha={alpha}",
            )

        def invalid(d, name=name, op=op):
            def call(t, o):
                y = t.clone()
                return _IOP[name](y, o) if name in _IOP else getattr(y, name)(o)

            if op == "sub" and d.int(0, 2) == 0:  # a bool operand, as in PyTorch
                if d.bool():
                    return Case(
                        lambda t: call(t, True),
                        [values(d.rng(), (3,), d.choice(ALL))],
                        error=flow.DTypeError,
                    )
                bad = [values(d.rng(), (3,), d.choice(ALL)), values(d.rng(), (3,), BOOL)]
                return Case(call, bad[::-1] if d.bool() else bad, error=flow.DTypeError)
            if d.bool():  # the result cannot grow the tensor
                return Case(
                    call,
                    [np.zeros((3,), np.float32), np.zeros((2, 3), np.float32)],
                    error=flow.ShapeError,
                )
            # nor change its dtype kind: float results into an int tensor
            return Case(
                call, [np.ones((3,), I64), np.full((3,), 1.5, np.float32)], error=flow.DTypeError
            )

        spec(f"Tensor.{name}", build, True, invalid)

    def fill_b(name):
        def build(d):
            dt = d.choice(ALL)
            x = values(d.rng(), shape(d), dt)
            v = d.choice((1.5, -2, True, 0)) if dt.kind == "f" else d.choice((3, -1, True, 0))
            if dt.kind == "b":
                v = d.choice((True, False, 1))

            def fn(t):
                y = t.clone() if t.requires_grad else t
                with flow.no_grad():
                    r = y.zero_() if name == "zero_" else y.fill_(v)
                assert r is y
                return y

            val = 0 if name == "zero_" else v
            return Case(fn, [x], lambda a: np.full(a.shape, val).astype(a.dtype))

        return build

    spec("Tensor.fill_", fill_b("fill_"))
    spec("Tensor.zero_", fill_b("zero_"))

    def copy_b(d):
        rng = d.rng()
        sx = shape(d)
        k = d.int(0, len(sx))
        ss = tuple(1 if d.bool() else z for z in sx[k:])
        dx, ds = d.choice(ALL), d.choice(ALL)
        x, src = values(rng, sx, dx, "nonneg"), values(rng, ss, ds, "nonneg")

        def fn(t, s):
            with flow.no_grad():
                r = t.copy_(s)
            assert r is t
            return t

        return Case(
            fn,
            [x, src],
            lambda a, b: np.broadcast_to(b, a.shape).astype(a.dtype),
            label=f"copy_ {dx}{sx} <- {ds}{ss}",
        )

    spec(
        "Tensor.copy_",
        copy_b,
        False,
        lambda d: Case(
            lambda t, s: t.copy_(s), [np.zeros((2, 3)), np.zeros((4,))], error=flow.ShapeError
        ),
    )


_register_inplace()


# ======================================================================= clamp_min_, clamp_max_
def _clamp_one_inplace(which: str):
    """``x.clamp_min_(bound)`` / ``x.clamp_max_(bound)``: the result keeps ``x``'s dtype; the
    bound is a number or a tensor that broadcasts to ``x``'s shape."""
    from ..core import bcast_pair

    name = f"clamp_{which}_"

    def call(t, b):
        y = t.clone()
        r = getattr(y, name)(b)
        assert r is y
        return y

    def ref(v, b):
        return ref_binary("maximum" if which == "min" else "minimum", v, b).astype(v.dtype)

    def build(d):
        rng = d.rng()
        dt = d.choice(NUM)
        if d.bool():
            b = d.choice((-0.5, 0.7, 1, -1) if dt.kind == "f" else (-1, 1, 2))
            x = values(rng, shape(d), dt)
            return Case(lambda t: call(t, b), [x], lambda v: ref(v, b), label=f"{dt} {b!r}")
        sa, sb = bcast_pair(d)
        sb = sa[len(sa) - len(sb) :] if len(sb) <= len(sa) else sa
        return Case(call, [values(rng, sa, dt), values(rng, sb, dt)], ref, label=f"{dt}{sa} {sb}")

    def invalid(d):
        return Case(lambda t: call(t, 0), [np.array([True, False])], error=flow.DTypeError)

    spec(f"Tensor.{name}", build, True, invalid)


for _which in ("min", "max"):
    _clamp_one_inplace(_which)

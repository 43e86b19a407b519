"""Casts and queries: ``to``/``float``/``double``/``type``/``type_as``, ``size``/``dim``/``numel``,
``item``/``tolist``, the Python number and sequence protocols, ``is_tensor``, ``allclose``."""

from __future__ import annotations

import operator

import numpy as np

import flowkit as flow

from ..core import (
    ALL,
    BOOL,
    F16,
    F32,
    F64,
    FLOATS,
    I8,
    I16,
    I32,
    I64,
    INTS,
    U8,
    Case,
    bcast_pair,
    edge,
    shape,
    spec,
    values,
)

# ============================================================================ casts and queries
_CASTS = {"float": F32, "double": F64, "half": F16, "int": I32, "long": I64, "bool": BOOL}


def _register_casts():
    def cast_b(make):
        def build(d):
            src = d.choice(ALL + (U8, F16))
            x = values(d.rng(), shape(d), src, "nonneg" if d.bool() else "any")
            if src.kind == "f":
                x = np.where(np.abs(x) < 1e-3, 0.5, x).astype(src)
            fn, want, label = make(d)
            # float64 -> float32/float16: linear up to the rounding, so a wide step keeps the
            # finite differences exact up to rounding / step
            step = {F32: (0.1, 1e-4), F16: (0.25, 3e-2)}.get(want, (1e-6, 1e-5))

            def ref(v):
                if want.kind in "iu" and v.dtype.kind == "f":
                    return np.trunc(v).astype(want)  # toward zero, as C casts
                return v.astype(want)

            if want == U8:
                x = np.abs(x)
            return Case(
                fn,
                [x],
                ref,
                fd_eps=step[0],
                fd_rtol=step[1],
                fd_atol=step[1],
                label=f"{label} {src}{x.shape} -> {want}",
            )

        return build

    for name, want in _CASTS.items():
        spec(
            f"Tensor.{name}",
            cast_b(lambda d, name=name, want=want: (lambda t: getattr(t, name)(), want, name)),
            True,
        )

    targets = [
        ("float32", F32),
        ("float64", F64),
        ("int64", I64),
        ("int32", I32),
        ("bool", BOOL),
        ("uint8", U8),
        ("int8", I8),
        ("int16", I16),
        ("float16", F16),
    ]

    def to_make(d):
        tname, want = d.choice(targets)
        fdt = getattr(flow, tname)
        form = d.choice(("pos", "kw", "name", "tensor", "device_and_dtype"))
        if form == "pos":
            return (lambda t: t.to(fdt)), want, f"to({tname})"
        if form == "kw":
            return (lambda t: t.to(dtype=fdt)), want, f"to(dtype={tname})"
        if form == "name":
            return (lambda t: t.to(dtype=tname)), want, f"to(dtype='{tname}')"
        if form == "tensor":
            return (lambda t: t.to(flow.zeros(1, dtype=fdt))), want, f"to(<{tname} tensor>)"
        return (lambda t: t.to("cpu", fdt)), want, f"to('cpu', {tname})"

    spec("Tensor.to", cast_b(to_make), True)

    def type_make(d):
        tname, want = d.choice(targets)
        names = {
            "float32": "FloatTensor",
            "float64": "DoubleTensor",
            "int64": "LongTensor",
            "int32": "IntTensor",
            "bool": "BoolTensor",
            "uint8": "ByteTensor",
            "int8": "CharTensor",
            "int16": "ShortTensor",
            "float16": "HalfTensor",
        }
        if d.bool():
            return (lambda t: t.type(getattr(flow, tname))), want, f"type({tname})"
        return (lambda t: t.type("flowkit." + names[tname])), want, f"type('{names[tname]}')"

    spec("Tensor.type", cast_b(type_make), True)

    def type_as_make(d):
        tname, want = d.choice(targets)
        return (
            (lambda t: t.type_as(flow.zeros(2, dtype=getattr(flow, tname)))),
            want,
            f"type_as({tname})",
        )

    spec("Tensor.type_as", cast_b(type_as_make), True)

    def type_name_b(d):
        dt = d.choice(ALL + (U8, I8, I16, F16))
        names = {
            "float32": "FloatTensor",
            "float64": "DoubleTensor",
            "int64": "LongTensor",
            "int32": "IntTensor",
            "bool": "BoolTensor",
            "uint8": "ByteTensor",
            "int8": "CharTensor",
            "int16": "ShortTensor",
            "float16": "HalfTensor",
        }
        x = values(d.rng(), shape(d), dt)
        return Case(lambda t: t.type(), [x], lambda v: "flowkit." + names[v.dtype.name])

    spec("Tensor.type[name]", type_name_b)

    # queries: Python values
    def query(fn, ref, dts=ALL, shp=None):
        def build(d):
            x = values(d.rng(), shp(d) if shp else shape(d), d.choice(dts))
            return Case(fn, [x], ref, label=f"{x.dtype}{x.shape}")

        return build

    one = lambda d: d.choice(((), (1,), (1, 1)))  # noqa: E731
    nonscalar = lambda d: shape(d, 1, 3, zero=True)  # noqa: E731
    spec(
        "Tensor.size",
        query(
            lambda t: (t.size(), [t.size(i) for i in range(-t.dim(), t.dim())]),
            lambda v: (list(v.shape), [v.shape[i] for i in range(-v.ndim, v.ndim)]),
        ),
    )
    spec("Tensor.dim", query(lambda t: t.dim(), lambda v: v.ndim))
    spec("Tensor.numel", query(lambda t: t.numel(), lambda v: int(v.size)))
    spec("Tensor.nelement", query(lambda t: t.nelement(), lambda v: int(v.size)))
    spec("flowkit.numel", query(flow.numel, lambda v: int(v.size)))
    spec(
        "Tensor.element_size",
        query(lambda t: t.element_size(), lambda v: v.itemsize, ALL + (U8, I8, I16, F16)),
    )
    spec(
        "Tensor.is_floating_point",
        query(lambda t: t.is_floating_point(), lambda v: v.dtype.kind == "f", ALL + (F16,)),
    )
    spec(
        "Tensor.item",
        query(lambda t: t.item(), lambda v: v.item(), ALL, one),
        invalid=lambda d: Case(lambda t: t.item(), [np.zeros((2,))], error=flow.ShapeError),
    )
    spec("Tensor.tolist", query(lambda t: t.tolist(), lambda v: v.tolist()))
    spec(
        "Tensor.__float__",
        query(float, lambda v: float(v.item()), ALL, one),
        invalid=lambda d: Case(float, [np.zeros((2,))], error=flow.ShapeError),
    )
    spec(
        "Tensor.__int__",
        query(int, lambda v: int(v.item()), ALL, one),
        invalid=lambda d: Case(int, [np.zeros((3,))], error=flow.ShapeError),
    )
    spec(
        "Tensor.__bool__",
        query(bool, lambda v: bool(v.item()), ALL, one),
        invalid=lambda d: Case(bool, [np.zeros((2,))], error=flow.FlowkitError),
    )
    spec(
        "Tensor.__index__",
        query(operator.index, lambda v: int(v.item()), INTS + (U8,), one),
        invalid=lambda d: Case(operator.index, [np.zeros(())], error=TypeError),
    )
    spec(
        "Tensor.__len__",
        query(len, lambda v: v.shape[0], ALL, nonscalar),
        invalid=lambda d: Case(len, [np.zeros(())], error=TypeError),
    )
    spec(
        "Tensor.__iter__",
        query(lambda t: [r.tolist() for r in t], lambda v: list(v.tolist()), ALL, nonscalar),
        invalid=lambda d: Case(lambda t: list(t), [np.zeros(())], error=TypeError),
    )
    spec(
        "flowkit.is_tensor",
        lambda d: Case(
            lambda t: (flow.is_tensor(t), flow.is_tensor(t.numpy()), flow.is_tensor([1.0])),
            [values(d.rng(), shape(d), d.choice(ALL))],
            lambda v: (True, False, False),
        ),
    )

    def allclose_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        sa, sb = bcast_pair(d)
        a = values(rng, sa, dt)
        close = d.bool()
        b = (
            (
                np.broadcast_to(a, np.broadcast_shapes(sa, sb)) * (1 + (1e-7 if close else 1e-2))
            ).astype(dt)
            if d.bool()
            else values(rng, sb, dt)
        )
        kw = d.choice(({}, {"rtol": 1e-3}, {"atol": 0.5}, {"rtol": 0.0, "atol": 0.0}))
        return Case(
            lambda x, y: flow.allclose(x, y, **kw),
            [a, b],
            lambda x, y: bool(np.allclose(x, y, **kw)),
            label=f"{sa} {sb} {kw}",
        )

    spec("flowkit.allclose", allclose_b)


_register_casts()

edge("int.sub_bool_number", lambda x: x - True, np.array([1, 2]))
edge("int.isub_bool_number", lambda x: x.clone().sub_(True), np.array([1, 2]))
edge("int.rsub_bool_number", lambda x: True - x, np.array([1, 2]))
edge("float.sub_bool_tensor", lambda x, y: x - y, np.array([1.5, 2.0]), np.array([True, False]))

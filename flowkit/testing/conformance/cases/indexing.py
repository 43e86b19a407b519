"""Indexing and selection: ``__getitem__``/``__setitem__`` (basic, advanced and boolean
indices), masked_fill, where, and clamp/clip with number or tensor bounds."""

from __future__ import annotations

import numpy as np

import flowkit as flow

from ..core import (
    ALL,
    F32,
    FLOATS,
    I64,
    NUM,
    Case,
    Draw,
    as_dt,
    bcast_pair,
    method,
    result_dtype,
    shape,
    spec,
    values,
)


# ============================================================================ indexing, selection
def _index(d: Draw, rng, shp, repeats: bool):
    """An index for a tensor of ``shp`` (first dimension non-empty): (numpy key, index arrays
    passed as tensors, make(tensors) -> flowkit key)."""
    n0, nd = shp[0], len(shp)
    kinds = [
        "int",
        "slice",
        "slice",
        "mask",
        "mask_rows",
        "int_tensor",
        "list",
        "zero_d",
        "ellipsis",
        "none",
    ]
    if nd >= 2:
        kinds += ["tuple", "tuple_rev", "pair_tensors", "slice_int_tensor"]
    kind = d.choice(kinds)
    if kind == "int":
        i = d.int(-n0, n0 - 1)
        return i, [], lambda: i
    if kind == "slice":
        step = d.choice((None, 1, 2, -1, -2))
        start = d.choice((None, d.int(-n0, n0 - 1)))
        stop = d.choice((None, d.int(-n0 - 1, n0)))
        sl = slice(start, stop, step)
        return sl, [], lambda: sl
    if kind == "ellipsis":
        last = d.int(-shp[-1], shp[-1] - 1) if shp[-1] else slice(None)
        return (Ellipsis, last), [], lambda: (Ellipsis, last)
    if kind == "none":
        return (None, slice(None, None, 2)), [], lambda: (None, slice(None, None, 2))
    if kind in ("tuple", "tuple_rev"):
        col = d.int(-shp[1], shp[1] - 1) if shp[1] else slice(None)
        key = (slice(None), col) if kind == "tuple" else (d.int(-n0, n0 - 1), slice(None, None, -1))
        return key, [], lambda: key
    if kind in ("mask", "mask_rows"):
        m = np.asarray(rng.random(shp if kind == "mask" else shp[:1]) < 0.5)
        return m, [m], lambda mt: mt
    if kind == "zero_d":
        i0 = np.asarray(d.int(-n0, n0 - 1), I64)
        return int(i0), [i0], lambda it: it
    size = d.int(1, 4)
    if repeats:
        idx = rng.integers(-n0, n0, size)
    else:
        idx = rng.permutation(n0)[:size]
    if kind == "list":
        lst = [int(i) for i in idx]
        return lst, [], lambda: lst
    if kind == "pair_tensors":
        cols = rng.integers(0, shp[1], idx.shape) if shp[1] else np.zeros(0, I64)
        if not shp[1]:
            idx = idx[:0]
        return (idx, cols), [idx, cols], lambda it, jt: (it, jt)
    if kind == "slice_int_tensor":
        cols = rng.integers(0, shp[1], 2) if shp[1] else np.zeros(0, I64)
        if not repeats and shp[1]:
            cols = rng.permutation(shp[1])[:2]
        return (slice(None), cols), [cols], lambda jt: (slice(None), jt)
    return idx, [idx], lambda it: it


def _register_indexing():
    def getitem_b(d):
        rng = d.rng()
        shp = (d.choice((1, 2, 3)),) + shape(d, 0, 2)
        x = values(rng, shp, d.choice(ALL))
        key, idx_arrays, make = _index(d, rng, shp, repeats=True)
        return Case(
            lambda t, *ix: t[make(*ix)],
            [x] + idx_arrays,
            lambda v, *ix: np.asarray(v[key]).copy(),
            label=f"{x.shape}[{key!r}]",
        )

    def getitem_invalid(d):
        x = values(d.rng(), (2, 3), F32)
        key = d.choice((5, (0, 7), (0, 0, 0)))
        return Case(lambda t: t[key], [x], error=IndexError)

    spec("Tensor.__getitem__", getitem_b, True, getitem_invalid)

    def setitem_b(d):
        rng = d.rng()
        shp = (d.choice((1, 2, 3)),) + shape(d, 0, 2)
        dt = d.choice(ALL)
        x = values(rng, shp, dt)
        key, idx_arrays, make = _index(d, rng, shp, repeats=False)
        slot = np.asarray(x[key]).shape
        vkind = d.choice(("number", "zero_d", "full", "broadcast"))
        vdt = dt if d.int(0, 2) else d.choice(ALL)
        if vkind == "number":
            s = d.choice((0.25, -2, True)) if dt.kind == "f" else d.choice((3, -2, True))
            if dt.kind == "b":
                s = d.choice((True, False))

            def fn(t, *ix):
                y = t.clone()
                y[make(*ix)] = s
                return y * 1 if dt.kind == "f" else y

            def ref(v, *ix):
                y = v.copy()
                y[key] = s
                return y

            return Case(fn, [x] + idx_arrays, ref, label=f"{x.shape}[{key!r}] = {s!r}")
        vshape = {"zero_d": (), "full": slot, "broadcast": slot[-1:]}[vkind]
        val = values(rng, vshape, vdt)

        def fn(t, *rest):
            *ix, v = rest
            y = t.clone()
            y[make(*ix)] = v
            return y

        def ref(v, *rest):
            *ix, val = rest
            y = v.copy()
            y[key] = val.astype(y.dtype)
            return y

        return Case(fn, [x] + idx_arrays + [val], ref, label=f"{x.shape}[{key!r}] = {vdt}{vshape}")

    def setitem_invalid(d):
        x = values(d.rng(), (2, 3), F32)

        def fn(t, v):
            t[0] = v
            return t

        return Case(fn, [x, np.zeros((4,), np.float32)], error=flow.ShapeError)

    spec("Tensor.__setitem__", setitem_b, True, setitem_invalid)

    # masked_fill: a bool mask broadcast to the tensor, a number or 0-d tensor value
    def masked_fill_b(name, inplace=False):
        def build(d):
            rng = d.rng()
            dt = d.choice(ALL)
            x = values(rng, shape(d), dt)
            mshape = d.choice((x.shape, x.shape[-1:], ()))
            m = np.asarray(rng.random(mshape) < 0.5)
            vkind = d.choice(("number", "tensor"))

            def call(t, mt, v):
                if name == "flowkit":
                    return flow.masked_fill(t, mt, v)
                if inplace:
                    y = t.clone()
                    r = y.masked_fill_(mt, v)
                    assert r is y
                    return y
                return t.masked_fill(mt, v)

            if vkind == "number":
                s = d.choice((0.25, -3, True, 2.7))
                return Case(
                    lambda t, mt: call(t, mt, s),
                    [x, m],
                    lambda v, mm: np.where(mm, np.asarray(s).astype(v.dtype), v),
                    label=f"masked_fill {x.dtype}{x.shape} {mshape} {s!r}",
                )
            val = values(rng, (), d.choice(FLOATS) if dt.kind == "f" else dt)
            return Case(
                lambda t, mt, vt: call(t, mt, vt),
                [x, m, val],
                lambda v, mm, vv: np.where(mm, vv.astype(v.dtype), v),
                label=f"masked_fill {x.dtype}{x.shape} {mshape} tensor",
            )

        return build

    def masked_fill_invalid(call):
        def build(d):
            kind = d.choice(("mask_dtype", "mask_shape", "value_shape"))
            x = values(d.rng(), (2, 3), F32)
            if kind == "mask_dtype":
                return Case(
                    lambda t, m: call(t, m, 1.0), [x, np.ones((2, 3), I64)], error=flow.DTypeError
                )
            if kind == "mask_shape":
                return Case(
                    lambda t, m: call(t, m, 1.0), [x, np.ones((4,), bool)], error=flow.ShapeError
                )
            return Case(
                lambda t, m, v: call(t, m, v),
                [x, np.ones((2, 3), bool), np.ones(2, np.float32)],
                error=flow.ShapeError,
            )

        return build

    spec(
        "flowkit.masked_fill", masked_fill_b("flowkit"), True, masked_fill_invalid(flow.masked_fill)
    )
    spec(
        "Tensor.masked_fill",
        masked_fill_b("method"),
        True,
        masked_fill_invalid(lambda t, m, v: t.masked_fill(m, v)),
    )
    spec(
        "Tensor.masked_fill_",
        masked_fill_b("method", True),
        True,
        masked_fill_invalid(lambda t, m, v: t.clone().masked_fill_(m, v)),
    )

    # where(condition, x, y): tensors or numbers, all three broadcast together
    def where_b(method):
        def build(d):
            rng = d.rng()
            sa, sb = bcast_pair(d)
            out = np.broadcast_shapes(sa, sb)
            cshape = d.choice((out, out[-1:], (), sa))
            c = np.asarray(rng.random(cshape) < 0.5)
            form = d.choice(("tt", "tt", "ts", "st") if not method else ("tt", "ts"))
            da = d.choice(ALL)
            db = da if d.int(0, 2) else d.choice(ALL)
            a, b = values(rng, sa, da), values(rng, sb, db)
            s = d.choice((0.5, -2, True))

            def rf(cc, x, y):
                rt = result_dtype(x, y)
                return np.where(cc, as_dt(x, rt), as_dt(y, rt))

            if method:
                if form == "ts":
                    return Case(
                        lambda x, ct: x.where(ct, s),
                        [a, c],
                        lambda x, cc: rf(cc, x, s),
                        label=f"where method {s!r}",
                    )
                return Case(
                    lambda x, ct, y: x.where(ct, y),
                    [a, c, b],
                    lambda x, cc, y: rf(cc, x, y),
                    label=f"where {sa} {sb} {cshape}",
                )
            if form == "ts":
                return Case(
                    lambda ct, x: flow.where(ct, x, s),
                    [c, a],
                    lambda cc, x: rf(cc, x, s),
                    label=f"where t {s!r}",
                )
            if form == "st":
                return Case(
                    lambda ct, y: flow.where(ct, s, y),
                    [c, b],
                    lambda cc, y: rf(cc, s, y),
                    label=f"where {s!r} t",
                )
            return Case(
                lambda ct, x, y: flow.where(ct, x, y),
                [c, a, b],
                lambda cc, x, y: rf(cc, x, y),
                label=f"where {cshape} {da}{sa} {db}{sb}",
            )

        return build

    def where_invalid(method):
        def build(d):
            x = values(d.rng(), (2, 3), F32)
            if d.bool():  # a condition that is not a tensor (a non-bool tensor is fine)
                if method:
                    return Case(lambda t: t.where([True, False], 0.0), [x], error=TypeError)
                return Case(lambda t: flow.where([True, False], t, 0.0), [x], error=TypeError)
            else:
                c = np.ones((4,), bool)
                err = flow.ShapeError
            if method:
                return Case(lambda ct, t: t.where(ct, 0.0), [c, x], error=err)
            return Case(lambda ct, t: flow.where(ct, t, 0.0), [c, x], error=err)

        return build

    spec("flowkit.where", where_b(False), True, where_invalid(False))
    spec("Tensor.where", where_b(True), True, where_invalid(True))

    # clamp / clip: numbers or tensors for min and max (either may be left out)
    def clamp_b(call, inplace=False):
        def build(d):
            rng = d.rng()
            sa, sb = bcast_pair(d)
            if inplace:
                sb = sa[len(sa) - len(sb) :] if len(sb) <= len(sa) else sa
            dt = d.choice(NUM)
            x = values(rng, sa, dt)
            kind = d.choice(("both", "min", "max", "tensors", "tensor_min", "tensor_max"))
            nums = (-0.5, 0.7, 1, -1) if not inplace or dt.kind == "f" else (-1, 1, 2)
            lo, hi = d.choice(nums), d.choice(nums)

            def ref(v, lo_, hi_):
                ops = [v] + [b for b in (lo_, hi_) if b is not None]
                rt = result_dtype(*ops)
                out = as_dt(v, rt)
                if lo_ is not None:
                    out = np.maximum(out, as_dt(lo_, rt))
                if hi_ is not None:
                    out = np.minimum(out, as_dt(hi_, rt))
                return out.astype(v.dtype) if inplace else out

            label = f"clamp {kind} {dt}{sa} {sb}"
            if kind == "both":
                return Case(
                    lambda t: call(t, lo, hi),
                    [x],
                    lambda v: ref(v, lo, hi),
                    label=label + f" {lo} {hi}",
                )
            if kind == "min":
                return Case(
                    lambda t: call(t, min=lo),
                    [x],
                    lambda v: ref(v, lo, None),
                    label=label + f" {lo}",
                )
            if kind == "max":
                return Case(
                    lambda t: call(t, max=hi),
                    [x],
                    lambda v: ref(v, None, hi),
                    label=label + f" {hi}",
                )
            bdt = dt if inplace or d.int(0, 2) else d.choice(NUM)
            lo_a = (values(rng, sb, bdt) - (1 if bdt.kind != "f" else 0.5)).astype(bdt)
            hi_a = (values(rng, sb, bdt) + (1 if bdt.kind != "f" else 0.5)).astype(bdt)
            if kind == "tensor_min":
                return Case(
                    lambda t, m: call(t, min=m),
                    [x, lo_a],
                    lambda v, m: ref(v, m, None),
                    label=label,
                )
            if kind == "tensor_max":
                return Case(
                    lambda t, m: call(t, None, m),
                    [x, hi_a],
                    lambda v, m: ref(v, None, m),
                    label=label,
                )
            # bounds may cross (min > max): max wins, as in PyTorch
            return Case(
                lambda t, m, h: call(t, m, h),
                [x, lo_a, hi_a],
                lambda v, m, h: ref(v, m, h),
                label=label,
            )

        return build

    def clamp_invalid(call):
        def build(d):
            kind = d.choice(("none", "bool", "shape"))
            if kind == "none":
                return Case(lambda t: call(t), [values(d.rng(), (2,), F32)], error=ValueError)
            if kind == "bool":
                return Case(
                    lambda t: call(t, 0, 1), [np.array([True, False])], error=flow.DTypeError
                )
            return Case(
                lambda t, m: call(t, m),
                [np.zeros((2, 3), np.float32), np.zeros((4,), np.float32)],
                error=flow.ShapeError,
            )

        return build

    def inplace_call(name):
        def call(t, *a, **k):
            y = t.clone()
            r = getattr(y, name)(*a, **k)
            assert r is y
            return y

        return call

    for name in ("clamp", "clip"):
        spec(
            f"flowkit.{name}",
            clamp_b(getattr(flow, name)),
            True,
            clamp_invalid(getattr(flow, name)),
        )
        m = method(name)
        spec(f"Tensor.{name}", clamp_b(m), True, clamp_invalid(m))
        spec(
            f"Tensor.{name}_",
            clamp_b(inplace_call(name + "_"), True),
            True,
            clamp_invalid(inplace_call(name + "_")),
        )


_register_indexing()


# ============================================================================ gather, scatter...
def _np_scatter_key(ishape, dim, idx):
    nd = len(ishape)
    return tuple(
        idx if i == dim else np.arange(ishape[i]).reshape([-1 if j == i else 1 for j in range(nd)])
        for i in range(nd)
    )


def _pair(name, method_name=None):
    m = method_name or name
    return (
        (f"flowkit.{name}", getattr(flow, name)),
        (f"Tensor.{m}", lambda t, *a, **k: getattr(t, m)(*a, **k)),
    )


def _register_gather_scatter():  # noqa: C901 - one builder per op
    def idx_shape(d, xs, dim, extra=()):
        # an index no larger than the tensor (and ``extra`` shapes) outside ``dim``
        out = []
        for i, n in enumerate(xs):
            if i == dim:
                out.append(d.int(1, 3))
            else:
                lim = min([n] + [e[i] for e in extra])
                out.append(d.int(1, lim) if lim else 0)
        return tuple(out)

    def gather_b(call):
        def build(d):
            xs = shape(d, 1, 3, zero=False)
            x = values(d.rng(), xs, d.choice(ALL))
            dim = d.int(-x.ndim, x.ndim - 1)
            ds = dim % x.ndim
            ish = idx_shape(d, xs, ds)
            idx = d.rng().integers(0, xs[ds], ish)
            key = _np_scatter_key(ish, ds, idx)
            return Case(
                lambda t: call(t, dim, flow.tensor(idx)),
                [x],
                lambda v: v[key],
                label=f"gather {xs} {dim} {idx.tolist()}",
            )

        return build

    def gather_invalid(call):
        def build(d):
            kind = d.choice(("range", "ndim", "dtype"))
            x = values(d.rng(), (2, 3), F32)
            if kind == "range":
                return Case(lambda t: call(t, 1, flow.tensor([[3]])), [x], error=IndexError)
            if kind == "ndim":
                return Case(lambda t: call(t, 1, flow.tensor([0])), [x], error=flow.ShapeError)
            return Case(lambda t: call(t, 1, flow.tensor([[0.0]])), [x], error=flow.DTypeError)

        return build

    for name, call in _pair("gather"):
        spec(name, gather_b(call), True, gather_invalid(call))

    def scatter_b(call, add=False, inplace=False):
        def build(d):
            xs = shape(d, 1, 3, zero=False)
            dt = d.choice(NUM)
            x = values(d.rng(), xs, dt)
            dim = d.int(-x.ndim, x.ndim - 1)
            ds = dim % x.ndim
            ss = tuple(n + d.int(0, 1) if i != ds else d.int(1, 3) for i, n in enumerate(xs))
            ish = idx_shape(d, xs, ds, (ss,))
            ish = tuple(min(a, b) if i == ds else a for i, (a, b) in enumerate(zip(ish, ss)))
            rng = d.rng()
            if add:
                idx = rng.integers(0, xs[ds], ish)
            else:  # distinct positions along dim: which write wins is unspecified
                idx = np.argsort(rng.random(ish[:ds] + (xs[ds],) + ish[ds + 1 :]), axis=ds)
                idx = np.take(idx, np.arange(min(ish[ds], xs[ds])), axis=ds)
                ish = idx.shape
            src = values(rng, ss, dt)
            key = _np_scatter_key(ish, ds, idx)
            part = tuple(slice(0, n) for n in ish)
            number = not add and d.bool()
            val = 2.5 if dt.kind == "f" else 3

            def ref(v, s):
                out = v.copy()
                if add:
                    np.add.at(out, key, s[part])
                else:
                    out[key] = val if number else s[part]
                return out

            def fn(t, s):
                ix = flow.tensor(idx)
                if inplace:
                    y = t.clone()
                    r = call(y, dim, ix, val if number else s)
                    assert r is y
                    return y
                return call(t, dim, ix, val if number else s)

            return Case(fn, [x, src], ref, label=f"scatter {xs} {dim} {idx.tolist()} {ss}")

        return build

    def scatter_invalid(call):
        def build(d):
            kind = d.choice(("range", "dtype", "size"))
            x = values(d.rng(), (2, 3), F32)
            if kind == "range":
                return Case(
                    lambda t, s: call(t, 0, flow.tensor([[2]]), s), [x, x], error=IndexError
                )
            if kind == "dtype":
                return Case(
                    lambda t: call(t, 0, flow.tensor([[0]]), flow.tensor([[1]])),
                    [x],
                    error=flow.DTypeError,
                )
            return Case(
                lambda t, s: call(t, 0, flow.tensor([[0, 1, 0]]), s),
                [x, values(d.rng(), (1, 2), F32)],
                error=flow.ShapeError,
            )

        return build

    for name, call in _pair("scatter"):
        spec(name, scatter_b(call), True, scatter_invalid(call))
    spec(
        "Tensor.scatter_",
        scatter_b(lambda t, *a: t.scatter_(*a), inplace=True),
        True,
        scatter_invalid(lambda t, *a: t.clone().scatter_(*a)),
    )
    for name, call in _pair("scatter_add"):
        spec(name, scatter_b(call, add=True), True, scatter_invalid(call))
    spec(
        "Tensor.scatter_add_",
        scatter_b(lambda t, *a: t.scatter_add_(*a), add=True, inplace=True),
        True,
        scatter_invalid(lambda t, *a: t.clone().scatter_add_(*a)),
    )

    def index_select_b(call):
        def build(d):
            xs = shape(d, 1, 3, zero=False)
            x = values(d.rng(), xs, d.choice(ALL))
            dim = d.int(-x.ndim, x.ndim - 1)
            idx = d.rng().integers(0, xs[dim], d.int(0, 4))
            return Case(
                lambda t: call(t, dim, flow.tensor(idx)),
                [x],
                lambda v: np.take(v, idx, axis=dim),
                label=f"index_select {xs} {dim} {idx.tolist()}",
            )

        return build

    def index_invalid(call):
        def build(d):
            x = values(d.rng(), (2, 3), F32)
            if d.bool():
                return Case(lambda t: call(t, 0, flow.tensor([2])), [x], error=IndexError)
            return Case(lambda t: call(t, 0, flow.tensor([[0]])), [x], error=flow.ShapeError)

        return build

    for name, call in _pair("index_select"):
        spec(name, index_select_b(call), True, index_invalid(call))

    def index_add_b(call, inplace=False):
        def build(d):
            xs = shape(d, 1, 3, zero=False)
            dt = d.choice(NUM)
            x = values(d.rng(), xs, dt)
            dim = d.int(-x.ndim, x.ndim - 1)
            ds = dim % x.ndim
            k = d.int(0, 4)
            idx = d.rng().integers(0, xs[ds], k)
            src = values(d.rng(), xs[:ds] + (k,) + xs[ds + 1 :], dt)
            alpha = d.choice((1, 2)) if dt.kind != "f" else d.choice((1, 2, 0.5))

            def ref(v, s):
                out = v.copy()
                moved = np.moveaxis(out, ds, 0)
                np.add.at(moved, idx, np.moveaxis(s, ds, 0) * alpha)
                return out.astype(v.dtype)

            def fn(t, s):
                if inplace:
                    y = t.clone()
                    assert call(y, dim, flow.tensor(idx), s, alpha=alpha) is y
                    return y
                if alpha == 1 and d.bool():
                    return call(t, dim, flow.tensor(idx), s)
                return call(t, dim, flow.tensor(idx), s, alpha=alpha)

            return Case(fn, [x, src], ref, label=f"index_add {xs} {dim} {idx.tolist()} {alpha}")

        return build

    def index_add_invalid(call):
        return lambda d: Case(
            lambda t, s: call(t, 0, flow.tensor([0]), s),
            [values(d.rng(), (2, 3), F32), values(d.rng(), (2, 3), F32)],
            error=flow.ShapeError,
        )

    for name, call in _pair("index_add"):
        spec(name, index_add_b(call), True, index_add_invalid(call))
    spec(
        "Tensor.index_add_",
        index_add_b(lambda t, *a, **k: t.index_add_(*a, **k), inplace=True),
        True,
        index_add_invalid(lambda t, *a: t.clone().index_add_(*a)),
    )

    def masked_select_b(call):
        def build(d):
            sx, sm = bcast_pair(d)
            x = values(d.rng(), sx, d.choice(ALL))
            m = d.rng().random(sm) < 0.5
            shp = np.broadcast_shapes(sx, sm)
            return Case(
                lambda t, mm: call(t, mm),
                [x, m],
                lambda v, mm: np.broadcast_to(v, shp)[np.broadcast_to(mm, shp)],
                label=f"masked_select {sx} {sm}",
            )

        return build

    def masked_select_invalid(call):
        def build(d):
            x = values(d.rng(), (2, 3), F32)
            if d.bool():
                return Case(lambda t: call(t, t), [x], error=flow.DTypeError)
            return Case(lambda t: call(t, flow.tensor([True, False])), [x], error=flow.ShapeError)

        return build

    for name, call in _pair("masked_select"):
        spec(name, masked_select_b(call), True, masked_select_invalid(call))

    def take_b(call):
        def build(d):
            xs = shape(d, 0, 3, zero=False)
            x = values(d.rng(), xs, d.choice(ALL))
            n = x.size
            idx = d.rng().integers(-n, n, shape(d, 0, 2))
            return Case(
                lambda t: call(t, flow.tensor(idx)),
                [x],
                lambda v: np.asarray(v.reshape(-1)[idx]),
                label=f"take {xs} {idx.tolist()}",
            )

        return build

    for name, call in _pair("take"):
        spec(
            name,
            take_b(call),
            True,
            lambda d, call=call: Case(
                lambda t: call(t, flow.tensor([6])),
                [values(d.rng(), (2, 3), F32)],
                error=IndexError,
            ),
        )

    def nonzero_b(call):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(ALL))
            if d.bool():
                return Case(
                    lambda t: call(t, as_tuple=True),
                    [x],
                    lambda v: tuple(
                        np.asarray(i, np.int64) for i in np.nonzero(v if v.ndim else v.reshape(1))
                    ),
                )
            return Case(lambda t: call(t), [x], lambda v: np.argwhere(v).astype(np.int64))

        return build

    for name, call in _pair("nonzero"):
        spec(name, nonzero_b(call), False)

    def one_hot_b(call):
        def build(d):
            xs = shape(d, 0, 3)
            n = d.int(1, 5)
            idx = d.rng().integers(0, n, xs)
            given = d.bool() or not idx.size
            return Case(
                (lambda t: call(t, num_classes=n)) if given else (lambda t: call(t)),
                [idx],
                lambda v: np.eye(n if given else int(v.max()) + 1, dtype=np.int64)[v],
                label=f"one_hot {xs} {n} {given}",
            )

        return build

    def one_hot_invalid(call):
        def build(d):
            kind = d.choice(("float", "big", "negative"))
            if kind == "float":
                return Case(lambda t: call(t, 3), [np.zeros(2)], error=flow.DTypeError)
            if kind == "big":
                return Case(lambda t: call(t, 2), [np.array([0, 2])], error=ValueError)
            return Case(lambda t: call(t, 3), [np.array([-1, 0])], error=ValueError)

        return build

    for name, call in (
        ("flowkit.one_hot", flow.one_hot),
        ("F.one_hot", flow.nn.functional.one_hot),
    ):
        spec(name, one_hot_b(call), False, one_hot_invalid(call))


_register_gather_scatter()

"""Reductions: sum, mean, prod, var/std, norm, any/all, max/min (with indices), amax/amin,
logsumexp, argmax/argmin, with dims (one, negative, tuples), keepdim and PyTorch's
accumulation dtypes."""

from __future__ import annotations

import functools
import warnings

import numpy as np

import flowkit as flow

from ..core import (
    ALL,
    BOOL,
    F32,
    FLOATS,
    I64,
    INTS,
    NUM,
    U8,
    Case,
    Draw,
    Named,
    bcast_pair,
    dims_arg,
    f64,
    norm_dims,
    shape,
    spec,
    values,
)


# ============================================================================ reductions
def _acc(x):
    """PyTorch's accumulation dtype of sum/prod: integers and bools in int64."""
    return x.astype(I64) if x.dtype.kind in "biu" else x


def _reduce(fn, x, dim, keepdim, out_dt=None):
    """``fn(x, axis, keepdims)`` with PyTorch's dims: a 0-d tensor takes dim 0 / -1 (itself);
    keepdim without dim keeps every dimension as 1."""
    axis = norm_dims(dim, x.ndim)
    if x.ndim == 0:
        out = np.asarray(fn(x, None, False))
    else:
        out = np.asarray(fn(x, axis, keepdim))
    return out.astype(out_dt or out.dtype)


def ref_sum(x, dim=None, keepdim=False, dtype=None):
    a = _acc(x)
    with np.errstate(all="ignore"):
        out = _reduce(
            lambda v, ax, k: np.sum(f64(v) if v.dtype.kind == "f" else v, axis=ax, keepdims=k),
            a,
            dim,
            keepdim,
            a.dtype,
        )
    return out if dtype is None else out.astype(dtype)


def ref_mean(x, dim=None, keepdim=False):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _reduce(
            lambda v, ax, k: np.mean(f64(v), axis=ax, keepdims=k), x, dim, keepdim, x.dtype
        )


def ref_prod(x, dim=None, keepdim=False, dtype=None):
    a = _acc(x) if dtype is None else x.astype(dtype)
    return _reduce(
        lambda v, ax, k: np.prod(f64(v) if v.dtype.kind == "f" else v, axis=ax, keepdims=k),
        a,
        dim,
        keepdim,
        a.dtype,
    )


def ref_var(x, dim=None, unbiased=True, keepdim=False, correction=None, std=False):
    ddof = (1 if unbiased else 0) if correction is None else correction

    def fn(v, ax, k):
        v = f64(v)
        n = v.size if ax is None else int(np.prod([v.shape[i] for i in ax]))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = np.mean(v, axis=ax, keepdims=True) if v.size else np.zeros_like(v)
            out = np.sum((v - m) ** 2, axis=ax, keepdims=k) / max(n - ddof, 0)
        return np.sqrt(out) if std else out

    return _reduce(fn, x, dim, keepdim, x.dtype)


def ref_norm(x, p="fro", dim=None, keepdim=False):
    pv = 2.0 if p == "fro" else float(p)

    def fn(v, ax, k):
        a = np.abs(f64(v))
        if pv == np.inf:
            return np.max(a, axis=ax, keepdims=k)
        if pv == -np.inf:
            return np.min(a, axis=ax, keepdims=k)
        if pv == 0:
            return np.sum(a != 0, axis=ax, keepdims=k)
        return np.sum(a**pv, axis=ax, keepdims=k) ** (1.0 / pv)

    return _reduce(fn, x, dim, keepdim, x.dtype)


def ref_any_all(x, dim=None, keepdim=False, op="any"):
    return _reduce(
        lambda v, ax, k: getattr(np, op)(v != 0, axis=ax, keepdims=k), x, dim, keepdim, BOOL
    )


def ref_minmax(x, dim=None, keepdim=False, op="max"):
    if dim is None:
        v = np.max(x) if op == "max" else np.min(x)
        return np.asarray(v).reshape((1,) * x.ndim if keepdim else ()).astype(x.dtype)
    if x.ndim == 0:
        return Named(op, (x.copy(), np.asarray(0, I64)))
    d = dim % x.ndim
    idx = (np.argmax if op == "max" else np.argmin)(x, axis=d, keepdims=True)  # first one
    vals = np.take_along_axis(x, idx, axis=d)
    if not keepdim:
        idx, vals = idx.squeeze(d), vals.squeeze(d)
    return Named(op, (vals, idx.astype(I64)))


def ref_extreme(x, dim=(), keepdim=False, op="amax"):
    """amax/amin: the extreme over ``dim`` (``()``/None: every dimension), dtype kept."""
    axes = norm_dims(dim, x.ndim) if dim not in ((), None) else None
    out = (np.max if op == "amax" else np.min)(x, axis=axes if x.ndim else None, keepdims=keepdim)
    return np.asarray(out, x.dtype)


def ref_logsumexp(x, dim, keepdim=False):
    """log(sum(exp(x))) over ``dim`` in float64 (the max taken out), in x's float dtype
    (integers: float32)."""
    axes = norm_dims(dim, x.ndim) if x.ndim else None
    out_dt = x.dtype if x.dtype.kind == "f" else F32
    a = x.astype(np.float64)
    m = np.max(a, axis=axes, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - m), axis=axes, keepdims=True)) + m
    if not keepdim:
        out = out.reshape(
            () if axes is None else tuple(s for i, s in enumerate(x.shape) if i not in axes)
        )
    return np.asarray(out, out_dt)


def ref_arg(x, dim=None, keepdim=False, op="argmax"):
    f = getattr(np, op)
    if dim is None or x.ndim == 0:
        return np.asarray(f(x.reshape(-1)), I64).reshape((1,) * x.ndim if keepdim else ())
    return np.asarray(f(x, axis=dim % x.ndim, keepdims=keepdim), I64)


def _kw(d: Draw, nd: int, tuples=True, keep=True, none=True):
    """Reduction arguments: dim (None / int / tuple) and keepdim, in several spellings."""
    dim = dims_arg(d, nd, tuples=tuples, none=none)
    keepdim = d.bool() if keep else False
    style = (
        d.choice(("kw", "pos", "omit")) if dim is None and not keepdim else d.choice(("kw", "pos"))
    )
    return dim, keepdim, style


def _reduction_case(call, ref, x, dim, keepdim, style, label, **extra):
    if style == "omit":
        fn = lambda t: call(t, **extra)  # noqa: E731
    elif style == "pos":
        fn = lambda t: call(t, dim, keepdim, **extra)  # noqa: E731
    else:
        fn = lambda t: call(t, dim=dim, keepdim=keepdim, **extra)  # noqa: E731
    return Case(
        fn,
        [x],
        lambda v: ref(v, dim, keepdim, **extra),
        label=f"{label} {x.dtype}{x.shape} dim={dim} keepdim={keepdim} {extra or ''}",
    )


def _nonempty_dims(x, dim):
    nd = norm_dims(dim, x.ndim)
    return x.size > 0 if nd is None or x.ndim == 0 else all(x.shape[i] > 0 for i in nd)


def _register_reductions():
    M = lambda name: (lambda name: lambda t, *a, **k: getattr(t, name)(*a, **k))(name)  # noqa

    def sum_b(call, method):
        def build(d):
            dt = d.choice(ALL + (U8,))
            x = values(d.rng(), shape(d), dt)
            dim, keepdim, style = _kw(d, x.ndim)
            extra = {}
            if method and d.int(0, 3) == 0:
                extra["dtype"] = d.choice((flow.float64, flow.int64, flow.float32))
                c = _reduction_case(call, ref_sum, x, dim, keepdim, "kw", "sum", **extra)
                want = np.dtype(extra["dtype"].name)
                c.ref = lambda v: ref_sum(v, dim, keepdim).astype(want)
                # a float32 result of the float64 gradient inputs is a lossy cast: finite
                # differences through it are noise at eps=1e-6
                c.grad = want != F32
                return c
            return _reduction_case(call, ref_sum, x, dim, keepdim, style, "sum")

        return build

    def mean_b(call):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(FLOATS))
            return _reduction_case(call, ref_mean, x, *_kw(d, x.ndim), "mean")

        return build

    def dim_invalid(call, dts=NUM, kind="range"):
        def build(d):
            x = values(d.rng(), shape(d, 1, 3, zero=False), d.choice(dts))
            if kind == "dtype":
                return Case(lambda t: call(t), [x.astype(d.choice(INTS))], error=flow.DTypeError)
            bad = d.choice((x.ndim, -x.ndim - 1, x.ndim + 2))
            return Case(lambda t: call(t, bad), [x], error=IndexError)

        return build

    def prod_b(call, method):
        def build(d):
            dt = d.choice(ALL)
            x = values(d.rng(), shape(d), dt)
            if x.size and dt.kind == "f" and d.bool():
                x.reshape(-1)[d.int(0, x.size - 1)] = 0  # the exact path for zeros
            dim, keepdim, style = _kw(d, x.ndim, tuples=False)
            if method and d.int(0, 3) == 0:
                want = d.choice((flow.float64, flow.int64))
                c = _reduction_case(call, ref_prod, x, dim, keepdim, "kw", "prod", dtype=want)
                c.ref = lambda v: ref_prod(v, dim, keepdim, np.dtype(want.name))
                return c
            return _reduction_case(call, ref_prod, x, dim, keepdim, style, "prod")

        return build

    def prod_invalid(call):
        def build(d):
            x = values(d.rng(), (2, 3), F32)
            return Case(lambda t: call(t, (0, 1)), [x], error=TypeError)

        return build

    def var_b(call, std):
        def build(d):
            x = values(d.rng(), shape(d, sides=(2, 3, 1, 0, 2, 3, 4)), d.choice(FLOATS))
            dim = dims_arg(d, x.ndim)
            keepdim = d.bool()
            axes = norm_dims(dim, x.ndim)
            n = x.size if axes is None or x.ndim == 0 else int(np.prod([x.shape[i] for i in axes]))
            form = d.choice(("unbiased", "correction", "positional_bool", "defaults"))
            if form == "positional_bool" and dim is None and not keepdim:
                ub = d.bool()
                c = Case(
                    lambda t: call(t, ub),
                    [x],
                    lambda v: ref_var(v, None, ub, std=std),
                    label=f"({ub}) {x.shape}",
                )
            elif form == "defaults" and dim is None and not keepdim:
                c = Case(
                    lambda t: call(t), [x], lambda v: ref_var(v, std=std), label=f"() {x.shape}"
                )
            elif form == "correction":
                corr = d.choice((0, 1, 2))
                c = Case(
                    lambda t: call(t, dim, keepdim=keepdim, correction=corr),
                    [x],
                    lambda v: ref_var(v, dim, True, keepdim, corr, std),
                    label=f"{x.shape} dim={dim} correction={corr} keepdim={keepdim}",
                )
            else:
                ub = d.bool()
                c = Case(
                    lambda t: call(t, dim=dim, unbiased=ub, keepdim=keepdim),
                    [x],
                    lambda v: ref_var(v, dim, ub, keepdim, std=std),
                    label=f"{x.dtype}{x.shape} dim={dim} unbiased={ub} keepdim={keepdim}",
                )
            # one element per group: std is 0 (or nan) there, a kink finite differences cannot
            # check (edge "zero.std_grad" pins PyTorch's 0)
            c.grad = n > 1 or not std
            return c

        return build

    def norm_b(call):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(FLOATS), "nonzero")
            p = d.choice((2, 1, 3, 1.5, 0.5, -1, float("inf"), float("-inf"), 0, "fro"))
            dim = dims_arg(d, x.ndim)
            keepdim = d.bool()
            if p in (float("inf"), float("-inf")) and not _nonempty_dims(x, dim):
                p = 2  # the max / min of nothing
            if dim is None and not keepdim and d.bool():
                return Case(
                    lambda t: call(t, p),
                    [x],
                    lambda v: ref_norm(v, p),
                    label=f"norm p={p} {x.shape}",
                )
            return Case(
                lambda t: call(t, p, dim, keepdim),
                [x],
                lambda v: ref_norm(v, p, dim, keepdim),
                label=f"norm p={p} {x.dtype}{x.shape} dim={dim} keepdim={keepdim}",
            )

        return build

    def anyall_b(call, op):
        def build(d):
            dt = d.choice(ALL)
            x = values(d.rng(), shape(d), dt, "unit" if dt.kind == "i" else "any")
            if dt.kind == "f" and d.bool():
                x = np.where(values(d.rng(), x.shape, BOOL), x, 0).astype(dt)
            dim, keepdim, style = _kw(d, x.ndim)
            return _reduction_case(
                call, functools.partial(ref_any_all, op=op), x, dim, keepdim, style, op
            )

        return build

    def minmax_b(call, op):
        def build(d):
            dt = d.choice(ALL)
            form = d.choice(("all", "dim", "dim", "other"))
            if form == "other":
                sa, sb = bcast_pair(d)
                x, y = values(d.rng(), sa, dt), values(d.rng(), sb, dt)
                npop = np.maximum if op == "max" else np.minimum
                return Case(
                    lambda s, t: call(s, t),
                    [x, y],
                    lambda s, t: npop(s, t),
                    label=f"{op}(tensor) {dt}{sa} {sb}",
                )
            if form == "all":
                x = values(d.rng(), shape(d, zero=False), dt)
                keepdim = d.bool()
                if keepdim:
                    return Case(
                        lambda t: call(t, keepdim=True),
                        [x],
                        lambda v: ref_minmax(v, None, True, op),
                    )
                return Case(
                    lambda t: call(t),
                    [x],
                    lambda v: ref_minmax(v, None, False, op),
                    label=f"{op}() {dt}{x.shape}",
                )
            x = values(d.rng(), shape(d), dt)
            dim = dims_arg(d, x.ndim, tuples=False, none=False)
            if x.ndim and x.shape[dim % x.ndim] == 0:
                x = values(
                    d.rng(), tuple(s if i != dim % x.ndim else 2 for i, s in enumerate(x.shape)), dt
                )
            keepdim = d.bool()
            style = d.choice(("pos", "kw", "unpack"))
            ref = lambda v: ref_minmax(v, dim, keepdim, op)  # noqa: E731
            label = f"{op}(dim={dim}, keepdim={keepdim}) {dt}{x.shape}"
            if style == "pos":
                return Case(lambda t: call(t, dim, keepdim), [x], ref, label=label)
            if style == "unpack":  # the named fields and tuple unpacking

                def fn(t):
                    r = call(t, dim=dim, keepdim=keepdim)
                    v, i = r
                    assert v is r.values and i is r.indices
                    return r

                return Case(fn, [x], ref, label=label)
            return Case(lambda t: call(t, dim=dim, keepdim=keepdim), [x], ref, label=label)

        return build

    def minmax_invalid(call):
        def build(d):
            if d.bool():
                return Case(
                    lambda t: call(t), [np.zeros((2, 0), np.float32)], error=flow.ShapeError
                )
            return Case(lambda t: call(t, 1), [np.zeros((2, 0), np.float32)], error=flow.ShapeError)

        return build

    def extreme_b(call, op):
        def build(d):
            dt = d.choice(ALL)
            x = values(d.rng(), shape(d, zero=False), dt)  # (uniform floats: no ties, no kink)
            dim = dims_arg(d, x.ndim, none=False) if d.int(0, 3) else ()
            keepdim = d.bool()
            style = d.choice(("pos", "kw")) if dim != () or keepdim else "omit"
            ref = functools.partial(ref_extreme, op=op)
            if style == "omit":
                return Case(lambda t: call(t), [x], lambda v: ref(v), label=f"{op}() {dt}{x.shape}")
            return _reduction_case(call, ref, x, dim, keepdim, style, op)

        return build

    def extreme_invalid(call):
        def build(d):
            if d.bool():  # an empty reduced dimension
                return Case(
                    lambda t: call(t, 1), [np.zeros((2, 0), np.float32)], error=flow.ShapeError
                )
            return Case(
                lambda t: call(t, (0, 0)), [np.zeros((2, 3), np.float32)], error=flow.ShapeError
            )  # one dimension twice

        return build

    def logsumexp_b(call):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(NUM))
            dim = dims_arg(d, x.ndim, none=False)
            keepdim = d.bool()
            style = d.choice(("pos", "kw"))
            return _reduction_case(call, ref_logsumexp, x, dim, keepdim, style, "logsumexp")

        return build

    def arg_b(call, op):
        def build(d):
            dt = d.choice(NUM + (BOOL,))
            x = values(d.rng(), shape(d, zero=False), dt)
            dim, keepdim, style = _kw(d, x.ndim, tuples=False)
            return _reduction_case(
                call, functools.partial(ref_arg, op=op), x, dim, keepdim, style, op
            )

        return build

    for fname, call in (("flowkit.sum", flow.sum), ("Tensor.sum", M("sum"))):
        spec(fname, sum_b(call, fname.startswith("Tensor")), True, dim_invalid(call))
    for fname, call in (("flowkit.mean", flow.mean), ("Tensor.mean", M("mean"))):
        spec(fname, mean_b(call), True, dim_invalid(call, FLOATS, "dtype"))
    for fname, call in (("flowkit.prod", flow.prod), ("Tensor.prod", M("prod"))):
        spec(fname, prod_b(call, fname.startswith("Tensor")), True, prod_invalid(call))
    for op in ("var", "std"):
        for fname, call in ((f"flowkit.{op}", getattr(flow, op)), (f"Tensor.{op}", M(op))):
            spec(fname, var_b(call, op == "std"), True, dim_invalid(call, FLOATS, "dtype"))
    for fname, call in (("flowkit.norm", flow.norm), ("Tensor.norm", M("norm"))):
        spec(fname, norm_b(call), True, dim_invalid(call, FLOATS, "dtype"))
    for op in ("any", "all"):
        for fname, call in ((f"flowkit.{op}", getattr(flow, op)), (f"Tensor.{op}", M(op))):
            spec(fname, anyall_b(call, op), False, dim_invalid(call, ALL))
    for op in ("max", "min"):
        for fname, call in ((f"flowkit.{op}", getattr(flow, op)), (f"Tensor.{op}", M(op))):
            spec(fname, minmax_b(call, op), True, minmax_invalid(call))
    for op in ("amax", "amin"):
        for fname, call in ((f"flowkit.{op}", getattr(flow, op)), (f"Tensor.{op}", M(op))):
            spec(fname, extreme_b(call, op), True, extreme_invalid(call))
    for fname, call in (
        ("flowkit.logsumexp", flow.logsumexp),
        ("Tensor.logsumexp", M("logsumexp")),
    ):
        spec(fname, logsumexp_b(call), True, dim_invalid(call))
    for op in ("argmax", "argmin"):
        for fname, call in ((f"flowkit.{op}", getattr(flow, op)), (f"Tensor.{op}", M(op))):
            spec(fname, arg_b(call, op), False, minmax_invalid(call))


_register_reductions()


# ============================================================================ ordering, running
def ref_sort(x, dim=-1, descending=False, name="sort", k=None):
    """A stable sort along ``dim`` (descending: by the negated values, still stable)."""
    if x.ndim == 0:
        return Named(name, (x.copy(), np.asarray(0, I64)))
    d = dim % x.ndim
    key = x.astype(I64) if x.dtype.kind == "b" else x
    idx = np.argsort(-key if descending else key, axis=d, kind="stable")
    if k is not None:
        idx = np.take(idx, np.arange(k), axis=d)
    return Named(name, (np.take_along_axis(x, idx, axis=d), idx.astype(I64)))


def ref_median(x, dim=None, keepdim=False):
    if dim is None:
        v = np.sort(x.reshape(-1))[(x.size - 1) // 2]
        return np.asarray(v, x.dtype).reshape((1,) * x.ndim if keepdim else ())
    if x.ndim == 0:
        return Named("median", (x.copy(), np.asarray(0, I64)))
    d = dim % x.ndim
    idx = np.argsort(x, axis=d, kind="stable")
    idx = np.take(idx, [(x.shape[d] - 1) // 2], axis=d)
    vals = np.take_along_axis(x, idx, axis=d)
    if not keepdim:
        idx, vals = idx.squeeze(d), vals.squeeze(d)
    return Named("median", (vals, idx.astype(I64)))


def ref_cum(x, dim, dtype=None, op="cumsum"):
    want = np.dtype(dtype.name) if dtype is not None else (x.dtype if x.dtype.kind == "f" else I64)
    a = x.astype(want)
    if x.ndim == 0:
        return a.copy()
    return np.asarray(getattr(np, op)(f64(a) if want.kind == "f" else a, axis=dim), want)


def _register_ordering():
    M = lambda name: (lambda name: lambda t, *a, **k: getattr(t, name)(*a, **k))(name)  # noqa

    def distinct(d, shp, dt):
        """Values without ties (a float kink, an ambiguous order): a permutation, scaled."""
        n = int(np.prod(shp))
        v = d.rng().permutation(n).reshape(shp) - n // 2
        return (v * 0.37 + 0.01).astype(dt) if dt.kind == "f" else v.astype(dt)

    def sort_b(call, op):
        def build(d):
            dt = d.choice(NUM + (BOOL,)) if op != "median" else d.choice(NUM)
            shp = shape(d, zero=op == "sort")
            # ties only where no gradient is checked (integers, bools): stable order decides
            x = distinct(d, shp, dt) if dt.kind == "f" else values(d.rng(), shp, dt)
            dim = d.int(-max(x.ndim, 1), max(x.ndim, 1) - 1)
            if op == "median":
                if d.bool() or x.size == 0:
                    x = distinct(d, shape(d, zero=False), dt)
                    return Case(lambda t: call(t), [x], lambda v: ref_median(v), label=f"{x.shape}")
                if x.ndim and x.shape[dim % x.ndim] == 0:
                    x = distinct(d, (2,) * x.ndim, dt)
                keepdim = d.bool()
                return Case(
                    lambda t: call(t, dim, keepdim),
                    [x],
                    lambda v: ref_median(v, dim, keepdim),
                    label=f"median {dt}{x.shape} dim={dim} keepdim={keepdim}",
                )
            desc = d.bool()
            if op == "topk":
                n = x.shape[dim % x.ndim] if x.ndim else 1
                k = d.int(0, n)
                return Case(
                    lambda t: call(t, k, dim, desc),
                    [x],
                    lambda v: ref_sort(v, dim, desc, "topk", k),
                    label=f"topk {dt}{x.shape} k={k} dim={dim} largest={desc}",
                )
            if op == "argsort":
                return Case(
                    lambda t: call(t, dim, desc),
                    [x],
                    lambda v: ref_sort(v, dim, desc).items[1],
                    label=f"argsort {dt}{x.shape} dim={dim} descending={desc}",
                )
            if d.bool():
                return Case(
                    lambda t: call(t, dim=dim, descending=desc, stable=True),
                    [x],
                    lambda v: ref_sort(v, dim, desc),
                    label=f"sort {dt}{x.shape} dim={dim} descending={desc} stable",
                )
            return Case(
                lambda t: call(t, dim, desc),
                [x],
                lambda v: ref_sort(v, dim, desc),
                label=f"sort {dt}{x.shape} dim={dim} descending={desc}",
            )

        return build

    def sort_invalid(call, op):
        def build(d):
            kind = d.choice(("dim", "k") if op == "topk" else ("dim",))
            x = np.zeros((2, 3), np.float32)
            if kind == "k":
                return Case(lambda t: call(t, 4), [x], error=flow.ArgumentValueError)
            if op == "topk":
                return Case(lambda t: call(t, 1, 2), [x], error=IndexError)
            return Case(lambda t: call(t, 2), [x], error=IndexError)

        return build

    def median_invalid(call):
        def build(d):
            kind = d.choice(("empty", "bool", "dim"))
            if kind == "empty":
                return Case(
                    lambda t: call(t), [np.zeros((0, 2), np.float32)], error=flow.ShapeError
                )
            if kind == "bool":
                return Case(lambda t: call(t), [np.ones(3, bool)], error=flow.DTypeError)
            return Case(lambda t: call(t, 2), [np.ones((2, 3))], error=IndexError)

        return build

    def nansum_b(call):
        def build(d):
            dt = d.choice(ALL)
            x = values(d.rng(), shape(d), dt)
            if dt.kind == "f" and x.size and d.bool():
                x.reshape(-1)[d.int(0, x.size - 1)] = np.nan
            dim, keepdim, style = _kw(d, x.ndim)
            ref = lambda v, dim=None, keepdim=False: ref_sum(  # noqa: E731
                np.where(np.isnan(v), 0, v).astype(v.dtype) if v.dtype.kind == "f" else v,
                dim,
                keepdim,
            )
            return _reduction_case(call, ref, x, dim, keepdim, style, "nansum")

        return build

    def cum_b(call, op):
        def build(d):
            dt = d.choice(ALL)
            x = values(d.rng(), shape(d), dt, "nonzero" if op == "cumprod" else "any")
            if op == "cumprod" and dt.kind == "f" and x.size and d.bool():
                x.reshape(-1)[d.int(0, x.size - 1)] = 0  # the exact path for zeros
            dim = d.int(-max(x.ndim, 1), max(x.ndim, 1) - 1)
            if d.int(0, 3) == 0:
                want = d.choice((flow.float64, flow.int64))
                c = Case(
                    lambda t: call(t, dim, dtype=want),
                    [x],
                    lambda v: ref_cum(v, dim % max(v.ndim, 1), want, op),
                    label=f"{op} {dt}{x.shape} dim={dim} dtype={want}",
                )
                c.grad = want == flow.float64
                return c
            return Case(
                lambda t: call(t, dim=dim),
                [x],
                lambda v: ref_cum(v, dim % max(v.ndim, 1), None, op),
                label=f"{op} {dt}{x.shape} dim={dim}",
            )

        return build

    def dim_invalid_nansum(call):
        def build(d):
            return Case(lambda t: call(t, 2), [np.zeros((2, 3), np.float32)], error=IndexError)

        return build

    def cum_invalid(call):
        def build(d):
            x = np.zeros((2, 3), np.float32)
            if d.bool():
                return Case(lambda t: call(t, 2), [x], error=IndexError)
            return Case(lambda t: call(t, (0, 1)), [x], error=TypeError)

        return build

    for op in ("sort", "argsort", "topk"):
        for fname, call in ((f"flowkit.{op}", getattr(flow, op)), (f"Tensor.{op}", M(op))):
            spec(fname, sort_b(call, op), op != "argsort", sort_invalid(call, op))
    for fname, call in (("flowkit.median", flow.median), ("Tensor.median", M("median"))):
        spec(fname, sort_b(call, "median"), True, median_invalid(call))
    for fname, call in (("flowkit.nansum", flow.nansum), ("Tensor.nansum", M("nansum"))):
        spec(fname, nansum_b(call), True, dim_invalid_nansum(call))
    for op in ("cumsum", "cumprod"):
        for fname, call in ((f"flowkit.{op}", getattr(flow, op)), (f"Tensor.{op}", M(op))):
            spec(fname, cum_b(call, op), True, cum_invalid(call))


_register_ordering()

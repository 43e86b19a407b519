"""Shape ops: reshape/view/flatten, (un)squeeze, permute/transpose/T, expand, flip, split/chunk,
cat/stack, and the copies that keep the values (clone, contiguous, cpu, detach)."""

from __future__ import annotations

import functools

import numpy as np

import flowkit as flow

from ..core import (
    ALL,
    F32,
    F64,
    FLOATS,
    NUM,
    Case,
    dims_arg,
    norm_dims,
    promote,
    shape,
    spec,
    values,
)

F = flow.nn.functional


# ============================================================================ shape ops
def _reshape_targets(shp):
    n = int(np.prod(shp)) if shp else 1
    t = [(-1,), (n,), (1, -1), (-1, 1), tuple(reversed(shp)), (1,) + tuple(shp)]
    if len(shp) >= 2 and n:
        t.append((shp[0], -1))
    return t


def _register_shape_ops():
    def reshape_b(make):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(ALL))
            tgt = d.choice(_reshape_targets(x.shape))
            return Case(
                make(tgt, d), [x], lambda v: v.reshape(tgt), label=f"reshape {x.shape} -> {tgt}"
            )

        return build

    def forms(name):
        def make(tgt, d):
            form = d.choice(("tuple", "list", "star"))
            return {
                "tuple": lambda t: getattr(t, name)(tgt),
                "list": lambda t: getattr(t, name)(list(tgt)),
                "star": lambda t: getattr(t, name)(*tgt),
            }[form]

        return make

    def reshape_invalid(call):
        def build(d):
            x = values(d.rng(), (2, 3), d.choice(NUM))
            kind = d.choice(("count", "two_inferred", "float"))
            if kind == "count":
                return Case(lambda t: call(t, (7,)), [x], error=flow.ShapeError)
            if kind == "two_inferred":
                return Case(lambda t: call(t, (-1, -1)), [x], error=flow.ShapeError)
            return Case(lambda t: call(t, (2.0, 3)), [x], error=flow.ArgumentTypeError)

        return build

    spec(
        "flowkit.reshape",
        reshape_b(lambda tgt, d: lambda t: flow.reshape(t, tgt)),
        True,
        reshape_invalid(flow.reshape),
    )
    for name in ("reshape", "view"):
        spec(
            f"Tensor.{name}",
            reshape_b(forms(name)),
            True,
            reshape_invalid(lambda t, s, name=name: getattr(t, name)(*s)),
        )

    def ref_flatten(v, s, e):
        if v.ndim == 0:
            return v.reshape(1)
        s, e = s % v.ndim, e % v.ndim
        return v.reshape(v.shape[:s] + (int(np.prod(v.shape[s : e + 1])),) + v.shape[e + 1 :])

    def flatten_b(call):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(ALL))
            n = max(x.ndim, 1)
            s = d.int(-n, n - 1)
            e = d.int(-n, n - 1)
            if s % n > e % n:
                s, e = e, s
            if d.bool() and s % n == 0 and e % n == n - 1:
                return Case(
                    lambda t: call(t),
                    [x],
                    lambda v: ref_flatten(v, 0, -1),
                    label=f"flatten {x.shape}",
                )
            return Case(
                lambda t: call(t, s, e),
                [x],
                lambda v: ref_flatten(v, s, e),
                label=f"flatten {x.shape} {s} {e}",
            )

        return build

    def flatten_invalid(call):
        def build(d):
            x = values(d.rng(), (2, 3, 2), F32)
            return Case(lambda t: call(t, 2, 0), [x], error=ValueError)

        return build

    for name, call in (
        ("flowkit.flatten", flow.flatten),
        ("F.flatten", F.flatten),
        ("Tensor.flatten", lambda t, *a: t.flatten(*a)),
    ):
        spec(name, flatten_b(call), True, flatten_invalid(call))

    def ref_squeeze(v, dim):
        if dim is None:
            return v.reshape(tuple(s for s in v.shape if s != 1))
        ds = norm_dims(dim, v.ndim)
        return v.reshape(tuple(s for i, s in enumerate(v.shape) if not (i in ds and s == 1)))

    def squeeze_b(call):
        def build(d):
            x = values(d.rng(), shape(d, 0, 4, sides=(1, 1, 2, 0, 3)), d.choice(ALL))
            dim = dims_arg(d, x.ndim)
            if dim is None:
                return Case(
                    lambda t: call(t),
                    [x],
                    lambda v: ref_squeeze(v, None),
                    label=f"squeeze {x.shape}",
                )
            return Case(
                lambda t: call(t, dim),
                [x],
                lambda v: ref_squeeze(v, dim),
                label=f"squeeze {x.shape} {dim}",
            )

        return build

    def range_invalid(call, extra=0):
        def build(d):
            x = values(d.rng(), shape(d, 1, 3, zero=False), F32)
            bad = d.choice((x.ndim + extra, -x.ndim - 1 - extra))
            return Case(lambda t: call(t, bad), [x], error=IndexError)

        return build

    for name, call in (
        ("flowkit.squeeze", lambda t, *a: flow.squeeze(t, *a)),
        ("Tensor.squeeze", lambda t, *a: t.squeeze(*a)),
    ):
        spec(name, squeeze_b(call), True, range_invalid(call))

    def unsqueeze_b(call):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(ALL))
            k = d.int(-x.ndim - 1, x.ndim)
            return Case(
                lambda t: call(t, k),
                [x],
                lambda v: np.expand_dims(v, k),
                label=f"unsqueeze {x.shape} {k}",
            )

        return build

    for name, call in (
        ("flowkit.unsqueeze", flow.unsqueeze),
        ("Tensor.unsqueeze", lambda t, k: t.unsqueeze(k)),
    ):
        spec(name, unsqueeze_b(call), True, range_invalid(call, 1))

    def permute_b(make):
        def build(d):
            x = values(d.rng(), shape(d, 1, 4, sides=(2, 3, 1, 0, 4)), d.choice(ALL))
            perm = list(range(x.ndim))
            for i in range(x.ndim - 1, 0, -1):  # Fisher-Yates from the draws
                j = d.int(0, i)
                perm[i], perm[j] = perm[j], perm[i]
            perm = tuple(p - x.ndim if d.bool() else p for p in perm)
            return Case(
                make(perm, d),
                [x],
                lambda v: np.transpose(v, perm),
                label=f"permute {x.shape} {perm}",
            )

        return build

    def permute_invalid(call):
        def build(d):
            x = values(d.rng(), (2, 3, 4), F32)
            return Case(lambda t: call(t, (0, 0, 1)), [x], error=flow.ShapeError)

        return build

    spec(
        "flowkit.permute",
        permute_b(lambda p, d: lambda t: flow.permute(t, p)),
        True,
        permute_invalid(flow.permute),
    )
    spec(
        "Tensor.permute",
        permute_b(lambda p, d: (lambda t: t.permute(*p)) if d.bool() else (lambda t: t.permute(p))),
        True,
        permute_invalid(lambda t, p: t.permute(*p)),
    )

    def transpose_b(call):
        def build(d):
            x = values(d.rng(), shape(d, 1, 3), d.choice(ALL))
            a, b = d.int(-x.ndim, x.ndim - 1), d.int(-x.ndim, x.ndim - 1)
            return Case(
                lambda t: call(t, a, b),
                [x],
                lambda v: np.swapaxes(v, a, b),
                label=f"transpose {x.shape} {a} {b}",
            )

        return build

    for name, call in (
        ("flowkit.transpose", flow.transpose),
        ("Tensor.transpose", lambda t, a, b: t.transpose(a, b)),
    ):
        spec(name, transpose_b(call), True, range_invalid(lambda t, k, call=call: call(t, 0, k)))

    def T_b(d):
        x = values(d.rng(), shape(d, 0, 3), d.choice(ALL))
        return Case(lambda t: t.T, [x], lambda v: v.T.copy(), label=f".T {x.shape}")

    spec("Tensor.T", T_b, True)

    def expand_b(d):
        x = values(d.rng(), shape(d, 0, 3, sides=(1, 1, 2, 3, 0)), d.choice(ALL))
        sizes = [d.choice((-1, 3, 0)) if s == 1 else d.choice((-1, s)) for s in x.shape]
        lead = [d.choice((1, 2, 3, 0)) for _ in range(d.int(0, 2))]
        sizes = tuple(lead + sizes)
        out_shape = tuple(lead) + tuple(
            s if z == -1 else z for s, z in zip(x.shape, sizes[len(lead) :])
        )
        ref = lambda v: np.broadcast_to(v, out_shape).copy()  # noqa: E731
        form = d.choice(("star", "tuple", "as"))
        if form == "as":
            other = np.zeros(out_shape, np.float32)
            return Case(
                lambda t, o: t.expand_as(o),
                [x, other],
                lambda v, o: ref(v),
                diff=(0,),
                label=f"expand_as {x.shape} {out_shape}",
            )
        fn = (lambda t: t.expand(*sizes)) if form == "star" else (lambda t: t.expand(sizes))
        if not sizes:
            fn = lambda t: t.expand(())  # noqa: E731
        return Case(fn, [x], ref, label=f"expand {x.shape} {sizes}")

    def expand_invalid(d):
        x = values(d.rng(), (2, 3), F32)
        return Case(lambda t: t.expand(3, 3), [x], error=flow.ShapeError)

    spec("Tensor.expand", expand_b, True, expand_invalid)

    def expand_as_b(d):
        for _ in range(20):
            c = expand_b(d)
            if len(c.arrays) == 2:
                return c
        x = values(d.rng(), (3, 1), F64)
        return Case(
            lambda t, o: t.expand_as(o),
            [x, np.zeros((2, 3, 4))],
            lambda v, o: np.broadcast_to(v, (2, 3, 4)).copy(),
            diff=(0,),
        )

    spec(
        "Tensor.expand_as",
        expand_as_b,
        True,
        lambda d: Case(
            lambda t, o: t.expand_as(o), [np.zeros((2, 3)), np.zeros((3, 3))], error=flow.ShapeError
        ),
    )

    def flip_b(call, form):
        def build(d):
            x = values(d.rng(), shape(d, 1, 3), d.choice(ALL))
            k = d.int(1, x.ndim)
            dims = []
            for _ in range(k):
                dd = d.int(0, x.ndim - 1)
                if dd not in dims:
                    dims.append(dd)
            dims = tuple(dd - x.ndim if d.bool() else dd for dd in dims)
            fn = {
                "tuple": lambda t: call(t, dims),
                "list": lambda t: call(t, list(dims)),
                "star": lambda t: call(t, *dims),
            }[d.choice(form)]
            return Case(fn, [x], lambda v: np.flip(v, dims).copy(), label=f"flip {x.shape} {dims}")

        return build

    spec(
        "flowkit.flip",
        flip_b(flow.flip, ("tuple", "list")),
        True,
        range_invalid(lambda t, k: flow.flip(t, (k,))),
    )
    spec(
        "Tensor.flip",
        flip_b(lambda t, *a: t.flip(*a), ("tuple", "list", "star")),
        True,
        range_invalid(lambda t, k: t.flip(k)),
    )

    def ref_pieces(v, sizes, dim):
        cuts = np.cumsum(sizes)[:-1]
        return tuple(p.copy() for p in np.split(v, cuts, axis=dim))

    def split_b(call, chunk=False):
        def build(d):
            x = values(d.rng(), shape(d, 1, 3, sides=(2, 3, 1, 0, 4, 5)), d.choice(ALL))
            dim = d.int(-x.ndim, x.ndim - 1)
            n = x.shape[dim]
            if chunk:
                k = d.int(1, 4)
                size = -(-n // k) if n else 0
                sizes = [size] * (n // size) + ([n % size] if n % size else []) if n else [0] * k
                return Case(
                    lambda t: call(t, k, dim),
                    [x],
                    lambda v: ref_pieces(v, sizes, dim),
                    label=f"chunk {x.shape} {k} dim={dim}",
                )
            if d.bool():
                cut = d.int(0, n)
                secs = [cut, n - cut] if d.bool() else [n]
                return Case(
                    lambda t: call(t, secs, dim),
                    [x],
                    lambda v: ref_pieces(v, secs, dim),
                    label=f"split {x.shape} {secs} dim={dim}",
                )
            k = d.int(1, 4)
            sizes = [k] * (n // k) + ([n % k] if n % k else []) if n else [0]
            return Case(
                lambda t: call(t, k, dim),
                [x],
                lambda v: ref_pieces(v, sizes, dim),
                label=f"split {x.shape} {k} dim={dim}",
            )

        return build

    def split_invalid(call):
        return lambda d: Case(
            lambda t: call(t, [1, 1], 0), [values(d.rng(), (3, 2), F32)], error=flow.ShapeError
        )

    spec("flowkit.split", split_b(flow.split), True, split_invalid(flow.split))
    spec(
        "Tensor.split",
        split_b(lambda t, a, dd: t.split(a, dim=dd)),
        True,
        split_invalid(lambda t, a, dd: t.split(a, dd)),
    )
    spec(
        "flowkit.chunk",
        split_b(flow.chunk, True),
        True,
        lambda d: Case(
            lambda t: flow.chunk(t, 0), [values(d.rng(), (3, 2), F32)], error=flow.ShapeError
        ),
    )
    spec(
        "Tensor.chunk",
        split_b(lambda t, k, dd: t.chunk(k, dd), True),
        True,
        lambda d: Case(
            lambda t: t.chunk(-1), [values(d.rng(), (3, 2), F32)], error=flow.ShapeError
        ),
    )

    def cat_b(call):
        def build(d):
            base = shape(d, 1, 3)
            dim = d.int(-len(base), len(base) - 1)
            k = d.int(1, 3)
            dts = [d.choice(ALL)] * k if d.int(0, 2) else [d.choice(ALL) for _ in range(k)]
            shapes = [
                tuple(
                    d.choice((0, 1, 2, 3)) if i == dim % len(base) else s
                    for i, s in enumerate(base)
                )
                for _ in range(k)
            ]
            arrays = [values(d.rng(), s, t) for s, t in zip(shapes, dts)]
            legacy = d.int(0, 3) == 0  # PyTorch skips 1-d empty tensors (an accumulator start)
            at = d.int(0, k) if legacy else None
            if legacy:
                arrays.insert(at, np.zeros((0,), np.float32))
            rt = functools.reduce(promote, [a.dtype for a in arrays])
            form = d.choice(("list", "tuple", "kw"))

            def fn(*ts):
                ts = list(ts) if form != "tuple" else tuple(ts)
                return call(ts, dim=dim) if form == "kw" else call(ts, dim)

            def ref(*vs):
                kept = [v for v in vs if v.shape != (0,)] or list(vs)
                return np.concatenate([v.astype(rt) for v in kept], axis=dim)

            # a skipped empty tensor still gets its (empty, zero) gradient, as in PyTorch
            return Case(fn, arrays, ref, label=f"cat {[a.shape for a in arrays]} dim={dim}")

        return build

    def cat_invalid(call):
        def build(d):
            kind = d.choice(("shape", "ndim", "zero_d", "numpy"))
            if kind == "numpy":  # a numpy array among the tensors: an error naming it
                a = np.zeros((2, 3))
                return Case(lambda t: call([t, a], 0), [a], error=flow.ArgumentTypeError)
            if kind == "shape":
                arrays = [np.zeros((2, 3)), np.zeros((2, 4))]
            elif kind == "ndim":
                arrays = [np.zeros((2, 3)), np.zeros((2, 3, 1))]
            else:
                arrays = [np.zeros(()), np.zeros(())]
            return Case(lambda *ts: call(list(ts), 0), arrays, error=flow.ShapeError)

        return build

    for name in ("cat", "concat", "concatenate"):
        spec(f"flowkit.{name}", cat_b(getattr(flow, name)), True, cat_invalid(getattr(flow, name)))

    def stack_b(d):
        shp = shape(d)
        dim = d.int(-len(shp) - 1, len(shp))
        k = d.int(1, 3)
        dts = [d.choice(ALL)] * k if d.int(0, 2) else [d.choice(ALL) for _ in range(k)]
        arrays = [values(d.rng(), shp, t) for t in dts]
        rt = functools.reduce(promote, dts)
        tup = d.bool()
        return Case(
            lambda *ts: flow.stack(tuple(ts) if tup else list(ts), dim=dim),
            arrays,
            lambda *vs: np.stack([v.astype(rt) for v in vs], axis=dim),
            label=f"stack {shp} x{k} dim={dim}",
        )

    spec(
        "flowkit.stack",
        stack_b,
        True,
        lambda d: Case(
            lambda a, b: flow.stack([a, b]),
            [np.zeros((2, 3)), np.zeros((3, 2))],
            error=flow.ShapeError,
        ),
    )

    def identity_b(call, grad=True):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(ALL))
            return Case(call, [x], lambda v: v.copy(), grad=grad)

        return build

    spec("Tensor.contiguous", identity_b(lambda t: t.contiguous()), True)
    spec("Tensor.clone", identity_b(lambda t: t.clone()), True)
    spec("Tensor.cpu", identity_b(lambda t: t.cpu()), True)

    def detach_b(name):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(FLOATS))

            def fn(t):
                y = t * 1
                out = getattr(y, name)()
                assert not out.requires_grad
                return out

            return Case(fn, [x], lambda v: v.copy())

        return build

    spec("Tensor.detach", detach_b("detach"))
    spec("Tensor.detach_", detach_b("detach_"))


_register_shape_ops()

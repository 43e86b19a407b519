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


# ============================================================================ more shape ops
def _pair(name, fn_flow, fn_method):
    """The ``flowkit.<name>`` and ``Tensor.<name>`` call forms of one op."""
    return ((f"flowkit.{name}", fn_flow), (f"Tensor.{name}", fn_method))


def _register_more_shape_ops():  # noqa: C901 - one builder per op
    def bad_dim(call):
        def build(d):
            x = values(d.rng(), (2, 3), F32)
            return Case(lambda t: call(t, 5), [x], error=IndexError)

        return build

    # narrow
    def narrow_b(call):
        def build(d):
            x = values(d.rng(), shape(d, 1, 3), d.choice(ALL))
            dim = d.int(-x.ndim, x.ndim - 1)
            n = x.shape[dim]
            start = d.int(0, n)
            length = d.int(0, n - start)
            if start and d.bool():
                start -= n
            s0 = start % n if start < 0 else start
            key = (slice(None),) * (dim % x.ndim) + (slice(s0, s0 + length),)
            return Case(
                lambda t: call(t, dim, start, length),
                [x],
                lambda v: v[key].copy(),
                label=f"narrow {x.shape} {dim} {start} {length}",
            )

        return build

    def narrow_invalid(call):
        return lambda d: Case(
            lambda t: call(t, 0, 1, 3), [values(d.rng(), (3, 2), F32)], error=flow.ShapeError
        )

    for name, call in _pair("narrow", flow.narrow, lambda t, *a: t.narrow(*a)):
        spec(name, narrow_b(call), True, narrow_invalid(call))

    # select / unbind
    def select_b(call):
        def build(d):
            x = values(d.rng(), shape(d, 1, 3, zero=False), d.choice(ALL))
            dim = d.int(-x.ndim, x.ndim - 1)
            n = x.shape[dim]
            i = d.int(-n, n - 1)
            return Case(
                lambda t: call(t, dim, i),
                [x],
                lambda v: np.array(np.take(v, i, axis=dim)),
                label=f"select {x.shape} {dim} {i}",
            )

        return build

    for name, call in _pair("select", flow.select, lambda t, *a: t.select(*a)):
        spec(
            name,
            select_b(call),
            True,
            lambda d, call=call: Case(
                lambda t: call(t, 0, 3), [values(d.rng(), (3, 2), F32)], error=IndexError
            ),
        )

    def unbind_b(call):
        def build(d):
            x = values(d.rng(), shape(d, 1, 3), d.choice(ALL))
            dim = d.int(-x.ndim, x.ndim - 1)
            return Case(
                lambda t: call(t, dim),
                [x],
                lambda v: tuple(np.array(np.take(v, i, axis=dim)) for i in range(v.shape[dim])),
                label=f"unbind {x.shape} {dim}",
            )

        return build

    for name, call in _pair("unbind", flow.unbind, lambda t, *a: t.unbind(*a)):
        spec(name, unbind_b(call), True, bad_dim(call))

    # swapaxes / swapdims / movedim / moveaxis / t / view_as
    def swap_b(call):
        def build(d):
            x = values(d.rng(), shape(d, 1, 3), d.choice(ALL))
            a, b = d.int(-x.ndim, x.ndim - 1), d.int(-x.ndim, x.ndim - 1)
            return Case(lambda t: call(t, a, b), [x], lambda v: np.swapaxes(v, a, b).copy())

        return build

    for op in ("swapaxes", "swapdims"):
        for name, call in _pair(op, getattr(flow, op), lambda t, a, b, op=op: getattr(t, op)(a, b)):
            spec(
                name,
                swap_b(call),
                True,
                lambda d, call=call: Case(
                    lambda t: call(t, 0, 2), [values(d.rng(), (3, 2), F32)], error=IndexError
                ),
            )

    def movedim_b(call):
        def build(d):
            x = values(d.rng(), shape(d, 1, 4, sides=(2, 3, 1, 4)), d.choice(ALL))
            nd = x.ndim
            k = d.int(1, nd)
            src = list(dict.fromkeys(d.int(0, nd - 1) for _ in range(k)))
            dst = list(dict.fromkeys(d.int(0, nd - 1) for _ in range(len(src))))
            src = src[: len(dst)]
            if len(src) == 1 and d.bool():
                s, t_ = src[0] - (nd if d.bool() else 0), dst[0]
                return Case(lambda t: call(t, s, t_), [x], lambda v: np.moveaxis(v, s, t_).copy())
            return Case(
                lambda t: call(t, tuple(src), tuple(dst)),
                [x],
                lambda v: np.moveaxis(v, src, dst).copy(),
                label=f"movedim {x.shape} {src} {dst}",
            )

        return build

    for op in ("movedim", "moveaxis"):
        for name, call in _pair(op, getattr(flow, op), lambda t, a, b, op=op: getattr(t, op)(a, b)):
            spec(
                name,
                movedim_b(call),
                True,
                lambda d, call=call: Case(
                    lambda t: call(t, (0, 1), (0,)),
                    [values(d.rng(), (3, 2), F32)],
                    error=flow.ShapeError,
                ),
            )

    def t_b(call):
        def build(d):
            x = values(d.rng(), shape(d, 0, 2), d.choice(ALL))
            return Case(call, [x], lambda v: v.T.copy(), label=f"t {x.shape}")

        return build

    for name, call in _pair("t", flow.t, lambda t: t.t()):
        spec(
            name,
            t_b(call),
            True,
            lambda d, call=call: Case(
                call, [values(d.rng(), (2, 2, 2), F32)], error=flow.ShapeError
            ),
        )

    def view_as_b(d):
        x = values(d.rng(), shape(d), d.choice(ALL))
        tgt = d.choice(_reshape_targets(x.shape))
        n = x.size
        tgt = tuple(n if s == -1 else s for s in tgt) if -1 in tgt else tgt
        if -1 in tgt or int(np.prod(tgt)) != n:
            tgt = (n,)
        other = np.zeros(tgt, np.float32)
        return Case(
            lambda t, o: t.view_as(o), [x, other], lambda v, o: v.reshape(tgt).copy(), diff=(0,)
        )

    spec(
        "Tensor.view_as",
        view_as_b,
        True,
        lambda d: Case(
            lambda t, o: t.view_as(o), [np.zeros((2, 3)), np.zeros((4,))], error=flow.ShapeError
        ),
    )

    # repeat / tile / repeat_interleave / roll
    def repeat_b(d):
        x = values(d.rng(), shape(d, 0, 3), d.choice(ALL))
        reps = tuple(d.int(0 if not d.for_grad else 1, 3) for _ in range(x.ndim + d.int(0, 1)))
        star = d.bool()
        return Case(
            (lambda t: t.repeat(*reps)) if star and reps else (lambda t: t.repeat(reps)),
            [x],
            lambda v: np.tile(v, reps) if reps else v.copy(),
            label=f"repeat {x.shape} {reps}",
        )

    spec(
        "Tensor.repeat",
        repeat_b,
        True,
        lambda d: Case(
            lambda t: t.repeat(2), [values(d.rng(), (2, 3), F32)], error=flow.ShapeError
        ),
    )

    def tile_b(call):
        def build(d):
            x = values(d.rng(), shape(d, 0, 3), d.choice(ALL))
            reps = tuple(d.int(1, 3) for _ in range(d.int(1, x.ndim + 1)))
            return Case(
                lambda t: call(t, reps),
                [x],
                lambda v: np.tile(v, reps),
                label=f"tile {x.shape} {reps}",
            )

        return build

    for name, call in _pair("tile", flow.tile, lambda t, r: t.tile(r)):
        spec(
            name,
            tile_b(call),
            True,
            lambda d, call=call: Case(
                lambda t: call(t, (-1,)), [values(d.rng(), (2, 3), F32)], error=flow.ShapeError
            ),
        )

    def repeat_interleave_b(call):
        def build(d):
            x = values(d.rng(), shape(d, 0, 3), d.choice(ALL))
            dim = None if not x.ndim or d.bool() else d.int(-x.ndim, x.ndim - 1)
            n = x.size if dim is None else x.shape[dim]
            if d.bool():
                r = d.int(0, 3)
                return Case(
                    lambda t: call(t, r, dim),
                    [x],
                    lambda v: np.repeat(v, r, axis=dim),
                    label=f"repeat_interleave {x.shape} {r} {dim}",
                )
            reps = d.rng().integers(0, 3, n)
            return Case(
                lambda t: call(t, flow.tensor(reps), dim),
                [x],
                lambda v: np.repeat(v, reps, axis=dim),
                label=f"repeat_interleave {x.shape} {reps.tolist()} {dim}",
            )

        return build

    for name, call in _pair(
        "repeat_interleave", flow.repeat_interleave, lambda t, r, dd: t.repeat_interleave(r, dd)
    ):
        spec(
            name,
            repeat_interleave_b(call),
            True,
            lambda d, call=call: Case(
                lambda t: call(t, flow.tensor([1, 2]), 0),
                [values(d.rng(), (3,), F32)],
                error=flow.ShapeError,
            ),
        )

    def roll_b(call):
        def build(d):
            x = values(d.rng(), shape(d, 0, 3), d.choice(ALL))
            if not x.ndim or d.bool():
                s = d.int(-5, 5)
                return Case(
                    lambda t: call(t, s), [x], lambda v: np.roll(v, s), label=f"roll {x.shape} {s}"
                )
            k = d.int(1, x.ndim)
            dims = list(dict.fromkeys(d.int(-x.ndim, x.ndim - 1) % x.ndim for _ in range(k)))
            shifts = [d.int(-4, 4) for _ in dims]
            return Case(
                lambda t: call(t, tuple(shifts), tuple(dims)),
                [x],
                lambda v: np.roll(v, shifts, dims),
                label=f"roll {x.shape} {shifts} {dims}",
            )

        return build

    for name, call in _pair("roll", flow.roll, lambda t, *a: t.roll(*a)):
        spec(
            name,
            roll_b(call),
            True,
            lambda d, call=call: Case(
                lambda t: call(t, (1, 2), (0,)),
                [values(d.rng(), (2, 3), F32)],
                error=flow.ShapeError,
            ),
        )

    # tril / triu / diag
    for op in ("tril", "triu"):

        def tri_b(call, op=op):
            def build(d):
                x = values(d.rng(), shape(d, 2, 4, sides=(2, 3, 1, 4)), d.choice(ALL))
                k = d.int(-3, 3)
                fn = (lambda t: call(t, k)) if k or d.bool() else (lambda t: call(t))
                return Case(fn, [x], lambda v: getattr(np, op)(v, k), label=f"{op} {x.shape} {k}")

            return build

        for name, call in _pair(op, getattr(flow, op), lambda t, *a, op=op: getattr(t, op)(*a)):
            spec(
                name,
                tri_b(call),
                True,
                lambda d, call=call: Case(
                    call, [values(d.rng(), (3,), F32)], error=flow.ShapeError
                ),
            )

    def diag_b(call):
        def build(d):
            x = values(d.rng(), shape(d, 1, 2, sides=(2, 3, 1, 4)), d.choice(ALL))
            k = d.int(-3, 3)
            return Case(
                lambda t: call(t, k),
                [x],
                lambda v: np.diag(v, k).copy(),
                label=f"diag {x.shape} {k}",
            )

        return build

    for name, call in _pair("diag", flow.diag, lambda t, *a: t.diag(*a)):
        spec(
            name,
            diag_b(call),
            True,
            lambda d, call=call: Case(
                lambda t: call(t, 0), [values(d.rng(), (2, 2, 2), F32)], error=flow.ShapeError
            ),
        )

    # stride
    def stride_b(d):
        x = values(d.rng(), shape(d), d.choice(ALL))
        st = []
        acc = 1
        for n in reversed(x.shape):
            st.append(acc)
            acc *= max(n, 1)
        st = tuple(reversed(st))
        if x.ndim and d.bool():
            k = d.int(-x.ndim, x.ndim - 1)
            return Case(lambda t: t.stride(k), [x], lambda v: st[k])
        return Case(lambda t: t.stride(), [x], lambda v: st)

    spec(
        "Tensor.stride",
        stride_b,
        False,
        lambda d: Case(lambda t: t.stride(3), [values(d.rng(), (2, 3), F32)], error=IndexError),
    )


_register_more_shape_ops()

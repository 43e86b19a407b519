"""``flowkit.nn.functional``: linear, activations, softmax/log_softmax, losses (mse,
cross_entropy, nll), dropout, embedding, layer/batch norm, conv2d, max_pool2d -- against numpy
formulas of PyTorch's definitions."""

from __future__ import annotations

import math
import warnings

import numpy as np

import flowkit as flow

from ..core import FLOATS, I32, I64, INTS, Case, f64, method, shape, spec, values

F = flow.nn.functional


# ============================================================================ nn.functional
def _log_softmax(x, axis):
    if not x.size:
        return x.copy()
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def ref_softmax(x, dim, log=False):
    v = f64(x)
    if v.ndim == 0:
        out = np.zeros(()) if log else np.ones(())
    else:
        out = _log_softmax(v, dim % v.ndim)
        out = out if log else np.exp(out)
    return out.astype(x.dtype)


def ref_gelu(x, approximate="none"):
    v = f64(x)
    if approximate == "tanh":
        out = 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3)))
    else:
        erf = np.vectorize(math.erf, otypes=[np.float64])
        out = 0.5 * v * (1 + erf(v / math.sqrt(2))) if v.size else v
    return np.asarray(out).astype(x.dtype)


def ref_conv2d(x, w, b, stride, pads, dil, groups):
    """Cross-correlation, by summing shifted slices: pads = (top, bottom, left, right)."""
    unbatched = x.ndim == 3
    xv = f64(x)[None] if unbatched else f64(x)
    n, c, h, wd = xv.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(xv, ((0, 0), (0, 0), (pads[0], pads[1]), (pads[2], pads[3])))
    ho = (h + pads[0] + pads[1] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + pads[2] + pads[3] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, ho, wo))
    og = o // groups
    for g in range(groups):
        xs = xp[:, g * cg : (g + 1) * cg]
        ws = f64(w)[g * og : (g + 1) * og]
        for i in range(kh):
            for j in range(kw):
                r0, c0 = i * dil[0], j * dil[1]
                patch = xs[
                    :,
                    :,
                    r0 : r0 + stride[0] * (ho - 1) + 1 : stride[0],
                    c0 : c0 + stride[1] * (wo - 1) + 1 : stride[1],
                ]
                out[:, g * og : (g + 1) * og] += np.einsum("nchw,oc->nohw", patch, ws[:, :, i, j])
    if b is not None:
        out += f64(b)[None, :, None, None]
    out = out.astype(x.dtype)
    return out[0] if unbatched else out


def _pool_len(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window must start inside the input or its left padding
    return out


def ref_max_pool2d(x, k, s, p, dil, ceil_mode):
    unbatched = x.ndim == 3
    xv = f64(x)[None] if unbatched else f64(x)
    n, c, h, w = xv.shape
    ho = _pool_len(h, k[0], s[0], p[0], dil[0], ceil_mode)
    wo = _pool_len(w, k[1], s[1], p[1], dil[1], ceil_mode)
    extra_h = max(0, (ho - 1) * s[0] + dil[0] * (k[0] - 1) + 1 - (h + 2 * p[0]))
    extra_w = max(0, (wo - 1) * s[1] + dil[1] * (k[1] - 1) + 1 - (w + 2 * p[1]))
    xp = np.pad(
        xv,
        ((0, 0), (0, 0), (p[0], p[0] + extra_h), (p[1], p[1] + extra_w)),
        constant_values=-np.inf,
    )
    out = np.full((n, c, ho, wo), -np.inf)
    for i in range(k[0]):
        for j in range(k[1]):
            r0, c0 = i * dil[0], j * dil[1]
            out = np.maximum(
                out,
                xp[
                    :, :, r0 : r0 + s[0] * (ho - 1) + 1 : s[0], c0 : c0 + s[1] * (wo - 1) + 1 : s[1]
                ],
            )
    out = out.astype(x.dtype)
    return out[0] if unbatched else out


def ref_classification(x, t, w, ignore_index, reduction, ls, log_input):
    """PyTorch's cross_entropy (``log_input=False``: logits) and nll_loss (log-probabilities)."""
    v = f64(x)
    cax = 0 if v.ndim == 1 else 1
    c = v.shape[cax]
    logp = v if log_input else _log_softmax(v, cax)
    wv = np.ones(c) if w is None else f64(w)
    if t.dtype.kind == "f":  # class probabilities (cross_entropy only)
        p = f64(t) * (1 - ls) + ls / c
        wshape = [1] * v.ndim
        wshape[cax] = c
        per = -(logp * p * wv.reshape(wshape)).sum(axis=cax)
        out = {"none": per, "sum": per.sum(), "mean": per.sum() / (v.size // c if c else 0)}[
            reduction
        ]
        return np.asarray(out).astype(x.dtype)
    lc = np.moveaxis(logp, cax, -1)
    ign = t == ignore_index
    tt = np.where(ign, 0, t).astype(np.int64)
    picked = np.take_along_axis(lc, tt[..., None], -1)[..., 0]
    wt = np.where(ign, 0.0, wv[tt])
    nll = -picked * wt
    smooth = np.where(ign, 0.0, -(lc * wv).sum(-1))
    with np.errstate(all="ignore"):
        if reduction == "none":
            a, b_ = nll, smooth
        elif reduction == "sum":
            a, b_ = nll.sum(), smooth.sum()
        else:
            a, b_ = nll.sum() / wt.sum(), smooth.sum() / wt.sum()
        out = a if ls == 0 else (1 - ls) * a + ls / c * b_
    return np.asarray(out).astype(x.dtype)


def _register_nn():
    def linear_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        fin, fout = d.int(1, 4), d.int(1, 3)
        lead = shape(d, 0, 2)
        x, w = values(rng, lead + (fin,), dt), values(rng, (fout, fin), dt)
        ref = lambda a, ww, bb=None: (
            (
                f64(a) @ f64(ww).T + (0 if bb is None else f64(bb))  # noqa
            ).astype(dt)
        )
        if d.bool():
            return Case(
                lambda a, ww, bb: F.linear(a, ww, bb),
                [x, w, values(rng, (fout,), dt)],
                ref,
                label=f"linear {lead} {fin}->{fout} bias",
            )
        if d.bool():
            return Case(lambda a, ww: F.linear(a, ww, None), [x, w], ref)
        return Case(lambda a, ww: F.linear(a, ww), [x, w], ref, label=f"linear {lead} {fin}")

    def linear_invalid(d):
        if d.bool():
            return Case(F.linear, [np.zeros((2, 3)), np.zeros((4, 2))], error=flow.ShapeError)
        return Case(
            F.linear, [np.zeros((2, 3), np.float32), np.zeros((4, 3))], error=flow.DTypeError
        )

    spec("F.linear", linear_b, True, linear_invalid)

    def mse_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        shp = shape(d)
        red = d.choice(("mean", "sum", "none"))
        x, t = values(rng, shp, dt), values(rng, shp, dt)

        def ref(a, b):
            e = (f64(a) - f64(b)) ** 2
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return np.asarray({"none": e, "sum": e.sum(), "mean": e.mean()}[red]).astype(dt)

        if red == "mean" and d.bool():
            return Case(F.mse_loss, [x, t], ref, label=f"mse {shp}")
        return Case(
            lambda a, b: F.mse_loss(a, b, reduction=red), [x, t], ref, label=f"mse {shp} {red}"
        )

    def mse_invalid(d):
        if d.bool():
            return Case(F.mse_loss, [np.zeros((3, 1)), np.zeros((3,))], error=flow.ShapeError)
        return Case(
            lambda a, b: F.mse_loss(a, b, reduction="avg"),
            [np.zeros(2), np.zeros(2)],
            error=ValueError,
        )

    spec("F.mse_loss", mse_b, True, mse_invalid)

    def leaky_b(d):
        dt = d.choice(FLOATS)
        x = values(d.rng(), shape(d), dt, "nonzero")
        slope = d.choice((0.01, 0.2, -0.5, None))
        if slope is None:
            return Case(F.leaky_relu, [x], lambda a: np.where(a > 0, a, 0.01 * a).astype(dt))
        return Case(
            lambda a: F.leaky_relu(a, slope),
            [x],
            lambda a: np.where(a > 0, f64(a), slope * f64(a)).astype(dt),
        )

    spec(
        "F.leaky_relu",
        leaky_b,
        True,
        lambda d: Case(F.leaky_relu, [np.array([1, -2])], error=flow.DTypeError),
    )

    def gelu_b(d):
        dt = d.choice(FLOATS)
        x = (values(d.rng(), shape(d), dt) * 2).astype(dt)
        approx = d.choice((None, "none", "tanh"))
        if approx is None:
            return Case(F.gelu, [x], lambda a: ref_gelu(a))
        return Case(lambda a: F.gelu(a, approximate=approx), [x], lambda a: ref_gelu(a, approx))

    def gelu_invalid(d):
        if d.bool():
            return Case(lambda a: F.gelu(a, approximate="fast"), [np.zeros(2)], error=ValueError)
        return Case(F.gelu, [np.array([1, 2])], error=flow.DTypeError)

    spec("F.gelu", gelu_b, True, gelu_invalid)

    def softmax_b(call, log):
        def build(d):
            dt = d.choice(FLOATS + INTS)
            x = (values(d.rng(), shape(d), dt) * d.choice((1, 10))).astype(dt)
            n = max(x.ndim, 1)
            dim = d.int(-n, n - 1)
            kw = {}
            if dt.kind != "f" or d.int(0, 3) == 0:
                kw = {"dtype": d.choice((flow.float32, flow.float64))}
            cast = (lambda a: a.astype(np.dtype(kw["dtype"].name))) if kw else (lambda a: a)
            if call is None:  # F.softmax(x) without dim: PyTorch's legacy choice, with a warning
                legacy = 0 if x.ndim in (0, 1, 3) else 1

                def fn(t):
                    with warnings.catch_warnings(record=True) as w:
                        warnings.simplefilter("always")
                        out = (F.log_softmax if log else F.softmax)(t, **kw)
                    assert any(issubclass(r.category, UserWarning) for r in w), "no warning"
                    return out

                return Case(
                    fn,
                    [x],
                    lambda a: ref_softmax(cast(a), legacy, log),
                    grad=kw.get("dtype") is not flow.float32,
                    label=f"{x.shape} implicit dim",
                )
            return Case(
                lambda t: call(t, dim, **kw),
                [x],
                lambda a: ref_softmax(cast(a), dim, log),
                grad=kw.get("dtype") is not flow.float32,  # float32 would blur FD
                label=f"{'log_' if log else ''}softmax {x.dtype}{x.shape} {dim} {kw}",
            )

        return build

    def softmax_invalid(call):
        def build(d):
            if d.bool():
                return Case(lambda t: call(t, 0), [np.array([1, 2])], error=flow.DTypeError)
            return Case(lambda t: call(t, 2), [np.zeros((2, 2))], error=IndexError)

        return build

    for log in (False, True):
        name = "log_softmax" if log else "softmax"
        fcall = getattr(F, name)
        spec(
            f"F.{name}",
            softmax_b(lambda t, dim, fcall=fcall, **kw: fcall(t, dim=dim, **kw), log),
            True,
            softmax_invalid(fcall),
        )
        spec(f"F.{name}[implicit_dim]", softmax_b(None, log), True)
        mcall = method(name)
        spec(f"Tensor.{name}", softmax_b(mcall, log), True, softmax_invalid(mcall))

    def dropout_b(d):
        dt = d.choice(FLOATS)
        x = values(d.rng(), shape(d), dt, "nonzero")
        p = d.choice((0.0, 0.25, 0.5, 0.9, 1.0))
        training = d.choice((True, True, False, None))
        seed = d.int(0, 1000)
        kw = {} if training is None else {"training": training}
        if d.bool():
            kw["inplace"] = False  # accepted for PyTorch code; flowkit returns a new tensor
        if training is False or p == 0:
            return Case(
                lambda t: F.dropout(t, p, **kw),
                [x],
                lambda a: a.copy(),
                seed=seed,
                label=f"dropout p={p} {kw}",
            )

        def check(out, arrays):
            a = f64(arrays[0])
            v = f64(out.numpy())
            assert out.dtype.name == dt.name and tuple(out.shape) == a.shape
            kept = np.isclose(v, a / (1 - p), rtol=1e-6) if p < 1 else np.zeros(a.shape, bool)
            assert (kept | (v == 0)).all(), "dropout values are 0 or x / (1 - p)"
            flow.manual_seed(seed)
            again = F.dropout(flow.tensor(arrays[0]), p, **kw)
            assert np.array_equal(again.numpy(), out.numpy()), "a seed gives the same mask"

        return Case(
            lambda t: F.dropout(t, p, **kw),
            [x],
            check=check,
            seed=seed,
            label=f"dropout p={p} {x.shape}",
        )

    def dropout_invalid(d):
        if d.bool():
            return Case(lambda t: F.dropout(t, 1.5), [np.zeros(3)], error=ValueError)
        return Case(lambda t: F.dropout(t, 0.5), [np.array([1, 2])], error=flow.DTypeError)

    spec("F.dropout", dropout_b, True, dropout_invalid)

    def embedding_b(d):
        rng = d.rng()
        n, dim = d.int(1, 5), d.int(1, 3)
        w = values(rng, (n, dim), d.choice(FLOATS))
        idx = rng.integers(0, n, shape(d, 0, 2)).astype(d.choice((I64, I32)))
        pad = d.choice((None, None, 0, -1, n - 1))

        def fix(fd, arrays, diff):  # the padding row gets no gradient (PyTorch's rule)
            if pad is None:
                return fd
            kind, num = fd[0][0], fd[0][1].copy()
            num[pad % n] = 0
            return [(kind, num)]

        call = (
            (lambda i, ww: F.embedding(i, ww))
            if pad is None
            else (lambda i, ww: F.embedding(i, ww, padding_idx=pad))
        )
        return Case(
            call,
            [idx, w],
            lambda i, ww: ww[i],
            grad_fix=fix,
            label=f"embedding {idx.shape} {w.shape} pad={pad}",
        )

    def embedding_invalid(d):
        kind = d.choice(("range", "float", "weight", "padding"))
        if kind == "padding":
            return Case(
                lambda i, w: F.embedding(i, w, padding_idx=3),
                [np.array([0]), np.zeros((3, 2))],
                error=ValueError,
            )
        if kind == "range":
            return Case(F.embedding, [np.array([0, 5]), np.zeros((3, 2))], error=IndexError)
        if kind == "float":
            return Case(F.embedding, [np.array([0.0]), np.zeros((3, 2))], error=flow.DTypeError)
        return Case(F.embedding, [np.array([0]), np.zeros((3,))], error=flow.ShapeError)

    spec("F.embedding", embedding_b, True, embedding_invalid)

    def layer_norm_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        lead = shape(d, 0, 2)
        ns = shape(d, 1, 2, zero=False)
        x = values(rng, lead + ns, dt)
        affine = d.choice(("none", "weight", "both", "bias"))
        eps = d.choice((1e-5, 1e-3))
        arg = ns[0] if len(ns) == 1 and d.bool() else ns
        k = len(ns)

        def ref(a, ww=None, bb=None):
            v = f64(a)
            ax = tuple(range(v.ndim - k, v.ndim))
            m = v.mean(axis=ax, keepdims=True) if v.size else v
            var = ((v - m) ** 2).mean(axis=ax, keepdims=True) if v.size else v
            out = (v - m) / np.sqrt(var + eps)
            if ww is not None:
                out = out * f64(ww)
            if bb is not None:
                out = out + f64(bb)
            return out.astype(dt)

        if affine == "none":
            return Case(lambda a: F.layer_norm(a, arg, eps=eps), [x], ref, label=f"{x.shape} {ns}")
        if affine == "weight":
            return Case(
                lambda a, ww: F.layer_norm(a, arg, ww, eps=eps), [x, values(rng, ns, dt)], ref
            )
        if affine == "bias":
            return Case(
                lambda a, bb: F.layer_norm(a, arg, None, bb, eps),
                [x, values(rng, ns, dt)],
                lambda a, bb: ref(a, None, bb),
            )
        return Case(
            lambda a, ww, bb: F.layer_norm(a, arg, ww, bb, eps),
            [x, values(rng, ns, dt), values(rng, ns, dt)],
            ref,
        )

    def layer_norm_invalid(d):
        kind = d.choice(("shape", "dtype", "int"))
        if kind == "shape":
            return Case(lambda a: F.layer_norm(a, (4,)), [np.zeros((2, 3))], error=flow.ShapeError)
        if kind == "dtype":
            return Case(
                lambda a, w: F.layer_norm(a, (3,), w),
                [np.zeros((2, 3), np.float32), np.ones(3)],
                error=flow.DTypeError,
            )
        return Case(lambda a: F.layer_norm(a, (3,)), [np.zeros((2, 3), I64)], error=flow.DTypeError)

    spec("F.layer_norm", layer_norm_b, True, layer_norm_invalid)

    def batch_norm_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        n, c = d.int(2, 4), d.int(1, 3)
        x = values(rng, (n, c) + d.choice(((), (3,), (2, 2))), dt)
        w, b = values(rng, (c,), dt), values(rng, (c,), dt)
        rm, rv = values(rng, (c,), dt), values(rng, (c,), dt, "pos")
        training = d.bool()
        stats = d.bool() or not training
        affine = d.choice(("none", "both", "weight", "bias"))
        mom, eps = d.choice((0.1, 0.5)), d.choice((1e-5, 1e-3))
        ax = (0,) + tuple(range(2, x.ndim))
        bshape = (1, c) + (1,) * (x.ndim - 2)

        def ref(a, *rest):
            v = f64(a)
            r_m, r_v = (f64(rest[0]), f64(rest[1])) if stats else (None, None)
            if training:
                mean, var = v.mean(axis=ax), v.var(axis=ax)
                cnt = v.size // c
            else:
                mean, var = r_m, r_v
            out = (v - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + eps)
            if affine in ("both", "weight"):
                out = out * f64(rest[-2 if affine == "both" else -1]).reshape(bshape)
            if affine in ("both", "bias"):
                out = out + f64(rest[-1]).reshape(bshape)
            res = [out.astype(dt)]
            if stats:
                if training:
                    r_m = (1 - mom) * r_m + mom * mean
                    r_v = (1 - mom) * r_v + mom * var * cnt / (cnt - 1)
                res += [r_m.astype(dt), r_v.astype(dt)]
            return tuple(res)

        def fn(a, *rest):
            r_m, r_v = (rest[0], rest[1]) if stats else (None, None)
            ww = rest[-2 if affine == "both" else -1] if affine in ("both", "weight") else None
            bb = rest[-1] if affine in ("both", "bias") else None
            out = F.batch_norm(a, r_m, r_v, ww, bb, training=training, momentum=mom, eps=eps)
            return (out, r_m, r_v) if stats else (out,)

        extra = {"none": [], "both": [w, b], "weight": [w], "bias": [b]}[affine]
        arrays = [x] + ([rm, rv] if stats else []) + extra
        diff = (0,) + tuple(range(len(arrays) - len(extra), len(arrays)))
        return Case(
            fn,
            arrays,
            ref,
            diff=diff,
            label=f"batch_norm {x.shape} training={training} stats={stats}",
        )

    def batch_norm_invalid(d):
        kind = d.choice(("one_value", "no_stats", "channels", "1d"))
        if kind == "one_value":
            return Case(
                lambda a: F.batch_norm(a, None, None, training=True),
                [np.zeros((1, 3))],
                error=ValueError,
            )
        if kind == "no_stats":
            return Case(lambda a: F.batch_norm(a, None, None), [np.zeros((2, 3))], error=ValueError)
        if kind == "channels":
            return Case(
                lambda a, m, v: F.batch_norm(a, m, v),
                [np.zeros((2, 3)), np.zeros(2), np.ones(2)],
                error=flow.ShapeError,
            )
        return Case(
            lambda a, m, v: F.batch_norm(a, m, v),
            [np.zeros(3), np.zeros(3), np.ones(3)],
            error=flow.ShapeError,
        )

    spec("F.batch_norm", batch_norm_b, True, batch_norm_invalid)

    def conv_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        groups = d.choice((1, 1, 2))
        cin, cout = groups * d.int(1, 2), groups * d.int(1, 2)
        kh, kw = d.int(1, 3), d.int(1, 3)
        dil = d.choice((1, (1, 2), (2, 1)))
        dl = (dil, dil) if isinstance(dil, int) else dil
        pad = d.choice((0, 1, (1, 0), "same", "valid"))
        stride = 1 if pad == "same" else d.choice((1, 2, (2, 1)))
        st = (stride, stride) if isinstance(stride, int) else stride
        h = d.int(dl[0] * (kh - 1) + 1, 5)
        w = d.int(dl[1] * (kw - 1) + 1, 5)
        unbatched = d.int(0, 4) == 0
        xs = (cin, h, w) if unbatched else (d.choice((1, 2, 0)), cin, h, w)
        x, wt = values(rng, xs, dt), values(rng, (cout, cin // groups, kh, kw), dt)
        if pad == "same":
            th, tw = dl[0] * (kh - 1), dl[1] * (kw - 1)
            pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        elif pad == "valid":
            pads = (0, 0, 0, 0)
        else:
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            pads = (ph, ph, pw, pw)
        kwargs = {"stride": stride, "padding": pad, "dilation": dil, "groups": groups}
        label = f"conv2d {xs} {wt.shape} {kwargs}"
        if d.bool():
            return Case(
                lambda a, ww, bb: F.conv2d(a, ww, bb, **kwargs),
                [x, wt, values(rng, (cout,), dt)],
                lambda a, ww, bb: ref_conv2d(a, ww, bb, st, pads, dl, groups),
                label=label + " bias",
            )
        return Case(
            lambda a, ww: F.conv2d(a, ww, **kwargs),
            [x, wt],
            lambda a, ww: ref_conv2d(a, ww, None, st, pads, dl, groups),
            label=label,
        )

    def conv_invalid(d):
        kind = d.choice(("channels", "small", "same_stride", "groups", "int"))
        x = np.zeros((1, 2, 4, 4))
        if kind == "channels":
            return Case(F.conv2d, [x, np.zeros((3, 3, 2, 2))], error=flow.ShapeError)
        if kind == "small":
            return Case(F.conv2d, [x, np.zeros((3, 2, 5, 5))], error=flow.ShapeError)
        if kind == "same_stride":
            return Case(
                lambda a, w: F.conv2d(a, w, stride=2, padding="same"),
                [x, np.zeros((3, 2, 3, 3))],
                error=ValueError,
            )
        if kind == "groups":
            return Case(
                lambda a, w: F.conv2d(a, w, groups=2), [x, np.zeros((3, 1, 3, 3))], error=ValueError
            )
        return Case(F.conv2d, [x.astype(I64), np.zeros((3, 2, 2, 2), I64)], error=flow.DTypeError)

    spec("F.conv2d", conv_b, True, conv_invalid)

    def pool_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        k = (d.int(1, 3), d.int(1, 3))
        kernel = k if d.bool() else (k[0] if k[0] == k[1] else k)
        dil = (d.int(1, 2), d.int(1, 2))
        pad = tuple(d.int(0, kk // 2) for kk in k)
        stride = d.choice((None, 1, (2, 1), 2))
        st = k if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
        ceil = d.bool()
        h = d.int(dil[0] * (k[0] - 1) + 1, 6)
        w = d.int(dil[1] * (k[1] - 1) + 1, 6)
        unbatched = d.int(0, 4) == 0
        xs = (d.int(1, 2), h, w) if unbatched else (d.int(1, 2), d.int(1, 2), h, w)
        x = values(rng, xs, dt)
        return Case(
            lambda a: F.max_pool2d(a, kernel, stride, pad, dil, ceil_mode=ceil),
            [x],
            lambda a: ref_max_pool2d(a, k, st, pad, dil, ceil),
            label=f"max_pool2d {xs} k={kernel} s={stride} p={pad} d={dil} ceil={ceil}",
        )

    def pool_invalid(d):
        kind = d.choice(("padding", "small", "int", "2d", "indices"))
        if kind == "indices":
            return Case(
                lambda a: F.max_pool2d(a, 2, return_indices=True),
                [np.zeros((1, 1, 2, 2))],
                error=NotImplementedError,
            )
        if kind == "padding":
            return Case(
                lambda a: F.max_pool2d(a, 2, padding=2), [np.zeros((1, 1, 4, 4))], error=ValueError
            )
        if kind == "small":
            return Case(
                lambda a: F.max_pool2d(a, 3), [np.zeros((1, 1, 2, 2))], error=flow.ShapeError
            )
        if kind == "int":
            return Case(
                lambda a: F.max_pool2d(a, 2), [np.zeros((1, 1, 2, 2), I64)], error=flow.DTypeError
            )
        return Case(lambda a: F.max_pool2d(a, 2), [np.zeros((4, 4))], error=flow.ShapeError)

    spec("F.max_pool2d", pool_b, True, pool_invalid)

    def cls_b(op):
        def build(d):
            rng = d.rng()
            dt = d.choice(FLOATS)
            c = d.int(1, 4)
            xs = d.choice(((c,), (3, c), (2, c, 2, 3), (0, c)))
            ts = xs[:1] + xs[2:] if len(xs) > 1 else ()
            red = d.choice(("mean", "sum", "none"))
            w = values(rng, (c,), dt, "pos") if d.bool() else None
            x = (values(rng, xs, dt) * 3).astype(dt)
            ls = d.choice((0.0, 0.1, 0.3)) if op == "cross_entropy" else 0.0
            ii = d.choice((-100, 1))
            kw = {"reduction": red, "ignore_index": ii}
            if op == "cross_entropy":
                kw["label_smoothing"] = ls
            call = getattr(F, op)
            log_input = op == "nll_loss"
            if op == "cross_entropy" and d.int(0, 2) == 0:  # class probabilities
                # PyTorch takes no ignore_index >= 0 with probabilities: see cls_invalid
                ii = kw["ignore_index"] = -100
                p = rng.dirichlet(np.ones(c), ts)
                p = np.moveaxis(p, -1, 1) if p.ndim > 1 else p
                p = p.astype(dt)
                arrays = [x, p] + ([w] if w is not None else [])
                return Case(
                    lambda a, t, *ww: call(a, t, *ww, **kw),
                    arrays,
                    lambda a, t, *ww: ref_classification(
                        a, t, ww[0] if ww else None, ii, red, ls, False
                    ),
                    diff=(0, 1),
                    label=f"{op} probs {xs} {kw} weight={w is not None}",
                )
            t = rng.integers(0, c, ts)
            if t.size and d.bool():
                mask = rng.random(t.shape) < 0.3
                t = np.where(mask, ii, t)  # ignored targets (all of them now and then)
            arrays = [x, t.astype(I64)] + ([w] if w is not None else [])
            # PyTorch differentiates neither the class weights nor the targets' indices
            return Case(
                lambda a, tt, *ww: call(a, tt, *ww, **kw),
                arrays,
                lambda a, tt, *ww: ref_classification(
                    a, tt, ww[0] if ww else None, ii, red, ls, log_input
                ),
                diff=(0,),
                label=f"{op} {xs} t={t.tolist()} {kw} weight={w is not None}",
            )

        return build

    def cls_invalid(op):
        call = getattr(F, op)

        def build(d):
            kind = d.choice(
                ("range", "shape", "float_target", "reduction", "weight", "smooth", "probs_ignore")
            )
            x = np.zeros((3, 4))
            if kind == "smooth" and op == "cross_entropy":
                return Case(
                    lambda a, t: call(a, t, label_smoothing=1.5),
                    [x, np.array([0, 1, 2])],
                    error=ValueError,
                )
            if kind == "probs_ignore" and op == "cross_entropy":
                return Case(
                    lambda a, t: call(a, t, ignore_index=1),
                    [x, np.full((3, 4), 0.25)],
                    error=ValueError,
                )
            if kind == "range":
                return Case(call, [x, np.array([0, 4, 1])], error=IndexError)
            if kind == "shape":
                return Case(call, [x, np.array([[0], [1], [2]])], error=flow.ShapeError)
            if kind == "float_target":
                return Case(call, [x, np.array([0.0, 1.0, 2.0])], error=flow.DTypeError)
            if kind == "reduction":
                return Case(
                    lambda a, t: call(a, t, reduction="avg"),
                    [x, np.array([0, 1, 2])],
                    error=ValueError,
                )
            return Case(
                lambda a, t, w: call(a, t, w),
                [x, np.array([0, 1, 2]), np.ones(3)],
                error=flow.ShapeError,
            )

        return build

    for op in ("cross_entropy", "nll_loss"):
        spec(f"F.{op}", cls_b(op), True, cls_invalid(op))


_register_nn()

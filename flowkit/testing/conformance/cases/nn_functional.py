"""``flowkit.nn.functional``: linear, activations, softmax/log_softmax, losses (mse,
cross_entropy, nll), dropout, embedding, layer/batch norm, conv2d, max_pool2d -- against numpy
formulas of PyTorch's definitions."""

from __future__ import annotations

import math
import warnings

import numpy as np

import flowkit as flow

from ..core import FLOATS, I32, I64, INTS, SPECS, Case, f64, method, shape, spec, values

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


# ============================================================================ recurrent layers
# (issue 12, part 6) The backend op ``rnn_layer`` (one layer-direction of nn.RNN/LSTM/GRU) is
# not a public op of its own, so these builders are not registered as specs: tests/test_nn_rnn.py
# runs them through the kit's checks (forward against this numpy reference, float64 gradients
# against finite differences) on the backend of its process.
RNN_MODES = ("lstm", "gru", "rnn_tanh", "rnn_relu")
_RNN_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def ref_rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, lengths):
    """PyTorch's recurrences step by step in float64: ``(output, h_n, c_n)``; past a sequence's
    length its state is carried and its output is zero; ``reverse`` walks from the last step."""
    x, h, w_ih, w_hh = f64(x), f64(h0), f64(w_ih), f64(w_hh)
    c = f64(c0) if c0 is not None else None
    t_len, b = x.shape[:2]
    hs = w_hh.shape[1]
    bi = f64(b_ih) if b_ih is not None else np.zeros(w_ih.shape[0])
    bh = f64(b_hh) if b_hh is not None else np.zeros(w_ih.shape[0])
    lens = np.full(b, t_len) if lengths is None else np.asarray(lengths)
    out = np.zeros((t_len, b, hs))
    for t in range(t_len - 1, -1, -1) if reverse else range(t_len):
        gi = x[t] @ w_ih.T + bi
        gh = h @ w_hh.T + bh
        cn = None
        if mode == "lstm":
            i, f, g, o = np.split(gi + gh, 4, axis=1)
            cn = _sig(f) * c + _sig(i) * np.tanh(g)
            hn = _sig(o) * np.tanh(cn)
        elif mode == "gru":
            r = _sig(gi[:, :hs] + gh[:, :hs])
            z = _sig(gi[:, hs : 2 * hs] + gh[:, hs : 2 * hs])
            n = np.tanh(gi[:, 2 * hs :] + r * gh[:, 2 * hs :])
            hn = (1 - z) * n + z * h
        else:
            a = gi + gh
            hn = np.tanh(a) if mode == "rnn_tanh" else np.maximum(a, 0)
        live = (t < lens)[:, None]
        out[t] = np.where(live, hn, 0.0)
        h = np.where(live, hn, h)
        if cn is not None:
            c = np.where(live, cn, c)
    return out, h, c


def rnn_layer_case(d) -> Case:
    """One call of the backend's ``rnn_layer`` with drawn mode, sizes, bias, direction and
    lengths, against `ref_rnn_layer`."""
    rng = d.rng()
    mode = d.choice(RNN_MODES)
    dt = d.choice(FLOATS)
    t_len, b, i_size, hs = d.int(1, 3), d.int(1, 2), d.int(1, 2), d.int(1, 2)
    g = _RNN_GATES[mode] * hs
    bias = d.bool()
    reverse = d.bool()
    lengths = tuple(d.int(1, t_len) for _ in range(b)) if d.bool() else None
    arrays = [
        values(rng, (t_len, b, i_size), dt),
        values(rng, (b, hs), dt, "unit"),
        values(rng, (b, hs), dt, "unit"),
        values(rng, (g, i_size), dt, "unit"),
        values(rng, (g, hs), dt, "unit"),
    ]
    if bias:
        arrays += [values(rng, (g,), dt, "unit"), values(rng, (g,), dt, "unit")]
    lstm = mode == "lstm"

    def fn(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None):
        out, h, c = flow.backend().rnn_layer(
            mode, x, h0, c0 if lstm else None, w_ih, w_hh, b_ih, b_hh, reverse, lengths
        )
        return (out, h, c) if lstm else (out, h)

    def ref(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None):
        out, h, c = ref_rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, lengths)
        res = (out, h, c) if lstm else (out, h)
        return tuple(r.astype(x.dtype) for r in res)

    if mode == "rnn_relu":
        # keep the pre-activations away from relu's kink (finite differences across it)
        arrays[0] = np.abs(arrays[0]).astype(dt) + np.asarray(0.1, dt)
        arrays[3] = np.abs(arrays[3]).astype(dt)
        arrays[4] = np.abs(arrays[4]).astype(dt)
        arrays[1] = np.abs(arrays[1]).astype(dt)
        if bias:
            arrays[5] = np.abs(arrays[5]).astype(dt)
            arrays[6] = np.abs(arrays[6]).astype(dt)
    return Case(
        fn,
        arrays,
        ref,
        diff=tuple(i for i in range(len(arrays)) if lstm or i != 2),
        rtol=1e-4 if dt == np.float32 else None,
        atol=1e-5 if dt == np.float32 else None,
        label=f"rnn_layer {mode} T={t_len} B={b} I={i_size} H={hs} bias={bias} "
        f"reverse={reverse} lengths={lengths} {dt}",
    )


# ==================================================================================================
# Convolution, pooling, normalization, resampling and padding layers (issue 12, part 5):
# conv1d, conv_transpose2d, avg/max/adaptive pools, group/instance norm, interpolate, pad.
# ==================================================================================================
def ref_conv_transpose2d(x, w, b, stride, pad, out_pad, groups, dil):
    """The transposed convolution by scattering each kernel tap's contribution."""
    unbatched = x.ndim == 3
    xv = f64(x)[None] if unbatched else f64(x)
    wv = f64(w)
    n, c, h, wd = xv.shape
    _, og, kh, kw = wv.shape
    cg = c // groups
    ho = (h - 1) * stride[0] - 2 * pad[0] + dil[0] * (kh - 1) + out_pad[0] + 1
    wo = (wd - 1) * stride[1] - 2 * pad[1] + dil[1] * (kw - 1) + out_pad[1] + 1
    full = np.zeros(
        (n, og * groups, max(pad[0] + ho, (h - 1) * stride[0] + dil[0] * (kh - 1) + 1),
         max(pad[1] + wo, (wd - 1) * stride[1] + dil[1] * (kw - 1) + 1))
    )  # fmt: skip
    for g in range(groups):
        xs = xv[:, g * cg : (g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                r0, c0 = i * dil[0], j * dil[1]
                full[
                    :,
                    g * og : (g + 1) * og,
                    r0 : r0 + stride[0] * (h - 1) + 1 : stride[0],
                    c0 : c0 + stride[1] * (wd - 1) + 1 : stride[1],
                ] += np.einsum("nchw,co->nohw", xs, wv[g * cg : (g + 1) * cg, :, i, j])
    out = full[:, :, pad[0] : pad[0] + ho, pad[1] : pad[1] + wo]
    if b is not None:
        out = out + f64(b)[None, :, None, None]
    out = out.astype(x.dtype)
    return out[0] if unbatched else out


def ref_avg_pool2d(x, k, s, p, ceil_mode, count_include_pad, divisor=None):
    """PyTorch's average pooling, one output position at a time (its divisor rules)."""
    unbatched = x.ndim == 3
    xv = f64(x)[None] if unbatched else f64(x)
    n, c, h, w = xv.shape
    ho = _pool_len(h, k[0], s[0], p[0], 1, ceil_mode)
    wo = _pool_len(w, k[1], s[1], p[1], 1, ceil_mode)
    out = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            hs, ws = i * s[0] - p[0], j * s[1] - p[1]
            he, we = min(hs + k[0], h + p[0]), min(ws + k[1], w + p[1])
            pool = (he - hs) * (we - ws)
            hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
            total = xv[:, :, hs:he, ws:we].sum(axis=(2, 3))
            dv = divisor or (pool if count_include_pad else (he - hs) * (we - ws))
            out[:, :, i, j] = total / dv
    out = out.astype(x.dtype)
    return out[0] if unbatched else out


def ref_adaptive_pool2d(x, size, reduce):
    unbatched = x.ndim == 3
    xv = f64(x)[None] if unbatched else f64(x)
    n, c, h, w = xv.shape
    out = np.zeros((n, c) + tuple(size))
    for i in range(size[0]):
        hs, he = (i * h) // size[0], -(-(i + 1) * h // size[0])
        for j in range(size[1]):
            ws, we = (j * w) // size[1], -(-(j + 1) * w // size[1])
            out[:, :, i, j] = reduce(xv[:, :, hs:he, ws:we], axis=(2, 3))
    out = out.astype(x.dtype)
    return out[0] if unbatched else out


def ref_group_norm(x, groups, w, b, eps):
    v = f64(x)
    n, c = v.shape[:2]
    g = v.reshape(n, groups, -1)
    m = g.mean(axis=2, keepdims=True)
    var = g.var(axis=2, keepdims=True)
    out = ((g - m) / np.sqrt(var + eps)).reshape(v.shape)
    bshape = (1, c) + (1,) * (v.ndim - 2)
    if w is not None:
        out = out * f64(w).reshape(bshape)
    if b is not None:
        out = out + f64(b).reshape(bshape)
    return out.astype(x.dtype)


def _resample_src(out_len, in_len, mode, align_corners, scale):
    """PyTorch's source coordinates (nearest: indices; linear: (i0, i1, lambda))."""
    res = []
    for d in range(out_len):
        if mode == "nearest":
            sc = np.float32(1.0 / scale) if scale else np.float32(in_len) / np.float32(out_len)
            res.append(min(int(np.floor(np.float32(d) * sc)), in_len - 1))
            continue
        if align_corners:
            src = d * ((in_len - 1) / (out_len - 1) if out_len > 1 else 0.0)
        else:
            sc = 1.0 / scale if scale else in_len / out_len
            src = max(sc * (d + 0.5) - 0.5, 0.0)
        i0 = min(int(math.floor(src)), in_len - 1)
        res.append((i0, min(i0 + 1, in_len - 1), src - i0))
    return res


def ref_interpolate(x, size, mode, align_corners, scales):
    v = f64(x)
    out = v
    for ax_i in range(len(size)):
        ax = 2 + ax_i
        src = _resample_src(size[ax_i], v.shape[ax], mode, align_corners, scales[ax_i])
        moved = np.moveaxis(out, ax, 0)
        if mode == "nearest":
            res = moved[np.array(src, dtype=np.int64)]
        else:
            res = np.stack([(1 - lam) * moved[i0] + lam * moved[i1] for i0, i1, lam in src])
        out = np.moveaxis(res, 0, ax)
    return out.astype(x.dtype)


def ref_pad(x, pads, mode, value):
    k = len(pads) // 2
    width = [(0, 0)] * (x.ndim - k) + [(pads[2 * i], pads[2 * i + 1]) for i in range(k)][::-1]
    if mode == "constant":
        return np.pad(x, width, constant_values=value).astype(x.dtype)
    return np.pad(x, width, mode={"reflect": "reflect", "replicate": "edge"}[mode])


def _register_nn_layers():
    def conv1d_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        groups = d.choice((1, 1, 2))
        cin, cout = groups * d.int(1, 2), groups * d.int(1, 2)
        k = d.int(1, 3)
        dil = d.choice((1, 2))
        pad = d.choice((0, 1, "same", "valid"))
        stride = 1 if pad == "same" else d.choice((1, 2))
        length = d.int(dil * (k - 1) + 1, 6)
        unbatched = d.int(0, 4) == 0
        xs = (cin, length) if unbatched else (d.choice((1, 2)), cin, length)
        x, wt = values(rng, xs, dt), values(rng, (cout, cin // groups, k), dt)
        if pad == "same":
            t = dil * (k - 1)
            pads = (0, 0, t // 2, t - t // 2)
        else:
            p = 0 if pad == "valid" else pad
            pads = (0, 0, p, p)
        kwargs = {"stride": stride, "padding": pad, "dilation": dil, "groups": groups}

        def ref(a, ww, bb=None):
            a4 = a[..., None, :]
            out = ref_conv2d(a4, ww[:, :, None, :], bb, (1, stride), pads, (1, dil), groups)
            return out[..., 0, :]

        if d.bool():
            return Case(
                lambda a, ww, bb: F.conv1d(a, ww, bb, **kwargs),
                [x, wt, values(rng, (cout,), dt)],
                ref,
                label=f"conv1d {xs} {wt.shape} {kwargs} bias",
            )
        return Case(
            lambda a, ww: F.conv1d(a, ww, **kwargs), [x, wt], ref, label=f"conv1d {xs} {kwargs}"
        )

    def conv1d_invalid(d):
        kind = d.choice(("channels", "small", "same_stride", "4d"))
        x = np.zeros((1, 2, 4))
        if kind == "channels":
            return Case(F.conv1d, [x, np.zeros((3, 3, 2))], error=flow.ShapeError)
        if kind == "small":
            return Case(F.conv1d, [x, np.zeros((3, 2, 5))], error=flow.ShapeError)
        if kind == "same_stride":
            return Case(
                lambda a, w: F.conv1d(a, w, stride=2, padding="same"),
                [x, np.zeros((3, 2, 3))],
                error=ValueError,
            )
        return Case(F.conv1d, [x, np.zeros((3, 2, 2, 2))], error=flow.ShapeError)

    spec("F.conv1d", conv1d_b, True, conv1d_invalid)

    def convt_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        groups = d.choice((1, 1, 2))
        cin, og = groups * d.int(1, 2), d.int(1, 2)
        kh, kw = d.int(1, 3), d.int(1, 3)
        st = (d.int(1, 2), d.int(1, 2))
        dl = (d.int(1, 2), d.int(1, 2))
        pd = (d.int(0, 1), d.int(0, 1))
        opd = tuple(d.int(0, max(s, dd) - 1) for s, dd in zip(st, dl))
        h, w = d.int(1, 4), d.int(1, 4)
        ho = (h - 1) * st[0] - 2 * pd[0] + dl[0] * (kh - 1) + opd[0] + 1
        wo = (w - 1) * st[1] - 2 * pd[1] + dl[1] * (kw - 1) + opd[1] + 1
        if ho < 1 or wo < 1:
            pd = (0, 0)
        unbatched = d.int(0, 4) == 0
        xs = (cin, h, w) if unbatched else (d.choice((1, 2)), cin, h, w)
        x, wt = values(rng, xs, dt), values(rng, (cin, og, kh, kw), dt)
        kwargs = {
            "stride": st,
            "padding": pd,
            "output_padding": opd,
            "groups": groups,
            "dilation": dl,
        }
        if d.bool():
            return Case(
                lambda a, ww, bb: F.conv_transpose2d(a, ww, bb, **kwargs),
                [x, wt, values(rng, (og * groups,), dt)],
                lambda a, ww, bb: ref_conv_transpose2d(a, ww, bb, st, pd, opd, groups, dl),
                label=f"conv_transpose2d {xs} {wt.shape} {kwargs} bias",
            )
        return Case(
            lambda a, ww: F.conv_transpose2d(a, ww, **kwargs),
            [x, wt],
            lambda a, ww: ref_conv_transpose2d(a, ww, None, st, pd, opd, groups, dl),
            label=f"conv_transpose2d {xs} {wt.shape} {kwargs}",
        )

    def convt_invalid(d):
        kind = d.choice(("channels", "output_padding", "groups", "int"))
        x = np.zeros((1, 2, 3, 3))
        if kind == "channels":
            return Case(F.conv_transpose2d, [x, np.zeros((3, 2, 2, 2))], error=flow.ShapeError)
        if kind == "output_padding":
            return Case(
                lambda a, w: F.conv_transpose2d(a, w, output_padding=1),
                [x, np.zeros((2, 2, 2, 2))],
                error=ValueError,
            )
        if kind == "groups":
            return Case(
                lambda a, w: F.conv_transpose2d(a, w, groups=4),
                [x, np.zeros((2, 1, 2, 2))],
                error=ValueError,
            )
        return Case(
            F.conv_transpose2d, [x.astype(I64), np.zeros((2, 1, 2, 2), I64)], error=flow.DTypeError
        )

    spec("F.conv_transpose2d", convt_b, True, convt_invalid)

    def avg_pool2d_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        k = (d.int(1, 3), d.int(1, 3))
        pad = tuple(d.int(0, kk // 2) for kk in k)
        stride = d.choice((None, 1, (2, 1), 2))
        st = k if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
        ceil, cip = d.bool(), d.bool()
        div = d.choice((None, None, None, 3))
        h, w = d.int(k[0], 6), d.int(k[1], 6)
        unbatched = d.int(0, 4) == 0
        xs = (d.int(1, 2), h, w) if unbatched else (d.int(1, 2), d.int(1, 2), h, w)
        return Case(
            lambda a: F.avg_pool2d(a, k, stride, pad, ceil, cip, div),
            [values(rng, xs, dt)],
            lambda a: ref_avg_pool2d(a, k, st, pad, ceil, cip, div),
            label=f"avg_pool2d {xs} k={k} s={stride} p={pad} ceil={ceil} cip={cip} div={div}",
        )

    def pool_invalid(call, nd):
        def build(d):
            kind = d.choice(("padding", "small", "int", "dims"))
            x = np.zeros((1, 1) + (4,) * nd)
            if kind == "padding":
                return Case(lambda a: call(a, 2, padding=2), [x], error=ValueError)
            if kind == "small":
                return Case(lambda a: call(a, 5), [x], error=flow.ShapeError)
            if kind == "int":
                return Case(lambda a: call(a, 2), [x.astype(I64)], error=flow.DTypeError)
            return Case(lambda a: call(a, 2), [np.zeros((4,) * (nd + 3))], error=flow.ShapeError)

        return build

    spec("F.avg_pool2d", avg_pool2d_b, True, pool_invalid(F.avg_pool2d, 2))

    def avg_pool1d_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        k = d.int(1, 3)
        pad = d.int(0, k // 2)
        stride = d.choice((None, 1, 2))
        st = k if stride is None else stride
        ceil, cip = d.bool(), d.bool()
        length = d.int(k, 7)
        xs = (d.int(1, 2), length) if d.int(0, 4) == 0 else (d.int(1, 2), d.int(1, 2), length)
        return Case(
            lambda a: F.avg_pool1d(a, k, stride, pad, ceil, cip),
            [values(rng, xs, dt)],
            lambda a: ref_avg_pool2d(a[..., None, :], (1, k), (1, st), (0, pad), ceil, cip)[
                ..., 0, :
            ],
            label=f"avg_pool1d {xs} k={k} s={stride} p={pad} ceil={ceil} cip={cip}",
        )

    spec("F.avg_pool1d", avg_pool1d_b, True, pool_invalid(F.avg_pool1d, 1))

    def max_pool1d_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        k = d.int(1, 3)
        dil = d.int(1, 2)
        pad = d.int(0, k // 2)
        stride = d.choice((None, 1, 2))
        st = k if stride is None else stride
        ceil = d.bool()
        length = d.int(dil * (k - 1) + 1, 7)
        xs = (d.int(1, 2), length) if d.int(0, 4) == 0 else (d.int(1, 2), d.int(1, 2), length)
        return Case(
            lambda a: F.max_pool1d(a, k, stride, pad, dil, ceil),
            [values(rng, xs, dt)],
            lambda a: ref_max_pool2d(a[..., None, :], (1, k), (1, st), (0, pad), (1, dil), ceil)[
                ..., 0, :
            ],
            label=f"max_pool1d {xs} k={k} s={stride} p={pad} d={dil} ceil={ceil}",
        )

    spec("F.max_pool1d", max_pool1d_b, True, pool_invalid(F.max_pool1d, 1))

    def adaptive_b(call, reduce, nd):
        def build(d):
            rng = d.rng()
            dt = d.choice(FLOATS)
            sizes = tuple(d.int(1, 6) for _ in range(nd))
            outs = tuple(d.int(1, 4) for _ in range(nd))
            arg = outs[0] if nd == 1 or (outs[0] == outs[1] and d.bool()) else outs
            if nd == 2 and d.int(0, 3) == 0:
                arg, outs = (None, outs[1]), (sizes[0], outs[1])
            unbatched = d.int(0, 4) == 0
            xs = (d.int(1, 2),) + sizes if unbatched else (d.int(1, 2), d.int(1, 2)) + sizes

            def ref(a):
                if nd == 2:
                    return ref_adaptive_pool2d(a, outs, reduce)
                return ref_adaptive_pool2d(a[..., None, :], (1,) + outs, reduce)[..., 0, :]

            return Case(lambda a: call(a, arg), [values(rng, xs, dt)], ref, label=f"{xs} -> {arg}")

        return build

    def adaptive_invalid(call, nd):
        def build(d):
            kind = d.choice(("size", "int", "dims"))
            x = np.zeros((1, 1) + (4,) * nd)
            if kind == "size":
                return Case(lambda a: call(a, 0), [x], error=ValueError)
            if kind == "int":
                return Case(lambda a: call(a, 2), [x.astype(I64)], error=flow.DTypeError)
            return Case(lambda a: call(a, 2), [np.zeros((4,) * (nd + 3))], error=flow.ShapeError)

        return build

    for name, reduce, nd in (
        ("adaptive_avg_pool1d", np.mean, 1),
        ("adaptive_avg_pool2d", np.mean, 2),
        ("adaptive_max_pool2d", np.max, 2),
    ):
        call = getattr(F, name)
        spec(f"F.{name}", adaptive_b(call, reduce, nd), True, adaptive_invalid(call, nd))

    def group_norm_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        groups = d.int(1, 3)
        c = groups * d.int(1, 2)
        xs = (d.int(1, 3), c) + d.choice(((), (3,), (2, 2)))
        if len(xs) == 2 and c == groups:
            xs = xs + (2,)  # a group of one value has no variance to normalise
        x = values(rng, xs, dt)
        affine = d.choice(("none", "both", "weight"))
        eps = d.choice((1e-5, 1e-3))
        if affine == "none":
            return Case(
                lambda a: F.group_norm(a, groups, eps=eps),
                [x],
                lambda a: ref_group_norm(a, groups, None, None, eps),
                label=f"group_norm {xs} groups={groups}",
            )
        if affine == "weight":
            return Case(
                lambda a, ww: F.group_norm(a, groups, ww, eps=eps),
                [x, values(rng, (c,), dt)],
                lambda a, ww: ref_group_norm(a, groups, ww, None, eps),
                label=f"group_norm {xs} groups={groups} weight",
            )
        return Case(
            lambda a, ww, bb: F.group_norm(a, groups, ww, bb, eps),
            [x, values(rng, (c,), dt), values(rng, (c,), dt)],
            lambda a, ww, bb: ref_group_norm(a, groups, ww, bb, eps),
            label=f"group_norm {xs} groups={groups} affine",
        )

    def group_norm_invalid(d):
        kind = d.choice(("groups", "weight", "1d", "int"))
        x = np.zeros((2, 4, 3))
        if kind == "groups":
            return Case(lambda a: F.group_norm(a, 3), [x], error=ValueError)
        if kind == "weight":
            return Case(lambda a, w: F.group_norm(a, 2, w), [x, np.ones(3)], error=flow.ShapeError)
        if kind == "1d":
            return Case(lambda a: F.group_norm(a, 1), [np.zeros(4)], error=flow.ShapeError)
        return Case(lambda a: F.group_norm(a, 2), [x.astype(I64)], error=flow.DTypeError)

    spec("F.group_norm", group_norm_b, True, group_norm_invalid)

    def instance_norm_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        n, c = d.int(1, 3), d.int(1, 3)
        xs = (n, c) + d.choice(((3,), (2, 2), (4,)))
        x = values(rng, xs, dt)
        use_input = d.choice((True, True, False))
        stats = d.bool() or not use_input
        affine = d.bool()
        mom, eps = d.choice((0.1, 0.5)), d.choice((1e-5, 1e-3))
        rm, rv = values(rng, (c,), dt), values(rng, (c,), dt, "pos")
        w, b = values(rng, (c,), dt), values(rng, (c,), dt)
        bshape = (1, c) + (1,) * (x.ndim - 2)

        def ref(a, *rest):
            v = f64(a)
            flat = v.reshape(n, c, -1)
            if use_input:
                mean = flat.mean(axis=2).reshape((n, c) + (1,) * (v.ndim - 2))
                var = flat.var(axis=2).reshape(mean.shape)
            else:
                mean, var = f64(rest[0]).reshape(bshape), f64(rest[1]).reshape(bshape)
            out = (v - mean) / np.sqrt(var + eps)
            if affine:
                out = out * f64(rest[-2]).reshape(bshape) + f64(rest[-1]).reshape(bshape)
            res = [out.astype(dt)]
            if stats:
                r_m, r_v = f64(rest[0]), f64(rest[1])
                if use_input:
                    r_m = (1 - mom) * r_m + mom * flat.mean(axis=2).mean(axis=0)
                    r_v = (1 - mom) * r_v + mom * flat.var(axis=2, ddof=1).mean(axis=0)
                res += [r_m.astype(dt), r_v.astype(dt)]
            return tuple(res)

        def fn(a, *rest):
            r_m, r_v = (rest[0], rest[1]) if stats else (None, None)
            ww, bb = (rest[-2], rest[-1]) if affine else (None, None)
            out = F.instance_norm(a, r_m, r_v, ww, bb, use_input, mom, eps)
            return (out, r_m, r_v) if stats else (out,)

        extra = [w, b] if affine else []
        arrays = [x] + ([rm, rv] if stats else []) + extra
        diff = (0,) + tuple(range(len(arrays) - len(extra), len(arrays)))
        return Case(
            fn,
            arrays,
            ref,
            diff=diff,
            label=f"instance_norm {xs} use_input_stats={use_input} stats={stats} affine={affine}",
        )

    def instance_norm_invalid(d):
        kind = d.choice(("one_value", "no_stats", "2d", "stats_shape"))
        if kind == "one_value":
            return Case(lambda a: F.instance_norm(a), [np.zeros((2, 3, 1))], error=ValueError)
        if kind == "no_stats":
            return Case(
                lambda a: F.instance_norm(a, use_input_stats=False),
                [np.zeros((2, 3, 4))],
                error=ValueError,
            )
        if kind == "2d":
            return Case(lambda a: F.instance_norm(a), [np.zeros((2, 3))], error=flow.ShapeError)
        return Case(
            lambda a, m, v: F.instance_norm(a, m, v),
            [np.zeros((2, 3, 4)), np.zeros(2), np.ones(2)],
            error=flow.ShapeError,
        )

    spec("F.instance_norm", instance_norm_b, True, instance_norm_invalid)

    def interpolate_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        nd = d.choice((1, 2))
        mode = d.choice(("nearest", "linear" if nd == 1 else "bilinear", "area"))
        sizes = tuple(d.int(1, 5) for _ in range(nd))
        xs = (d.int(1, 2), d.int(1, 2)) + sizes
        kw: dict = {"mode": mode}
        if mode in ("linear", "bilinear") and d.bool():
            kw["align_corners"] = d.bool()
        if d.bool():
            outs = tuple(d.int(1, 7) for _ in range(nd))
            kw["size"] = outs if nd > 1 or d.bool() else outs[0]
            scales = (None,) * nd
        else:
            fs = tuple(d.choice((0.5, 1.5, 2, 2.5, 3)) for _ in range(nd))
            outs = tuple(int(math.floor(s * f)) for s, f in zip(sizes, fs))
            if min(outs) < 1:
                fs, outs = (2,) * nd, tuple(2 * s for s in sizes)
            kw["scale_factor"] = fs if nd > 1 else fs[0]
            scales = tuple(float(f) for f in fs)
            if d.int(0, 3) == 0:
                kw["recompute_scale_factor"] = True
                scales = (None,) * nd

        def ref(a):
            if mode == "area":
                if nd == 2:
                    return ref_adaptive_pool2d(a, outs, np.mean)
                return ref_adaptive_pool2d(a[..., None, :], (1,) + outs, np.mean)[..., 0, :]
            return ref_interpolate(a, outs, mode, kw.get("align_corners", False), scales)

        return Case(
            lambda a: F.interpolate(a, **kw),
            [values(rng, xs, dt)],
            ref,
            label=f"interpolate {xs} {kw}",
        )

    def interpolate_invalid(d):
        kind = d.choice(("both", "mode", "dims", "align", "int"))
        x = np.zeros((1, 1, 3, 3))
        if kind == "both":
            return Case(lambda a: F.interpolate(a, size=4, scale_factor=2), [x], error=ValueError)
        if kind == "mode":
            return Case(lambda a: F.interpolate(a, size=4, mode="cubic"), [x], error=ValueError)
        if kind == "dims":
            return Case(
                lambda a: F.interpolate(a, size=4, mode="bilinear"),
                [np.zeros((1, 1, 3))],
                error=flow.ShapeError,
            )
        if kind == "align":
            return Case(
                lambda a: F.interpolate(a, size=4, align_corners=True), [x], error=ValueError
            )
        return Case(lambda a: F.interpolate(a, size=4), [x.astype(I64)], error=flow.DTypeError)

    spec("F.interpolate", interpolate_b, True, interpolate_invalid)

    def pad_b(d):
        rng = d.rng()
        mode = d.choice(("constant", "constant", "reflect", "replicate"))
        dt = d.choice(FLOATS)
        if mode == "constant":
            xs = shape(d, 1, 3, zero=False)
            k = d.int(1, len(xs))
            pads = tuple(d.int(0, 2) for _ in range(2 * k))
            value = d.choice((None, 0.0, 1.5, -2.0))
        else:
            k = d.int(1, 2)
            xs = tuple(d.int(2, 4) for _ in range(k))
            xs = (d.int(1, 2),) * d.int(1, 2) + xs
            pads = tuple(d.int(0, 1 if mode == "reflect" else 2) for _ in range(2 * k))
            value = None
        x = values(rng, xs, dt)
        kw = {"mode": mode} if mode != "constant" or d.bool() else {}
        if value is not None:
            kw["value"] = value
        return Case(
            lambda a: F.pad(a, pads, **kw),
            [x],
            lambda a: ref_pad(a, pads, mode, 0.0 if value is None else value),
            label=f"pad {xs} {pads} {kw}",
        )

    def pad_invalid(d):
        kind = d.choice(("odd", "reflect_size", "mode", "too_many", "reflect_dims"))
        x = np.zeros((1, 2, 3))
        if kind == "odd":
            return Case(lambda a: F.pad(a, (1, 2, 3)), [x], error=ValueError)
        if kind == "reflect_size":
            return Case(lambda a: F.pad(a, (3, 0), mode="reflect"), [x], error=ValueError)
        if kind == "mode":
            return Case(lambda a: F.pad(a, (1, 1), mode="mirror"), [x], error=ValueError)
        if kind == "too_many":
            return Case(lambda a: F.pad(a, (1,) * 8), [x], error=ValueError)
        return Case(
            lambda a: F.pad(a, (1, 1), mode="replicate"), [np.zeros(3)], error=NotImplementedError
        )

    spec("F.pad", pad_b, True, pad_invalid)


_register_nn_layers()


# ================================================ activations and losses (issue 12, part 4)
_SELU = (1.6732632423543772848170429916717, 1.0507009873554804934193349852946)


def _np_softplus(v, beta=1.0, threshold=20.0):
    with np.errstate(over="ignore"):
        soft = np.logaddexp(0.0, beta * v) / beta
    return np.where(beta * v > threshold, v, soft)


def _register_part4():
    def act(name, call, ref, params=(None,)):
        """An elementwise activation: ``call(t, param)``, ``ref(float64 array, param)``."""

        def build(d):
            dt = d.choice(FLOATS)
            x = (values(d.rng(), shape(d), dt) * 3).astype(dt)
            prm = d.choice(params)
            return Case(
                lambda a: call(a, prm),
                [x],
                lambda a: np.asarray(ref(f64(a), prm)).astype(dt),
                label=f"{name} {x.shape} {prm}",
            )

        def invalid(d):
            return Case(lambda a: call(a, params[0]), [np.array([1, -2])], error=flow.DTypeError)

        return build, invalid

    def elu_ref(alpha, scale=1.0, input_scale=1.0):
        return lambda v: (
            scale * np.where(v > 0, v, alpha * np.expm1(np.minimum(v, 0) * input_scale))
        )

    acts = {
        "silu": (lambda t, _: F.silu(t), lambda v, _: v / (1 + np.exp(-v))),
        "selu": (lambda t, _: F.selu(t), lambda v, _: elu_ref(*_SELU)(v)),
        "celu": (
            lambda t, a: F.celu(t) if a is None else F.celu(t, alpha=a),
            lambda v, a: elu_ref(1.0 if a is None else a, 1.0, 1 / (1.0 if a is None else a))(v),
            (None, 0.5, 2.0),
        ),
        "elu": (
            lambda t, a: F.elu(t) if a is None else F.elu(t, a),
            lambda v, a: elu_ref(1.0 if a is None else a)(v),
            (None, 0.3, 1.5),
        ),
        "mish": (lambda t, _: F.mish(t), lambda v, _: v * np.tanh(_np_softplus(v))),
        "softplus": (
            lambda t, bt: F.softplus(t) if bt is None else F.softplus(t, *bt),
            lambda v, bt: _np_softplus(v) if bt is None else _np_softplus(v, *bt),
            (None, (2.0, 20.0), (0.5, 1.0), (1.0, 2.5)),
        ),
        "hardswish": (lambda t, _: F.hardswish(t), lambda v, _: v * np.clip(v + 3, 0, 6) / 6),
        "hardsigmoid": (lambda t, _: F.hardsigmoid(t), lambda v, _: np.clip(v + 3, 0, 6) / 6),
    }
    for name, (call, ref, *params) in acts.items():
        build, invalid = act(name, call, ref, *(params or [(None,)]))
        spec(f"F.{name}", build, True, invalid)
    # OneFlow's top-level forms are the same functions
    for name in ("silu", "selu", "mish", "softplus"):
        call, ref, *params = acts[name]
        top = getattr(flow, name)
        assert top is getattr(F, name)
        build, invalid = act(name, call, ref, *(params or [(None,)]))
        spec(f"flowkit.{name}", build, True, invalid)
    spec("flowkit.gelu", SPECS["F.gelu"].build, True, SPECS["F.gelu"].invalid)

    def prelu_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        xs = d.choice(((3,), (2, 3), (2, 3, 2), ()))
        c = xs[1] if len(xs) >= 2 else 1
        n = d.choice((1, c))
        x, w = values(rng, xs, dt, "nonzero"), values(rng, (n,), dt)

        def ref(a, ww):
            v, wv = f64(a), f64(ww)
            wb = wv.reshape(()) if wv.size == 1 else wv.reshape((c,) + (1,) * (v.ndim - 2))
            return np.where(v > 0, v, wb * v).astype(dt)

        return Case(F.prelu, [x, w], ref, label=f"prelu {xs} {n}")

    def prelu_invalid(d):
        if d.bool():
            return Case(F.prelu, [np.zeros((2, 3)), np.ones(2)], error=flow.ShapeError)
        return Case(F.prelu, [np.zeros((2, 3), np.float32), np.ones(1)], error=flow.DTypeError)

    spec("F.prelu", prelu_b, True, prelu_invalid)

    def reduce_ref(e, red, dt):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray({"none": e, "sum": e.sum(), "mean": e.mean()}[red]).astype(dt)

    def pointwise(name, call, ref, params):
        def build(d):
            rng = d.rng()
            dt = d.choice(FLOATS)
            shp = shape(d)
            red = d.choice(("mean", "sum", "none"))
            prm = d.choice(params)
            x, t = values(rng, shp, dt), values(rng, shp, dt)
            return Case(
                lambda a, b: call(a, b, red, prm),
                [x, t],
                lambda a, b: reduce_ref(ref(f64(a), f64(b), prm), red, dt),
                label=f"{name} {shp} {red} {prm}",
            )

        def invalid(d):
            kind = d.choice(("shape", "dtype", "reduction"))
            if kind == "shape":
                return Case(
                    lambda a, b: call(a, b, "mean", params[0]),
                    [np.zeros((3, 1)), np.zeros(3)],
                    error=flow.ShapeError,
                )
            if kind == "dtype":
                return Case(
                    lambda a, b: call(a, b, "mean", params[0]),
                    [np.zeros(3, np.float32), np.zeros(3)],
                    error=flow.DTypeError,
                )
            return Case(
                lambda a, b: call(a, b, "avg", params[0]),
                [np.zeros(3), np.zeros(3)],
                error=ValueError,
            )

        spec(f"F.{name}", build, True, invalid)

    def smooth_ref(a, b, beta):
        dd = np.abs(a - b)
        if beta == 0:
            return dd
        return np.where(dd < beta, 0.5 * dd * dd / beta, dd - 0.5 * beta)

    def huber_ref(a, b, delta):
        dd = np.abs(a - b)
        return np.where(dd < delta, 0.5 * dd * dd, delta * (dd - 0.5 * delta))

    pointwise(
        "l1_loss",
        lambda a, b, r, _: F.l1_loss(a, b, reduction=r),
        lambda a, b, _: np.abs(a - b),
        (None,),
    )
    pointwise(
        "smooth_l1_loss",
        lambda a, b, r, beta: F.smooth_l1_loss(a, b, reduction=r, beta=beta),
        smooth_ref,
        (1.0, 0.5, 0.0, 2.0),
    )
    pointwise(
        "huber_loss",
        lambda a, b, r, delta: F.huber_loss(a, b, reduction=r, delta=delta),
        huber_ref,
        (1.0, 0.5, 2.0),
    )

    def bce_b(logits):
        def build(d):
            rng = d.rng()
            dt = d.choice(FLOATS)
            shp = shape(d, 1, 3)
            red = d.choice(("mean", "sum", "none"))
            t = values(rng, shp, dt, "nonneg") / 2
            x = (
                (values(rng, shp, dt) * 3).astype(dt)
                if logits
                else rng.uniform(0.05, 0.95, shp).astype(dt)
            )
            weighted = d.choice(
                ("none", "weight", "pos_weight", "both") if logits else ("none", "weight")
            )
            w = values(rng, shp[-1:], dt, "pos") if weighted in ("weight", "both") else None
            pw = values(rng, shp[-1:], dt, "pos") if weighted in ("pos_weight", "both") else None

            def ref(a, b, *rest):
                v, tv = f64(a), f64(b)
                ww = f64(w) if w is not None else 1.0
                if logits:
                    lw = 1.0 if pw is None else (f64(pw) - 1) * tv + 1
                    e = ((1 - tv) * v + lw * np.logaddexp(0.0, -v)) * ww
                else:
                    e = -(tv * np.log(v) + (1 - tv) * np.log(1 - v)) * ww
                return reduce_ref(e, red, dt)

            def fn(a, b, *rest):
                ww = rest[0] if w is not None else None
                if logits:
                    pp = rest[-1] if pw is not None else None
                    return F.binary_cross_entropy_with_logits(
                        a, b, ww, reduction=red, pos_weight=pp
                    )
                return F.binary_cross_entropy(a, b, ww, reduction=red)

            arrays = [x, t] + ([w] if w is not None else []) + ([pw] if pw is not None else [])
            # PyTorch differentiates neither weight nor pos_weight
            return Case(
                fn, arrays, ref, diff=(0, 1), label=f"bce logits={logits} {shp} {red} {weighted}"
            )

        return build

    def bce_invalid(logits):
        call = F.binary_cross_entropy_with_logits if logits else F.binary_cross_entropy

        def build(d):
            kind = d.choice(("shape", "dtype", "weight") + (() if logits else ("range",)))
            if kind == "range":
                return Case(call, [np.array([1.5, 0.5]), np.array([1.0, 0.0])], error=ValueError)
            if kind == "shape":
                return Case(call, [np.zeros((3, 1)), np.zeros(3)], error=flow.ShapeError)
            if kind == "dtype":
                return Case(call, [np.zeros(3, np.float32), np.zeros(3)], error=flow.DTypeError)
            return Case(call, [np.zeros(3), np.zeros(3), np.ones(2)], error=flow.ShapeError)

        return build

    spec("F.binary_cross_entropy", bce_b(False), True, bce_invalid(False))
    spec("F.binary_cross_entropy_with_logits", bce_b(True), True, bce_invalid(True))

    def kl_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        shp = shape(d)
        red = d.choice(("mean", "sum", "none", "batchmean"))
        log_target = d.bool()
        x = values(rng, shp, dt)
        t = values(rng, shp, dt) if log_target else values(rng, shp, dt, "pos")

        def fn(a, b):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "mean": PyTorch's warning
                return F.kl_div(a, b, reduction=red, log_target=log_target)

        def ref(a, b):
            v, tv = f64(a), f64(b)
            e = np.exp(tv) * (tv - v) if log_target else tv * (np.log(tv) - v)
            if red == "batchmean":
                s = e.sum()
                return np.asarray(s / v.shape[0] if v.ndim else s).astype(dt)
            return reduce_ref(e, red, dt)

        return Case(fn, [x, t], ref, label=f"kl_div {shp} {red} log_target={log_target}")

    def kl_invalid(d):
        if d.bool():
            return Case(
                lambda a, b: F.kl_div(a, b, reduction="avg"),
                [np.zeros(2), np.ones(2)],
                error=ValueError,
            )
        return Case(
            lambda a, b: F.kl_div(a, b, reduction="sum"),
            [np.zeros(2, np.float32), np.ones(2)],
            error=flow.DTypeError,
        )

    spec("F.kl_div", kl_b, True, kl_invalid)

    def cos_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        s1 = (d.int(1, 3), d.int(1, 4))
        s2 = d.choice((s1, (1, s1[1]), s1[1:]))
        dim = d.choice((1, -1, 0))
        x1, x2 = values(rng, s1, dt, "nonzero"), values(rng, s2, dt, "nonzero")

        def ref(a, b):
            va, vb = np.broadcast_arrays(f64(a), f64(b))
            na = np.maximum(np.sqrt((va * va).sum(dim, keepdims=True)), 1e-8)
            nb = np.maximum(np.sqrt((vb * vb).sum(dim, keepdims=True)), 1e-8)
            return ((va / na) * (vb / nb)).sum(dim).astype(dt)

        return Case(
            lambda a, b: F.cosine_similarity(a, b, dim=dim),
            [x1, x2],
            ref,
            label=f"cos {s1} {s2} {dim}",
        )

    def cos_invalid(d):
        if d.bool():
            return Case(
                F.cosine_similarity, [np.zeros((2, 3)), np.zeros((2, 4))], error=flow.ShapeError
            )
        return Case(
            lambda a, b: F.cosine_similarity(a, b, dim=2),
            [np.zeros((2, 3)), np.zeros((2, 3))],
            error=IndexError,
        )

    spec("F.cosine_similarity", cos_b, True, cos_invalid)

    def normalize_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        shp = shape(d, 1, 3, zero=False)
        p = d.choice((2.0, 1.0, 3.0))
        dim = d.int(-len(shp), len(shp) - 1)
        x = values(rng, shp, dt, "nonzero")

        def ref(a):
            v = f64(a)
            n = (np.abs(v) ** p).sum(dim, keepdims=True) ** (1 / p)
            return (v / np.maximum(n, 1e-12)).astype(dt)

        return Case(
            lambda a: F.normalize(a, p=p, dim=dim), [x], ref, label=f"normalize {shp} {p} {dim}"
        )

    spec(
        "F.normalize",
        normalize_b,
        True,
        lambda d: Case(lambda a: F.normalize(a, dim=3), [np.ones((2, 2))], error=IndexError),
    )

    def cel_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        batched = d.bool()
        n, k = d.int(1, 4), d.int(1, 3)
        s = (n, k) if batched else (k,)
        x1, x2 = values(rng, s, dt, "nonzero"), values(rng, s, dt, "nonzero")
        y = rng.choice([1, -1], (n,) if batched else ()).astype(I64)
        margin = d.choice((0.0, 0.3, -0.2))
        red = d.choice(("mean", "sum", "none"))

        def ref(a, b, t):
            va, vb = f64(a), f64(b)
            ax = va.ndim - 1
            cos = (va * vb).sum(ax) / np.sqrt(
                ((va * va).sum(ax) + 1e-12) * ((vb * vb).sum(ax) + 1e-12)
            )
            e = np.where(t == 1, 1 - cos, 0.0) + np.where(t == -1, np.maximum(cos - margin, 0), 0.0)
            return reduce_ref(e, red, dt)

        return Case(
            lambda a, b, t: F.cosine_embedding_loss(a, b, t, margin=margin, reduction=red),
            [x1, x2, y],
            ref,
            label=f"cosine_embedding {s} {margin} {red}",
        )

    spec(
        "F.cosine_embedding_loss",
        cel_b,
        True,
        lambda d: Case(
            F.cosine_embedding_loss,
            [np.zeros((3, 2)), np.zeros((3, 2)), np.ones(2)],
            error=flow.ShapeError,
        ),
    )

    def mrl_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        shp = shape(d, 1, 2)
        x1, x2 = values(rng, shp, dt), values(rng, shp, dt)
        y = rng.choice([1.0, -1.0], shp).astype(dt)
        margin = d.choice((0.0, 0.5))
        red = d.choice(("mean", "sum", "none"))
        x1 = np.where(np.abs(-y * (x1 - x2) + margin) < 0.05, x1 + 0.2, x1).astype(
            dt
        )  # off the kink
        return Case(
            lambda a, b, t: F.margin_ranking_loss(a, b, t, margin=margin, reduction=red),
            [x1, x2, y],
            lambda a, b, t: reduce_ref(
                np.maximum(-f64(t) * (f64(a) - f64(b)) + margin, 0), red, dt
            ),
            diff=(0, 1),
            label=f"margin_ranking {shp} {margin} {red}",
        )

    spec(
        "F.margin_ranking_loss",
        mrl_b,
        True,
        lambda d: Case(
            F.margin_ranking_loss,
            [np.zeros((3, 1)), np.zeros(3), np.ones(3)],
            error=flow.ShapeError,
        ),
    )

    def tml_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        s = d.choice(((d.int(1, 3), d.int(1, 3)), (d.int(1, 3),)))
        a, p_, n_ = (values(rng, s, dt) for _ in range(3))
        margin = d.choice((1.0, 0.5, 3.0))
        p = d.choice((2.0, 1.0))
        swap = d.bool()
        red = d.choice(("mean", "sum", "none"))

        def dist(x, y):
            return (np.abs(x - y + 1e-6) ** p).sum(-1) ** (1 / p)

        def ref(av, pv, nv):
            av, pv, nv = f64(av), f64(pv), f64(nv)
            dn = dist(av, nv)
            if swap:
                dn = np.minimum(dn, dist(pv, nv))
            return reduce_ref(np.maximum(dist(av, pv) - dn + margin, 0), red, dt)

        return Case(
            lambda x, y, z: F.triplet_margin_loss(
                x, y, z, margin=margin, p=p, swap=swap, reduction=red
            ),
            [a, p_, n_],
            ref,
            label=f"triplet {s} {margin} p={p} swap={swap} {red}",
        )

    spec(
        "F.triplet_margin_loss",
        tml_b,
        True,
        lambda d: Case(
            F.triplet_margin_loss,
            [np.zeros((3, 2)), np.zeros((3, 2)), np.zeros(2)],
            error=flow.ShapeError,
        ),
    )


_register_part4()

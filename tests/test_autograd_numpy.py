"""The numpy backend's autograd: the VJP table, every VJP by finite differences and against torch,
and the engine's behaviour (accumulation, freeing, errors, deep graphs, grad modes, aliasing).

Every differentiable op of ``flowkit_numpy.define.FORWARD_OPS`` has a case in :data:`CASES`; the
finite-difference and torch tests are parametrized over the forward table itself, so a new op
without a case fails here rather than going unchecked.
"""

from __future__ import annotations

import gc
import operator
import types
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import flowkit as flow

if flow.backend().name != "numpy":
    pytest.skip("tests the numpy backend's own autograd engine", allow_module_level=True)

from flowkit_numpy import define as np_define  # noqa: E402

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

DIFF_OPS = sorted(name for name, diff in np_define.FORWARD_OPS.items() if diff)


# ------------------------------------------------------------------------------------------ libs
# A case's function is written once against `lib`, so the same code runs on flowkit and on torch.
FLOW = types.SimpleNamespace(
    name="flowkit",
    tensor=lambda a: flow.tensor(a),
    leaf=lambda a: flow.tensor(a, requires_grad=True),
    mse_loss=flow.nn.functional.mse_loss,
    linear=flow.nn.functional.linear,
    F=flow.nn.functional,
    dropout=lambda x, p: _flow_dropout(x, p),
    float32=flow.float32,
    float64=flow.float64,
    cat=flow.cat,
    stack=flow.stack,
    where=flow.where,
)


def _torch_lib():
    import torch

    return types.SimpleNamespace(
        name="torch",
        tensor=lambda a: torch.from_numpy(np.array(a)),
        leaf=lambda a: torch.tensor(np.array(a), requires_grad=True),
        mse_loss=torch.nn.functional.mse_loss,
        linear=torch.nn.functional.linear,
        F=torch.nn.functional,
        dropout=lambda x, p: x * torch.from_numpy(_dropout_mask(tuple(x.shape), p)).to(x.dtype),
        float32=torch.float32,
        float64=torch.float64,
        cat=torch.cat,
        stack=torch.stack,
        where=torch.where,
    )


@dataclass
class Case:
    fn: Callable  # fn(lib, *leaves) -> tensor
    arrays: list  # float64 numpy arrays, one per leaf
    eps: float = 1e-6
    rtol: float = 1e-5
    atol: float = 1e-7


# ------------------------------------------------------------------------------------------ helpers
def _graph_ops(t) -> set[str]:
    """Names of the ops recorded in ``t``'s graph."""
    names, seen, stack = set(), set(), [t.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        names.add(n.name)
        stack.extend(i._node for i in n.inputs if i is not None)
    return names


def _cotangent(shape, seed=1):
    return np.asarray(np.random.default_rng(seed).standard_normal(tuple(shape)), dtype=np.float64)


def check_fd(case: Case, op: str | None = None) -> None:
    """Autograd gradients of ``sum(fn(*x) * cot)`` equal central finite differences."""
    leaves = [flow.tensor(a, requires_grad=True) for a in case.arrays]
    out = case.fn(FLOW, *leaves)
    if op is not None:
        assert op in _graph_ops(out), f"the case for {op!r} never records {op!r}"
    cot = _cotangent(out.shape)
    out.backward(flow.tensor(cot))

    def f(arrays):
        with flow.no_grad():
            o = case.fn(FLOW, *[flow.tensor(a) for a in arrays])
        return float((o.numpy().astype(np.float64) * cot).sum())

    for i, a in enumerate(case.arrays):
        num = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            arrs = [x.copy() for x in case.arrays]
            arrs[i][idx] = a[idx] + case.eps
            fp = f(arrs)
            arrs[i][idx] = a[idx] - case.eps
            fm = f(arrs)
            num[idx] = (fp - fm) / (2 * case.eps)
        g = leaves[i].grad
        assert g is not None, f"input {i} got no gradient"
        assert g.dtype == flow.float64
        assert tuple(g.shape) == a.shape
        np.testing.assert_allclose(
            g.numpy(), num, rtol=case.rtol, atol=case.atol, err_msg=f"gradient of input {i}"
        )


def check_torch(case: Case) -> None:
    """Forward values and gradients equal torch's."""
    import torch

    T = _torch_lib()
    fl = [flow.tensor(a, requires_grad=True) for a in case.arrays]
    tl = [torch.tensor(a, requires_grad=True) for a in case.arrays]
    fo = case.fn(FLOW, *fl)
    to = case.fn(T, *tl)
    assert tuple(fo.shape) == tuple(to.shape)
    assert fo.dtype.name == str(to.dtype).removeprefix("torch.")
    tol = 1e-10 if fo.dtype == flow.float64 else 1e-6
    np.testing.assert_allclose(fo.numpy(), to.detach().numpy(), rtol=tol, atol=tol)
    cot = _cotangent(fo.shape)
    fo.backward(flow.tensor(cot))
    to.backward(torch.from_numpy(cot).to(to.dtype))
    for i, (f, t) in enumerate(zip(fl, tl, strict=True)):
        tg = np.zeros(case.arrays[i].shape) if t.grad is None else t.grad.numpy()
        assert f.grad is not None, f"input {i} got no gradient"
        assert f.grad.dtype == flow.float64
        np.testing.assert_allclose(
            f.grad.numpy(), tg, rtol=tol, atol=tol, err_msg=f"gradient of input {i}"
        )


# ------------------------------------------------------------------------------------------ cases
SHAPES = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)
SHAPES_ND = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)
PAIRS = st.one_of(
    st.sampled_from([((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ()), ((4,), (3, 1))]),
    hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4).map(
        lambda b: tuple(b.input_shapes)
    ),
)


def _rng(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


def _vals(rng, shape, kind="any"):
    shape = tuple(shape)
    if kind == "positive":
        a = rng.uniform(0.5, 2.0, shape)
    elif kind == "nonzero":  # away from the kinks of abs and relu
        a = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    else:
        a = rng.uniform(-2.0, 2.0, shape)
    return np.asarray(a, dtype=np.float64)


_BINARY = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
}
_KINDS = {
    "add": ("any", "any"),
    "sub": ("any", "any"),
    "mul": ("any", "any"),
    "div": ("any", "nonzero"),
    "pow": ("positive", "any"),
}


def _binary_case(op):
    f = _BINARY[op]
    ka, kb = _KINDS[op]

    def build(draw, torch=False):
        rng = _rng(draw)
        sa, sb = draw(PAIRS)
        form = draw(
            st.sampled_from(["tt", "ts"] if op in ("sub", "div", "pow") else ["tt", "ts", "st"])
        )
        a = _vals(rng, sa, ka)
        if form == "tt":
            return Case(lambda lib, x, y: f(x, y), [a, _vals(rng, sb, kb)])
        s = draw(st.sampled_from([2.0, -0.5, 3, 1.5] if op != "pow" else [2, 3, 0.5, -1.5, 2.0]))
        if form == "ts":
            return Case(lambda lib, x: f(x, s), [a])
        return Case(lambda lib, x: f(s, x), [a])

    return build


def _reflected_case(op):
    def build(draw, torch=False):
        rng = _rng(draw)
        shape = draw(SHAPES)
        s = draw(st.sampled_from([2.0, -0.5, 3, 1.7]))
        if op == "rsub":
            return Case(lambda lib, x: s - x, [_vals(rng, shape)])
        if op == "rdiv":
            return Case(lambda lib, x: s / x, [_vals(rng, shape, "nonzero")])
        base = abs(s) if s != 0 else 2.0
        return Case(lambda lib, x: base**x, [_vals(rng, shape)])  # rpow

    return build


_UNARY_KIND = {
    "exp": "any",
    "log": "positive",
    "sqrt": "positive",
    "abs": "nonzero",
    "sin": "any",
    "cos": "any",
    "tanh": "any",
    "sigmoid": "any",
    "relu": "nonzero",
    "neg": "any",
}


def _unary_case(op):
    def build(draw, torch=False):
        rng = _rng(draw)
        shape = draw(SHAPES)
        a = _vals(rng, shape, _UNARY_KIND[op])
        if op == "neg":
            return Case(lambda lib, x: -x, [a])
        if op == "abs" and draw(st.booleans()):
            return Case(lambda lib, x: abs(x), [a])
        return Case(lambda lib, x: getattr(x, op)(), [a])

    return build


def _dims(draw, nd):
    if nd == 0:
        return draw(st.sampled_from([None, 0, -1]))
    single = st.integers(-nd, nd - 1)
    several = st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True).flatmap(
        lambda ds: st.tuples(*[st.sampled_from([d, d - nd]) for d in ds])
    )
    return draw(st.one_of(st.none(), single, several))


def _reduce_case(op):
    def build(draw, torch=False):
        rng = _rng(draw)
        shape = draw(SHAPES)
        dim = _dims(draw, len(shape))
        keepdim = draw(st.booleans())
        a = _vals(rng, shape)
        if dim is None and not keepdim:
            return Case(lambda lib, x: getattr(x, op)(), [a])
        return Case(lambda lib, x: getattr(x, op)(dim=dim, keepdim=keepdim), [a])

    return build


def _extreme_case(op):
    """amax/amin over one dim, several or all (``()``; torch takes no None)."""

    def build(draw, torch=False):
        rng = _rng(draw)
        shape = draw(SHAPES)
        dim = _dims(draw, len(shape))
        dims = () if dim is None else dim
        keepdim = draw(st.booleans())
        return Case(lambda lib, x: getattr(x, op)(dim=dims, keepdim=keepdim), [_vals(rng, shape)])

    return build


def _logsumexp_case(draw, torch=False):
    shape = draw(SHAPES)
    dim = _dims(draw, len(shape))
    dims = tuple(range(len(shape))) if dim is None else dim
    keepdim = draw(st.booleans())
    return Case(lambda lib, x: x.logsumexp(dims, keepdim=keepdim), [_vals(_rng(draw), shape)])


def _reshape_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES)
    nd, n = len(shape), int(np.prod(shape))
    kind = draw(
        st.sampled_from(["reshape", "view", "flatten", "unsqueeze", "squeeze", "squeeze_dim"])
    )
    a = _vals(rng, shape)
    if kind in ("reshape", "view"):
        target = draw(
            st.sampled_from([(-1,), (n,), (1, -1), (-1, 1), tuple(reversed(shape)), (1,) + shape])
        )
        return Case(lambda lib, x: getattr(x, kind)(target), [a])
    if kind == "flatten":
        return Case(lambda lib, x: x.flatten(), [a])
    if kind == "unsqueeze":
        d = draw(st.integers(-nd - 1, nd))
        return Case(lambda lib, x: x.unsqueeze(d), [a])
    if kind == "squeeze_dim" and nd:
        d = draw(st.integers(-nd, nd - 1))
        return Case(lambda lib, x: x.squeeze(d), [a])
    return Case(lambda lib, x: x.squeeze(), [a])


def _permute_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES_ND)
    perm = tuple(draw(st.permutations(range(len(shape)))))
    if draw(st.booleans()):
        perm = tuple(p - len(shape) if i % 2 else p for i, p in enumerate(perm))
    if len(shape) >= 3 and not torch and draw(st.booleans()):
        return Case(lambda lib, x: x.T, [_vals(rng, shape)])  # .T of an n-d tensor permutes
    return Case(lambda lib, x: x.permute(*perm), [_vals(rng, shape)])


def _transpose_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES_ND)
    nd = len(shape)
    d0, d1 = draw(st.integers(-nd, nd - 1)), draw(st.integers(-nd, nd - 1))
    if nd == 2 and draw(st.booleans()):
        return Case(lambda lib, x: x.T, [_vals(rng, shape)])
    return Case(lambda lib, x: x.transpose(d0, d1), [_vals(rng, shape)])


def _cast_case(draw, torch=False):
    rng = _rng(draw)
    sa, sb = draw(PAIRS)
    kind = draw(st.sampled_from(["to", "float", "roundtrip"]))
    if kind == "to":
        fn = lambda lib, x, y: (x * y).to(lib.float32) * 3.0  # noqa: E731
    elif kind == "float":
        fn = lambda lib, x, y: x.float() * y.float()  # noqa: E731
    else:
        fn = lambda lib, x, y: x.to(lib.float32).double() * y  # noqa: E731
    # float64 -> float32 keeps ~7 digits; the functions are bilinear, so a wide step is exact
    # and keeps the float32 rounding small next to it
    return Case(fn, [_vals(rng, sa), _vals(rng, sb)], eps=0.1, rtol=1e-4, atol=1e-4)


def _clone_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES)
    return Case(lambda lib, x: x.clone() * x, [_vals(rng, shape)])


def _matmul_case(draw, torch=False):
    rng = _rng(draw)
    n, k, m, b, c = (draw(st.integers(1, 4)) for _ in range(5))
    sa, sb = draw(
        st.sampled_from(
            [
                ((k,), (k,)),
                ((k,), (k, m)),
                ((n, k), (k,)),
                ((n, k), (k, m)),
                ((b, n, k), (k, m)),
                ((n, k), (b, k, m)),
                ((b, 1, n, k), (c, k, m)),
                ((k,), (b, k, m)),
                ((b, n, k), (k,)),
                ((b, n, k), (b, k, m)),
            ]
        )
    )
    return Case(lambda lib, x, y: x @ y, [_vals(rng, sa), _vals(rng, sb)])


def _index(draw, rng, shape, repeats: bool, torch: bool):
    """An index for a tensor of ``shape`` and a function of lib making it."""
    n0 = shape[0]
    kinds = ["int", "slice", "mask", "mask_rows", "int_array", "list"]
    if len(shape) >= 2:
        kinds += ["tuple", "pair_arrays"]
    if not torch:
        kinds.append("neg_slice")  # torch has no negative-step slicing
    kind = draw(st.sampled_from(kinds))
    if kind == "int":
        i = draw(st.integers(-n0, n0 - 1))
        return lambda lib: i
    if kind == "slice":
        start = draw(st.one_of(st.none(), st.integers(-n0, n0 - 1)))
        stop = draw(st.one_of(st.none(), st.integers(-n0, n0)))
        step = draw(st.sampled_from([None, 1, 2]))
        return lambda lib: slice(start, stop, step)
    if kind == "neg_slice":
        return lambda lib: slice(None, None, -1)
    if kind == "tuple":
        j = draw(st.integers(-shape[1], shape[1] - 1))
        return lambda lib: (slice(None), j)
    if kind in ("mask", "mask_rows"):
        mshape = shape if kind == "mask" else shape[:1]
        mask = rng.random(mshape) < 0.5
        mask.reshape(-1)[draw(st.integers(0, mask.size - 1))] = True  # at least one
        return lambda lib: lib.tensor(mask)
    size = draw(st.integers(1, 5))
    if repeats:
        idx = rng.integers(-n0, n0, size)
        idx = np.concatenate([idx, idx[:1]])  # a repeated index accumulates its gradient
    else:
        idx = rng.permutation(n0)[: min(size, n0)]
    if kind == "list":
        lst = [int(i) for i in idx]
        return lambda lib: lst
    if kind == "pair_arrays":
        idx1 = rng.integers(0, shape[1], idx.shape)
        return lambda lib: (lib.tensor(idx), lib.tensor(idx1))
    return lambda lib: lib.tensor(idx)


def _getitem_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES_ND)
    index = _index(draw, rng, shape, repeats=True, torch=torch)
    return Case(lambda lib, x: x[index(lib)], [_vals(rng, shape)])


def _setitem_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES_ND)
    index = _index(draw, rng, shape, repeats=False, torch=torch)
    a = _vals(rng, shape)
    slot = np.zeros(shape)[index(types.SimpleNamespace(tensor=np.asarray))].shape
    vkind = draw(st.sampled_from(["full", "scalar_tensor", "python", "broadcast"]))
    if vkind == "python":

        def fn(lib, x):
            y = x * 1.5  # a non-leaf: item assignment into it is recorded
            y[index(lib)] = 0.25
            return y * y

        return Case(fn, [a])
    vshape = {"full": slot, "scalar_tensor": (), "broadcast": slot[-1:]}[vkind]

    def fn(lib, x, v):
        y = x * 1.5
        y[index(lib)] = v
        return y * y

    return Case(fn, [a, _vals(rng, vshape)])


def _mse_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES)
    red = draw(st.sampled_from(["none", "mean", "sum"]))
    return Case(
        lambda lib, x, t: lib.mse_loss(x, t, reduction=red), [_vals(rng, shape), _vals(rng, shape)]
    )


def _linear_case(draw, torch=False):
    rng = _rng(draw)
    fin, fout = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    lead = draw(st.sampled_from([(), (3,), (2, 3)]))
    x, w = _vals(rng, lead + (fin,)), _vals(rng, (fout, fin))
    if draw(st.booleans()):
        return Case(lambda lib, x, w, b: lib.linear(x, w, b), [x, w, _vals(rng, (fout,))])
    return Case(lambda lib, x, w: lib.linear(x, w), [x, w])


# ---------------------------------------------------------------- nn layers (flowkit_numpy.nn_ops)
def _dropout_mask(shape, p):
    flow.manual_seed(1234)  # the same mask on every call: finite differences call fn many times
    return flow.nn.functional._dropout_mask(shape, p, np.float64)


def _flow_dropout(x, p):
    flow.manual_seed(1234)
    return flow.nn.functional.dropout(x, p)


def _activation_case(op):
    def build(draw, torch=False):
        rng = _rng(draw)
        shape = draw(SHAPES)
        if op == "leaky_relu":
            slope = draw(st.sampled_from([0.01, 0.2, -0.5]))
            return Case(lambda lib, x: lib.F.leaky_relu(x, slope), [_vals(rng, shape, "nonzero")])
        if op == "dropout":
            p = draw(st.sampled_from([0.25, 0.5, 0.9, 1.0]))
            return Case(lambda lib, x: lib.dropout(x, p), [_vals(rng, shape)])
        approx = draw(st.sampled_from(["none", "tanh"]))
        return Case(
            lambda lib, x: lib.F.gelu(x, approximate=approx), [np.asarray(_vals(rng, shape) * 2)]
        )

    return build


def _softmax_case(op):
    def build(draw, torch=False):
        rng = _rng(draw)
        shape = draw(SHAPES)
        n = max(len(shape), 1)
        dim = draw(st.integers(-n, n - 1))
        scale = draw(st.sampled_from([1.0, 10.0]))
        return Case(
            lambda lib, x: getattr(lib.F, op)(x, dim=dim), [np.asarray(_vals(rng, shape) * scale)]
        )

    return build


def _embedding_case(draw, torch=False):
    rng = _rng(draw)
    n, d = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    idx = np.asarray(rng.integers(0, n, draw(st.sampled_from([(), (4,), (2, 3)]))))
    # the padding row gets no gradient on purpose (PyTorch's rule): checked against torch only
    pad = draw(st.sampled_from([None, 0, -1] if torch else [None]))
    return Case(
        lambda lib, w: lib.F.embedding(lib.tensor(idx), w, padding_idx=pad), [_vals(rng, (n, d))]
    )


def _layer_norm_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES_ND.filter(lambda s: np.prod(s) > 1))
    k = draw(st.integers(1, len(shape)))
    ns = shape[len(shape) - k :]
    x = _vals(rng, shape)
    affine = draw(st.sampled_from(["none", "weight", "both"]))
    if affine == "none":
        return Case(lambda lib, x: lib.F.layer_norm(x, ns), [x])
    if affine == "weight":
        return Case(lambda lib, x, w: lib.F.layer_norm(x, ns, w), [x, _vals(rng, ns)])
    return Case(
        lambda lib, x, w, b: lib.F.layer_norm(x, ns, w, b, eps=1e-3),
        [x, _vals(rng, ns), _vals(rng, ns)],
    )


def _batch_norm_case(draw, torch=False):
    rng = _rng(draw)
    n, c = draw(st.integers(2, 4)), draw(st.integers(1, 3))
    shape = (n, c) + draw(st.sampled_from([(), (3,), (2, 2)]))
    arrays = [_vals(rng, shape), _vals(rng, (c,)), _vals(rng, (c,))]
    if draw(st.booleans()):
        return Case(
            lambda lib, x, w, b: lib.F.batch_norm(x, None, None, w, b, training=True), arrays
        )
    rm, rv = _vals(rng, (c,)), _vals(rng, (c,), "positive")
    return Case(
        lambda lib, x, w, b: lib.F.batch_norm(x, lib.tensor(rm), lib.tensor(rv), w, b), arrays
    )


def _conv2d_case(draw, torch=False):
    rng = _rng(draw)
    groups = draw(st.sampled_from([1, 1, 2]))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pad = draw(st.sampled_from([0, 1, (1, 0), "same", "valid"]))
    stride = (1, 1) if pad == "same" else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(dil[0] * (kh - 1) + 1, 6))
    w = draw(st.integers(dil[1] * (kw - 1) + 1, 6))
    arrays = [
        _vals(rng, (draw(st.integers(1, 2)), cin, h, w)),
        _vals(rng, (cout, cin // groups, kh, kw)),
    ]
    if draw(st.booleans()):
        arrays.append(_vals(rng, (cout,)))
    return Case(
        lambda lib, x, *wb: lib.F.conv2d(
            x, *wb, stride=stride, padding=pad, dilation=dil, groups=groups
        ),
        arrays,
    )


def _max_pool2d_case(draw, torch=False):
    rng = _rng(draw)
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pad = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    stride = draw(st.sampled_from([None, 1, (2, 1)]))
    ceil = draw(st.booleans())
    h = draw(st.integers(dil[0] * (k[0] - 1) + 1, 6))
    w = draw(st.integers(dil[1] * (k[1] - 1) + 1, 6))
    x = _vals(rng, (draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w))
    return Case(lambda lib, x: lib.F.max_pool2d(x, k, stride, pad, dil, ceil_mode=ceil), [x])


def _classification_case(op):
    def build(draw, torch=False):
        rng = _rng(draw)
        c = draw(st.integers(1, 4))
        xshape = draw(st.sampled_from([(c,), (3, c), (2, c, 2, 3)]))
        tshape = xshape[:1] + xshape[2:] if len(xshape) > 1 else ()
        red = draw(st.sampled_from(["none", "mean", "sum"]))
        w = _vals(rng, (c,), "positive") if draw(st.booleans()) else None
        x = np.asarray(_vals(rng, xshape) * 3)
        kw = {"reduction": red}
        if op == "cross_entropy":
            kw["label_smoothing"] = draw(st.sampled_from([0.0, 0.1]))
            if draw(st.booleans()):  # class probabilities, differentiable too
                p = rng.dirichlet(np.ones(c), tshape).astype(np.float64)
                p = np.moveaxis(p, -1, 1) if p.ndim > 1 else p
                return Case(
                    lambda lib, x, t: lib.F.cross_entropy(
                        x, t, None if w is None else lib.tensor(w), **kw
                    ),
                    [x, p],
                )
        t = np.asarray(rng.integers(0, c, tshape))
        if t.ndim and draw(st.booleans()):
            t.reshape(-1)[1:][rng.random(t.size - 1) < 0.3] = -100  # ignored (never the first)
        fn = getattr(FLOW.F, op).__name__
        return Case(
            lambda lib, x: getattr(lib.F, fn)(
                x, lib.tensor(t), None if w is None else lib.tensor(w), **kw
            ),
            [x],
        )

    return build


CASES: dict[str, Callable] = {
    **{op: _binary_case(op) for op in _BINARY},
    **{op: _reflected_case(op) for op in ("rsub", "rdiv", "rpow")},
    **{op: _unary_case(op) for op in _UNARY_KIND},
    "sum": _reduce_case("sum"),
    "mean": _reduce_case("mean"),
    "reshape": _reshape_case,
    "permute": _permute_case,
    "transpose": _transpose_case,
    "cast": _cast_case,
    "clone": _clone_case,
    "matmul": _matmul_case,
    "getitem": _getitem_case,
    "setitem": _setitem_case,
    "mse_loss": _mse_case,
    "linear": _linear_case,
    **{op: _activation_case(op) for op in ("leaky_relu", "gelu", "dropout")},
    **{op: _softmax_case(op) for op in ("softmax", "log_softmax")},
    "embedding": _embedding_case,
    "layer_norm": _layer_norm_case,
    "batch_norm": _batch_norm_case,
    "conv2d": _conv2d_case,
    "max_pool2d": _max_pool2d_case,
    **{op: _classification_case(op) for op in ("cross_entropy", "nll_loss")},
}


# ------------------------------------------------------------------------------------------ cases:
# the Tensors page's ops (elementwise, selection, reductions, joining and splitting)
_UNARY_KIND.update(
    {
        "reciprocal": "nonzero",
        "rsqrt": "positive",
        "log1p": "positive",
        "expm1": "any",
        "log2": "positive",
        "log10": "positive",
        # piecewise constant: a zero gradient (random values are never at a step)
        "sign": "nonzero",
        "floor": "any",
        "ceil": "any",
        "round": "any",
    }
)


def _select_case(op):
    """maximum/minimum/remainder: two broadcast tensors, or a tensor and a number."""
    fns = {
        "maximum": lambda x, y: x.maximum(y),
        "minimum": lambda x, y: x.minimum(y),
        "remainder": lambda x, y: x % y,
    }
    f = fns[op]

    def build(draw, torch=False):
        rng = _rng(draw)
        sa, sb = draw(PAIRS)
        a = _vals(rng, sa)
        if op == "remainder" and draw(st.booleans()):
            s = draw(st.sampled_from([1.5, -0.7, 2.0]))
            return Case(lambda lib, x: x % s, [a])
        return Case(lambda lib, x, y: f(x, y), [a, _vals(rng, sb, "nonzero")])

    return build


def _clamp_case(draw, torch=False):
    rng = _rng(draw)
    sa, sb = draw(PAIRS)
    a = _vals(rng, sa)
    kind = draw(st.sampled_from(["both", "min", "max", "tensors", "tensor_min"]))
    method = draw(st.sampled_from(["clamp", "clip"]))
    if kind == "both":
        return Case(lambda lib, x: getattr(x, method)(-0.5, 0.7), [a])
    if kind == "min":
        return Case(lambda lib, x: getattr(x, method)(min=0.3), [a])
    if kind == "max":
        return Case(lambda lib, x: getattr(x, method)(max=-0.3), [a])
    lo = np.asarray(_vals(rng, sb) - 0.5)
    if kind == "tensor_min":
        return Case(lambda lib, x, m: getattr(x, method)(min=m), [a, lo])
    # bounds that sometimes cross (min > max): the gradient rules for that case are PyTorch's
    return Case(
        lambda lib, x, m, h: getattr(x, method)(m, h), [a, lo, np.asarray(_vals(rng, sb) + 0.5)]
    )


def _where_case(draw, torch=False):
    rng = _rng(draw)
    sa, sb = draw(PAIRS)
    shape = np.broadcast_shapes(sa, sb)
    cshape = draw(st.sampled_from([shape, shape[-1:], ()]))
    mask = rng.random(cshape) < 0.5
    form = draw(st.sampled_from(["tt", "ts", "st", "method"]))
    a, b = _vals(rng, sa), _vals(rng, sb)
    if form == "ts":
        return Case(lambda lib, x: lib.where(lib.tensor(mask), x, 0.5), [a])
    if form == "st":
        return Case(lambda lib, y: lib.where(lib.tensor(mask), -2.0, y), [b])
    if form == "method":
        return Case(lambda lib, x, y: x.where(lib.tensor(mask), y), [a, b])
    return Case(lambda lib, x, y: lib.where(lib.tensor(mask), x, y), [a, b])


def _masked_fill_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES)
    mshape = draw(st.sampled_from([shape, shape[-1:], ()]))
    mask = rng.random(mshape) < 0.5
    a = _vals(rng, shape)
    if draw(st.booleans()):
        return Case(lambda lib, x, v: x.masked_fill(lib.tensor(mask), v), [a, _vals(rng, ())])
    return Case(lambda lib, x: x.masked_fill(lib.tensor(mask), 0.25), [a])


def _prod_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES)
    a = _vals(rng, shape)
    if a.size and draw(st.booleans()):
        a.reshape(-1)[draw(st.integers(0, a.size - 1))] = 0.0  # the exact path for zeros
    if not shape or draw(st.booleans()):
        return Case(lambda lib, x: x.prod(), [a])
    d = draw(st.integers(-len(shape), len(shape) - 1))
    k = draw(st.booleans())
    return Case(lambda lib, x: x.prod(d, keepdim=k), [a])


SHAPES_2 = st.lists(st.integers(2, 4), min_size=1, max_size=3).map(tuple)  # n - 1 > 0


def _var_case(op):
    def build(draw, torch=False):
        rng = _rng(draw)
        shape = draw(SHAPES_2)
        dim = _dims(draw, len(shape))
        unbiased, keepdim = draw(st.booleans()), draw(st.booleans())
        a = _vals(rng, shape)
        if dim is None:
            return Case(lambda lib, x: getattr(x, op)(unbiased=unbiased), [a])
        return Case(lambda lib, x: getattr(x, op)(dim=dim, unbiased=unbiased, keepdim=keepdim), [a])

    return build


def _norm_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES)
    p = draw(st.sampled_from([2, 1, 3, 1.5, float("inf"), "fro"]))
    a = _vals(rng, shape, "nonzero")
    if not shape or draw(st.booleans()):
        return Case(lambda lib, x: x.norm(p), [a])
    d = draw(st.integers(-len(shape), len(shape) - 1))
    k = draw(st.booleans())
    return Case(lambda lib, x: x.norm(2 if p == "fro" else p, dim=d, keepdim=k), [a])


def _minmax_case(op):
    def build(draw, torch=False):
        rng = _rng(draw)
        shape = draw(SHAPES)
        a = _vals(rng, shape)
        if not shape or draw(st.booleans()):
            return Case(lambda lib, x: getattr(x, op)(), [a])
        d = draw(st.integers(-len(shape), len(shape) - 1))
        k = draw(st.booleans())
        if draw(st.booleans()):
            return Case(lambda lib, x: getattr(x, op)(d, keepdim=k)[0], [a])
        return Case(lambda lib, x: getattr(x, op)(dim=d, keepdim=k).values, [a])

    return build


def _expand_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES)
    shape = tuple(1 if draw(st.booleans()) else s for s in shape)
    sizes = [
        draw(st.sampled_from([-1, 3])) if s == 1 else draw(st.sampled_from([-1, s])) for s in shape
    ]
    sizes = tuple(draw(st.lists(st.integers(1, 3), max_size=2)) + sizes)
    if sizes and draw(st.booleans()):
        return Case(lambda lib, x: x.expand(*sizes) * 1.5, [_vals(rng, shape)])
    return Case(lambda lib, x: x.expand(sizes), [_vals(rng, shape)])


def _split_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES_ND)
    nd = len(shape)
    d = draw(st.integers(-nd, nd - 1))
    n = shape[d]
    kind = draw(st.sampled_from(["split", "sections", "chunk"]))
    if kind == "sections":
        cut = draw(st.integers(0, n))
        arg = [cut, n - cut]
    else:
        arg = draw(st.integers(1, 4))

    def pieces(x):
        return x.chunk(arg, d) if kind == "chunk" else x.split(arg, d)

    if draw(st.booleans()):  # every piece, weighted differently, joined again
        return Case(
            lambda lib, x: lib.cat([p * (i + 1.0) for i, p in enumerate(pieces(x))], d),
            [_vals(rng, shape)],
        )
    return Case(lambda lib, x: pieces(x)[-1] * 2.0, [_vals(rng, shape)])


def _flip_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES_ND)
    nd = len(shape)
    dims = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
    dims = tuple(d - nd if draw(st.booleans()) else d for d in dims)
    return Case(lambda lib, x: x.flip(dims), [_vals(rng, shape)])


def _cat_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES_ND)
    nd = len(shape)
    d = draw(st.integers(-nd, nd - 1))
    shapes = [
        shape[: d % nd] + (draw(st.integers(1, 3)),) + shape[d % nd + 1 :]
        for _ in range(draw(st.integers(1, 3)))
    ]
    arrays = [_vals(rng, s) for s in shapes]
    if draw(st.booleans()):  # a constant and a legacy empty 1-d tensor among the leaves
        const = _vals(rng, shapes[0])
        return Case(
            lambda lib, *xs: lib.cat([lib.tensor(np.zeros(0)), *xs, lib.tensor(const)], dim=d),
            arrays,
        )
    return Case(lambda lib, *xs: lib.cat(list(xs), d), arrays)


def _stack_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES)
    nd = len(shape) + 1
    d = draw(st.integers(-nd, nd - 1))
    k = draw(st.integers(1, 3))
    return Case(lambda lib, *xs: lib.stack(xs, dim=d), [_vals(rng, shape) for _ in range(k)])


CASES.update(
    {
        **{
            op: _unary_case(op)
            for op in (
                "reciprocal",
                "rsqrt",
                "log1p",
                "expm1",
                "log2",
                "log10",
                "sign",
                "floor",
                "ceil",
                "round",
            )
        },
        **{op: _select_case(op) for op in ("maximum", "minimum", "remainder")},
        "clamp": _clamp_case,
        "where": _where_case,
        "masked_fill": _masked_fill_case,
        "prod": _prod_case,
        "var": _var_case("var"),
        "std": _var_case("std"),
        "norm": _norm_case,
        "max": _minmax_case("max"),
        "min": _minmax_case("min"),
        "amax": _extreme_case("amax"),
        "logsumexp": _logsumexp_case,
        "amin": _extreme_case("amin"),
        "expand": _expand_case,
        "split": _split_case,
        "flip": _flip_case,
        "cat": _cat_case,
        "stack": _stack_case,
    }
)


# ------------------------------------------------------------------------------------------ table
def test_vjp_table_is_complete():
    differentiable = {name for name, d in np_define.FORWARD_OPS.items() if d}
    assert differentiable, "the forward table is empty"
    missing = differentiable - set(np_define.VJP)
    extra = set(np_define.VJP) - differentiable
    assert not missing, f"differentiable ops without a VJP: {sorted(missing)}"
    assert not extra, f"VJPs for ops the forward table does not record: {sorted(extra)}"
    assert all(callable(f) for f in np_define.VJP.values())


def test_every_differentiable_op_has_a_gradient_case():
    assert set(DIFF_OPS) <= set(CASES), sorted(set(DIFF_OPS) - set(CASES))


def test_comparisons_are_not_differentiable():
    for op in ("eq", "ne", "lt", "le", "gt", "ge"):
        assert np_define.FORWARD_OPS[op] is False
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    assert (x > 1.5).requires_grad is False


# ------------------------------------------------------------------------------------------ FD
@pytest.mark.parametrize("op", DIFF_OPS)
@SETTINGS
@given(data=st.data())
def test_finite_differences(op, data):
    case = CASES[op](data.draw)
    check_fd(case, op)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
@pytest.mark.parametrize(
    "sa,sb", [((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ()), ((4,), (3, 1)), ((2, 1, 3), (4, 1))]
)
def test_broadcasting_gradients(op, sa, sb):
    rng = np.random.default_rng(0)
    ka, kb = _KINDS[op]
    f = _BINARY[op]
    check_fd(Case(lambda lib, x, y: f(x, y), [_vals(rng, sa, ka), _vals(rng, sb, kb)]), op)


@pytest.mark.parametrize(
    "expr,op",
    [
        (lambda x: x + 2, "add"),
        (lambda x: 2 + x, "add"),
        (lambda x: x - 2.5, "sub"),
        (lambda x: 2.5 - x, "rsub"),
        (lambda x: x * -3, "mul"),
        (lambda x: 0.5 * x, "mul"),
        (lambda x: x / 4, "div"),
        (lambda x: 4 / x, "rdiv"),
        (lambda x: x**2, "pow"),
        (lambda x: 2**x, "rpow"),
        (lambda x: x**0.5, "pow"),
    ],
)
def test_python_scalar_on_either_side(expr, op):
    rng = np.random.default_rng(3)
    check_fd(Case(lambda lib, x: expr(x), [_vals(rng, (2, 3), "positive")]), op)


@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize(
    "dim,keepdim",
    [
        (None, False),
        (None, True),
        (0, False),
        (1, True),
        (-1, False),
        ((0, 2), True),
        ((2, -3), False),
    ],
)
def test_reduction_dims(op, dim, keepdim):
    a = _vals(np.random.default_rng(4), (2, 3, 4))
    check_fd(Case(lambda lib, x: getattr(x, op)(dim=dim, keepdim=keepdim), [a]), op)


@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize("dim", [0, -1, (0,)])
def test_reduction_of_a_0d_tensor_over_dim_0(op, dim):
    # PyTorch accepts dim 0 / -1 on a 0-d tensor (it has one implicit dimension)
    x = flow.tensor(np.float64(2.5), requires_grad=True)
    out = getattr(x, op)(dim)
    assert tuple(out.shape) == ()
    assert out.item() == 2.5
    out.backward()
    assert x.grad.item() == 1.0


def test_getitem_repeated_integer_indices_accumulate():
    x = flow.tensor([1.0, 2.0, 3.0], dtype=flow.float64, requires_grad=True)
    y = x[flow.tensor([0, 0, 2, 0])]
    (y * flow.tensor([1.0, 2.0, 3.0, 4.0], dtype=flow.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 0.0, 3.0])
    x.grad = None
    x[[1, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 0.0])


def test_getitem_bool_mask_gradient():
    x = flow.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    (x[x > 0] * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[5.0, 0.0], [5.0, 0.0]])


def test_setitem_into_non_leaf_gradients():
    x = flow.tensor([1.0, 2.0, 3.0], dtype=flow.float64, requires_grad=True)
    v = flow.tensor(10.0, dtype=flow.float64, requires_grad=True)
    y = x * 2
    y[1] = v
    assert y.grad_fn is not None and "setitem" in _graph_ops(y)
    (y * flow.tensor([1.0, 2.0, 3.0], dtype=flow.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, 6.0])  # slot 1 was overwritten
    assert v.grad.item() == 2.0
    np.testing.assert_array_equal(y.numpy(), [2.0, 10.0, 6.0])


def test_setitem_does_not_change_values_saved_by_earlier_ops():
    x = flow.tensor([1.0, 2.0], dtype=flow.float64, requires_grad=True)
    y = x * 1.0
    z = y * y  # saves y's values
    y[0] = 100.0
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


@pytest.mark.parametrize("reduction,expected_loss", [("none", None), ("mean", 2.5), ("sum", 5.0)])
def test_mse_loss_gradient_values(reduction, expected_loss):
    x = flow.tensor([1.0, 2.0], dtype=flow.float64, requires_grad=True)
    t = flow.tensor([0.0, 4.0], dtype=flow.float64, requires_grad=True)
    loss = flow.nn.functional.mse_loss(x, t, reduction=reduction)
    if reduction == "none":
        np.testing.assert_array_equal(loss.numpy(), [1.0, 4.0])
        loss.sum().backward()
        scale = 1.0
    else:
        assert loss.item() == expected_loss
        assert loss.dtype == flow.float64
        loss.backward()
        scale = 0.5 if reduction == "mean" else 1.0
    np.testing.assert_allclose(x.grad.numpy(), scale * 2 * np.array([1.0, -2.0]))
    np.testing.assert_allclose(t.grad.numpy(), -scale * 2 * np.array([1.0, -2.0]))


@pytest.mark.parametrize("bias", [True, False])
def test_linear_with_and_without_bias(bias):
    rng = np.random.default_rng(5)
    arrays = [_vals(rng, (4, 3)), _vals(rng, (2, 3))] + ([_vals(rng, (2,))] if bias else [])
    check_fd(Case(lambda lib, *t: lib.linear(*t), arrays), "linear")


def test_pow_with_tensor_exponent():
    rng = np.random.default_rng(6)
    check_fd(
        Case(lambda lib, x, y: x**y, [_vals(rng, (3, 1), "positive"), _vals(rng, (1, 4))]), "pow"
    )


# ------------------------------------------------------------------------------------------ torch
@pytest.mark.torch_oracle
@pytest.mark.parametrize("op", DIFF_OPS)
@SETTINGS
@given(data=st.data())
def test_against_torch(op, data):
    check_torch(CASES[op](data.draw, torch=True))


@pytest.mark.torch_oracle
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
def test_broadcasting_against_torch(op):
    rng = np.random.default_rng(7)
    ka, kb = _KINDS[op]
    f = _BINARY[op]
    check_torch(Case(lambda lib, x, y: f(x, y), [_vals(rng, (3, 1), ka), _vals(rng, (1, 4), kb)]))


# ------------------------------------------------------------------------------------------ engine
def test_gradients_accumulate_over_two_backwards_with_retain_graph():
    x = flow.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0, 12.0])


def test_second_backward_without_retain_graph_is_a_clear_error():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(flow.AutogradError, match="retain_graph=True"):
        y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])  # the failed call added nothing


def test_backward_through_a_freed_part_of_the_graph():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    (h * 2).sum().backward()
    with pytest.raises(flow.AutogradError, match="second time"):
        (h * 4).sum().backward()


def test_non_scalar_backward_needs_a_gradient():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(flow.AutogradError, match=r"gradient=") as info:
        (x * 2).backward()
    assert "(2,)" in str(info.value)
    assert x.grad is None


def test_backward_with_gradient_is_a_vector_jacobian_product():
    rng = np.random.default_rng(8)
    a = rng.standard_normal((3, 4))
    v = rng.standard_normal(3)
    x = flow.tensor(rng.standard_normal(4), requires_grad=True)
    y = flow.tensor(a) @ x
    g = flow.tensor(v)
    y.backward(gradient=g)
    np.testing.assert_allclose(x.grad.numpy(), a.T @ v, rtol=1e-12)
    np.testing.assert_array_equal(g.numpy(), v)  # the caller's gradient is never written


def test_backward_gradient_of_wrong_shape():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(flow.ShapeError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(flow.ones(3))


def test_backward_on_a_tensor_without_grad():
    with pytest.raises(flow.AutogradError, match="requires_grad=True"):
        flow.ones(2).sum().backward()


def test_backward_on_a_leaf():
    x = flow.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_retain_grad_on_a_non_leaf():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    k = x * 2  # not retained
    (h * h + k).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())
    assert k.grad is None
    np.testing.assert_allclose(x.grad.numpy(), 18 * x.numpy() + 2)
    assert not h.is_leaf and x.is_leaf


def test_retain_grad_accumulates_with_retain_graph():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    y = (h * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(h.grad.numpy(), [4.0, 4.0])


def test_no_grad_enable_grad_set_grad_enabled():
    x = flow.ones(2, requires_grad=True)
    with flow.no_grad():
        assert not flow.is_grad_enabled()
        y = x * 2
        with flow.enable_grad():
            assert flow.is_grad_enabled()
            z = x * 2
        assert not flow.is_grad_enabled()
    assert flow.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    flow.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        flow.set_grad_enabled(True)
    assert (x * 2).requires_grad

    with flow.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad

    @flow.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert flow.is_grad_enabled()


def test_no_grad_restores_mode_on_exception():
    with pytest.raises(ValueError):
        with flow.no_grad():
            raise ValueError("boom")
    assert flow.is_grad_enabled()
    assert (flow.ones(1, requires_grad=True) * 2).requires_grad


def test_grads_of_two_leaves_never_alias():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    y = flow.tensor([3.0, 4.0], requires_grad=True)
    z = x + y
    z.sum().backward()
    x.grad.numpy()[...] += 100.0  # mutate one leaf's gradient in place
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])
    with flow.no_grad():
        y.grad.add_(7.0)
    np.testing.assert_array_equal(x.grad.numpy(), [101.0, 101.0])


def test_grads_do_not_alias_the_callers_gradient():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    y = flow.tensor([3.0, 4.0], requires_grad=True)
    g = flow.tensor([1.0, 1.0])
    (x + y).backward(g)
    x.grad.numpy()[...] = 9.0
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])


def test_leaf_grad_accumulation_does_not_corrupt_pending_gradients():
    # x gets a gradient from `x + h` (stored without a copy), then more from `x * h` while the
    # same array is still waiting to flow into h: accumulating in place would corrupt it.
    xv = np.array([1.0, 2.0])
    x = flow.tensor(xv, requires_grad=True)
    h = x * 3
    out = (((x + h) + x * h) * 1.0).sum()  # = 4x + 3x^2
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 + 6 * xv)


def test_same_leaf_used_twice():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_deep_chain_backpropagates_without_recursion_error():
    x = flow.tensor(1.0, dtype=flow.float64, requires_grad=True)
    y = x
    for i in range(5000):
        y = y * 1.0001 if i % 2 else y + 0.5
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001**2500, rel=1e-9)


def test_deep_graph_dropped_without_backward():
    x = flow.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(20000):
        y = y + 1.0
    del y  # freeing a long chain must not overflow the C stack or recurse
    gc.collect()


def test_graph_memory_is_freed_by_backward():
    x = flow.tensor(np.ones(1000), requires_grad=True)
    h = x * 2.0
    hh = h * h  # kept alive below: its node must still drop what it saved
    out = hh.sum()
    ref_t, ref_a = weakref.ref(h), weakref.ref(h.numpy())
    del h
    gc.collect()
    assert ref_t() is not None and ref_a() is not None  # the graph keeps them for backward
    out.backward()
    gc.collect()
    assert hh.grad_fn is not None  # the node is still there, emptied
    assert ref_t() is None, "the saved intermediate tensor outlived backward"
    assert ref_a() is None, "the saved intermediate array outlived backward"


def test_retain_graph_keeps_saved_values():
    x = flow.tensor(np.ones(10), requires_grad=True)
    h = x * 2.0
    out = (h * h).sum()
    ref = weakref.ref(h)
    del h
    out.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None
    out.backward()
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize(
    "op",
    [
        lambda x: x.add_(1.0),
        lambda x: x.sub_(1.0),
        lambda x: x.mul_(2.0),
        lambda x: x.div_(2.0),
        lambda x: x.zero_(),
        lambda x: x.fill_(3.0),
        lambda x: x.copy_(flow.zeros(3)),
        lambda x: operator.iadd(x, 1.0),
        lambda x: x.__setitem__(0, 5.0),
    ],
    ids=["add_", "sub_", "mul_", "div_", "zero_", "fill_", "copy_", "+=", "setitem"],
)
def test_in_place_on_a_leaf_requiring_grad(op):
    x = flow.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(flow.AutogradError, match="no_grad"):
        op(x)
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0, 3.0])
    with flow.no_grad():
        op(x)  # allowed (an optimizer's update)
    assert not np.array_equal(x.numpy(), [1.0, 2.0, 3.0])
    assert x.requires_grad and x.is_leaf


def test_in_place_on_a_non_leaf_is_recorded():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y += x  # y = 3x
    y.mul_(x)  # y = 3x^2
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.array([1.0, 2.0]))


def test_in_place_on_a_non_leaf_keeps_earlier_consumers_on_the_old_value():
    xv = np.array([1.0, 2.0])
    x = flow.tensor(xv, requires_grad=True)
    y = x * 1.0
    z = y * y  # uses y before the update
    y.mul_(3.0)  # y = 3x from here on
    (z.sum() + y.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * xv + 3)


@pytest.mark.parametrize("grad", [True, False])
def test_in_place_keeps_dtype_and_shape_inside_and_outside_a_graph(grad):
    x = flow.tensor([1.0, 2.0], requires_grad=grad)
    y = x * 2
    y += flow.tensor([0.5, 0.5], dtype=flow.float64)
    assert y.dtype == flow.float32  # as in PyTorch: the in-place result keeps y's dtype
    np.testing.assert_array_equal(y.numpy(), [2.5, 4.5])
    with pytest.raises(flow.ShapeError, match=r"\(2,\) and \(3, 2\)"):
        y += flow.ones(3, 2)
    assert tuple(y.shape) == (2,)
    i = flow.tensor([1, 2])
    with pytest.raises(flow.DTypeError, match="in place"):
        i += flow.tensor([0.5, 0.5], requires_grad=grad)
    if grad:
        y.sum().backward()
        assert x.grad.dtype == flow.float32
        np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_gradient_of_a_non_leaf_has_its_dtype():
    x = flow.tensor([1.0, 2.0], dtype=flow.float64, requires_grad=True)
    h = x.to(flow.float32)
    h.retain_grad()
    (h.double() * flow.tensor([0.1, 0.2], dtype=flow.float64)).sum().backward()
    assert h.grad.dtype == flow.float32
    assert x.grad.dtype == flow.float64
    # the gradient passed through float32, as in PyTorch
    np.testing.assert_array_equal(x.grad.numpy(), np.array([0.1, 0.2], np.float32))


def test_dtype_promotion():
    f32 = flow.tensor([1.5, 2.5])
    i64 = flow.tensor([1, 2])
    assert (f32 + i64).dtype == flow.float32
    assert (i64 + f32).dtype == flow.float32
    assert (i64 * f32).dtype == flow.float32
    assert (f32 + flow.tensor([1.0], dtype=flow.float64)).dtype == flow.float64
    assert (i64 + flow.tensor([True, False])).dtype == flow.int64
    assert (i64 + 1).dtype == flow.int64
    assert (i64 * 1.5).dtype == flow.float32
    assert (f32 * 2.0).dtype == flow.float32
    assert (f32 * np.float64(2.0)).dtype == flow.float32  # numpy scalars are weak, like Python's
    q = i64 / flow.tensor([2, 4])
    assert q.dtype == flow.float32
    np.testing.assert_array_equal(q.numpy(), [0.5, 0.5])
    assert (i64 / 2).dtype == flow.float32
    assert (1 / i64).dtype == flow.float32
    np.testing.assert_array_equal((7 / flow.tensor([2])).numpy(), [3.5])


def test_gradient_through_promotion_keeps_the_leaf_dtype():
    x = flow.tensor([1.5, 2.5], requires_grad=True)
    y = (x * flow.tensor([2, 3])).sum()
    assert y.dtype == flow.float32
    y.backward()
    assert x.grad.dtype == flow.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 3.0])


def test_grad_fn_names():
    x = flow.tensor([1.0], requires_grad=True)
    assert (x * 2)._grad_fn_name() == "MulBackward"
    assert flow.nn.functional.mse_loss(x, flow.zeros(1))._grad_fn_name() == "MseLossBackward"
    assert x._grad_fn_name() is None


# ---------------------------------------------------------------- recorded by VJPs (numpy_api)
def _add_at(lib, y, index, v):
    """``np.add.at`` on tensors, as a create_graph backward runs it (the getitem VJP's
    scatter); torch's equivalent is an accumulating index_put."""
    if lib.name == "torch":
        import torch

        return y.index_put((torch.from_numpy(index),), v, accumulate=True)
    from flowkit_numpy.numpy_api import differentiable

    with differentiable():
        np.add.at(y, index, v)
    return y


def _add_at_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES_ND)
    idx = rng.integers(0, shape[0], draw(st.integers(1, 4)))
    idx = np.concatenate([idx, idx[:1]])  # repeated indices accumulate
    vshape = draw(st.sampled_from([(len(idx),) + shape[1:], shape[1:], ()]))  # broadcast too
    return Case(
        lambda lib, x, v: _add_at(lib, x * 1.5, idx, v) ** 2,
        [_vals(rng, shape), _vals(rng, vshape)],
    )


CASES["add_at"] = _add_at_case


# ------------------------------------------------- trigonometric, hyperbolic and error functions
_MATH_DOMAIN = {  # (low, high) of the values drawn
    "tan": (-0.9, 0.9),
    "asin": (-0.9, 0.9),
    "acos": (-0.9, 0.9),
    "atan": (-2.0, 2.0),
    "sinh": (-2.0, 2.0),
    "cosh": (-2.0, 2.0),
    "asinh": (-2.0, 2.0),
    "acosh": (1.2, 3.0),
    "atanh": (-0.9, 0.9),
    "erf": (-2.0, 2.0),
    "erfc": (-2.0, 2.0),
    "erfinv": (-0.9, 0.9),
    "frac": (-2.9, 2.9),
    "trunc": (-2.9, 2.9),
}


def _math_case(op):
    lo, hi = _MATH_DOMAIN[op]

    def build(draw, torch=False):
        rng = _rng(draw)
        a = np.asarray(rng.uniform(lo, hi, draw(SHAPES)), dtype=np.float64)
        return Case(lambda lib, x: getattr(x, op)(), [a])

    return build


def _math_binary_case(op):
    """atan2, logaddexp, fmod: two broadcast tensors (fmod's divisor away from 0)."""

    def build(draw, torch=False):
        rng = _rng(draw)
        sa, sb = draw(PAIRS)
        b = _vals(rng, sb, "nonzero" if op == "fmod" else "any")
        return Case(lambda lib, x, y: getattr(x, op)(y), [_vals(rng, sa), b])

    return build


CASES.update({op: _math_case(op) for op in _MATH_DOMAIN})
CASES.update({op: _math_binary_case(op) for op in ("atan2", "logaddexp", "fmod")})


# ------------------------------------------------------- recurrent layers (issue 12, part 6)
def _rnn_layer_case(draw, torch=False):
    """One layer-direction of an RNN/LSTM/GRU (the backend op behind nn.RNN/LSTM/GRU), against
    torch's own kernels; the outputs and final states concatenated into one tensor. (Variable
    lengths: tests/test_nn_rnn.py.)"""
    rng = _rng(draw)
    mode = draw(st.sampled_from(["lstm", "gru", "rnn_tanh", "rnn_relu"]))
    reverse = draw(st.booleans())
    t_len, b, i, h = draw(st.integers(1, 3)), draw(st.integers(1, 2)), 2, 2
    g = {"lstm": 4, "gru": 3}.get(mode, 1) * h
    kind = "nonzero" if mode == "rnn_relu" else "any"
    arrays = [_vals(rng, (t_len, b, i), kind), _vals(rng, (b, h)) * 0.5]
    if mode == "lstm":
        arrays.append(_vals(rng, (b, h)) * 0.5)
    arrays += [_vals(rng, (g, i)) * 0.5, _vals(rng, (g, h)) * 0.5, _vals(rng, (g,)) * 0.5]
    arrays.append(_vals(rng, (g,)) * 0.5)
    if mode == "rnn_relu":  # pre-activations away from relu's kink
        arrays = [np.abs(a) + (0.2 if k == 0 else 0.0) for k, a in enumerate(arrays)]

    def fn(lib, x, h0, *rest):
        c0, (w_ih, w_hh, b_ih, b_hh) = (rest[0], rest[1:]) if mode == "lstm" else (None, rest)
        if lib.name == "flowkit":
            out, hn, cn = flow.backend().rnn_layer(
                mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, None
            )
        else:
            import torch as T

            kernel = getattr(T, mode)
            hx = (h0[None], c0[None]) if mode == "lstm" else h0[None]
            xs = x.flip(0) if reverse else x
            res = kernel(xs, hx, [w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, False, False, False)
            out = res[0].flip(0) if reverse else res[0]
            hn, cn = res[1][0], (res[2][0] if mode == "lstm" else None)
        parts = [out, hn[None]] + ([cn[None]] if cn is not None else [])
        return lib.cat(parts, 0)

    return Case(fn, arrays)


CASES["rnn_layer"] = _rnn_layer_case


# ------------------------------------------------ activations and losses (issue 12, part 4)
def _softplus_case(draw, torch=False):
    rng = _rng(draw)
    beta, threshold = draw(st.sampled_from([(1.0, 20.0), (2.0, 1.5), (0.5, 20.0)]))
    a = np.asarray(rng.uniform(-4, 4, draw(SHAPES)), dtype=np.float64)
    a = np.where(np.abs(a * beta - threshold) < 0.05, a + 0.2, a)  # away from the switch
    return Case(lambda lib, x: lib.F.softplus(x, beta, threshold), [a])


def _gelu_backward_case(draw, torch=False):
    """gelu's derivative, taken with create_graph: the op its double backward records."""
    rng = _rng(draw)
    approx = draw(st.sampled_from(["none", "tanh"]))
    a = np.asarray(_vals(rng, draw(SHAPES)) * 2)

    def fn(lib, x):  # (finite differences call it under no_grad, with plain tensors)
        if lib.name == "flowkit":
            with flow.enable_grad():
                xx = x if x.requires_grad else x.detach().requires_grad_(True)
                y = lib.F.gelu(xx, approximate=approx).sum()
                return flow.autograd.grad(y, [xx], create_graph=True)[0]
        import torch as T

        with T.enable_grad():
            xx = x if x.requires_grad else x.detach().requires_grad_(True)
            y = lib.F.gelu(xx, approximate=approx).sum()
            return T.autograd.grad(y, [xx], create_graph=True)[0]

    return Case(fn, [a])


def _bce_logits_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(SHAPES)
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    weighted = draw(st.booleans())
    w = rng.uniform(0.5, 2.0, shape[-1:]) if weighted else None
    pw = rng.uniform(0.5, 3.0, shape[-1:]) if weighted else None

    def fn(lib, x, t):
        ww = None if w is None else lib.tensor(w)
        pp = None if pw is None else lib.tensor(pw)
        return lib.F.binary_cross_entropy_with_logits(x, t, ww, reduction=reduction, pos_weight=pp)

    return Case(fn, [np.asarray(_vals(rng, shape) * 3), np.asarray(rng.uniform(0.0, 1.0, shape))])


CASES["softplus"] = _softplus_case
CASES["gelu_backward"] = _gelu_backward_case
CASES["binary_cross_entropy_with_logits"] = _bce_logits_case


# ------------------------ convolution, pooling, normalization, resampling, padding (issue 12, 5)
def _conv_transpose2d_case(draw, torch=False):
    rng = _rng(draw)
    groups = draw(st.sampled_from([1, 2]))
    cin, og = groups * draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    out_pad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dil))
    h, w = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    arrays = [_vals(rng, (draw(st.integers(1, 2)), cin, h, w)), _vals(rng, (cin, og, kh, kw))]
    if draw(st.booleans()):
        arrays.append(_vals(rng, (og * groups,)))
    return Case(
        lambda lib, x, wt, *b: lib.F.conv_transpose2d(
            x, wt, b[0] if b else None, stride, (0, 0), out_pad, groups, dil
        ),
        arrays,
    )


def _avg_pool2d_case(draw, torch=False):
    rng = _rng(draw)
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pad = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    stride = draw(st.sampled_from([None, 1, (2, 1)]))
    ceil, cip = draw(st.booleans()), draw(st.booleans())
    h, w = draw(st.integers(k[0], 6)), draw(st.integers(k[1], 6))
    x = _vals(rng, (draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w))
    return Case(lambda lib, x: lib.F.avg_pool2d(x, k, stride, pad, ceil, cip), [x])


def _adaptive_pool_case(op):
    def build(draw, torch=False):
        rng = _rng(draw)
        h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
        out = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
        x = _vals(rng, (draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w))
        return Case(lambda lib, x: getattr(lib.F, op)(x, out), [x])

    return build


def _group_norm_case(draw, torch=False):
    rng = _rng(draw)
    groups = draw(st.integers(1, 3))
    c = groups * draw(st.integers(1, 2))
    shape = (draw(st.integers(1, 3)), c, draw(st.integers(2, 4)))
    arrays = [_vals(rng, shape), _vals(rng, (c,)), _vals(rng, (c,))]
    return Case(lambda lib, x, w, b: lib.F.group_norm(x, groups, w, b), arrays)


def _pad_case(draw, torch=False):
    rng = _rng(draw)
    mode = draw(st.sampled_from(["constant", "reflect", "replicate"]))
    k = draw(st.integers(1, 2))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + tuple(
        draw(st.integers(3, 4)) for _ in range(k)
    )
    pads = tuple(draw(st.integers(0, 2)) for _ in range(2 * k))
    return Case(lambda lib, x: lib.F.pad(x, pads, mode), [_vals(rng, shape)])


def _interpolate_case(draw, torch=False):
    rng = _rng(draw)
    k = draw(st.integers(1, 2))
    mode = draw(st.sampled_from(["nearest", "linear" if k == 1 else "bilinear"]))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + tuple(
        draw(st.integers(1, 4)) for _ in range(k)
    )
    size = tuple(draw(st.integers(1, 6)) for _ in range(k))
    ac = None if mode == "nearest" else draw(st.booleans())
    return Case(
        lambda lib, x: lib.F.interpolate(x, size=size, mode=mode, align_corners=ac),
        [_vals(rng, shape)],
    )


CASES["conv_transpose2d"] = _conv_transpose2d_case
CASES["avg_pool2d"] = _avg_pool2d_case
CASES["adaptive_avg_pool2d"] = _adaptive_pool_case("adaptive_avg_pool2d")
CASES["adaptive_max_pool2d"] = _adaptive_pool_case("adaptive_max_pool2d")
CASES["group_norm"] = _group_norm_case
CASES["pad"] = _pad_case
CASES["interpolate"] = _interpolate_case


# ------------------------------- cumulative ops, inverse, einsum, scatter_add (issue 12)
def _cum_case(op):
    def build(draw, torch=False):
        rng = _rng(draw)
        shape = draw(st.sampled_from([(3,), (2, 3), (3, 1, 2)]))
        dim = draw(st.integers(-len(shape), len(shape) - 1))
        kind = "nonzero" if op == "cumprod" else "any"
        return Case(lambda lib, x: getattr(x, op)(dim), [_vals(rng, shape, kind)])

    return build


def _inverse_case(draw, torch=False):
    rng = _rng(draw)
    n = draw(st.integers(1, 3))
    lead = draw(st.sampled_from([(), (2,)]))
    a = np.eye(n) * 2 + rng.uniform(-0.3, 0.3, lead + (n, n))
    return Case(lambda lib, x: x.inverse(), [a])


def _einsum(lib):
    if lib.name == "flowkit":
        return flow.einsum
    import torch

    return torch.einsum


def _einsum_case(draw, torch=False):
    rng = _rng(draw)
    eq, shapes = draw(
        st.sampled_from(
            [
                ("ij,jk->ik", [(2, 3), (3, 2)]),
                ("ii->i", [(3, 3)]),
                ("ij->j", [(2, 3)]),
                ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
                ("i,j->ij", [(2,), (3,)]),
                ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
            ]
        )
    )
    return Case(lambda lib, *xs: _einsum(lib)(eq, *xs), [_vals(rng, s) for s in shapes])


def _scatter_add_case(draw, torch=False):
    rng = _rng(draw)
    shape = draw(st.sampled_from([(4,), (3, 4), (2, 3, 2)]))
    dim = draw(st.integers(0, len(shape) - 1))
    ishape = tuple(draw(st.integers(1, n)) for n in shape)
    idx = rng.integers(0, shape[dim], ishape)  # repeated targets accumulate
    return Case(
        lambda lib, x, s: x.scatter_add(dim, lib.tensor(idx), s) ** 2,
        [_vals(rng, shape), _vals(rng, ishape)],
    )


CASES.update(
    {
        "cumsum": _cum_case("cumsum"),
        "cumprod": _cum_case("cumprod"),
        "inverse": _inverse_case,
        "einsum": _einsum_case,
        "scatter_add": _scatter_add_case,
    }
)


# ------------------------------------------------------------------------------- retain_graph
@pytest.mark.parametrize("op", DIFF_OPS)
@SETTINGS
@given(data=st.data())
def test_a_retained_graph_gives_the_same_gradients_again(op, data):
    """Every op's VJP leaves what the forward pass saved as it was: a second backward through
    the retained graph adds exactly the first one's gradients again (so .grad doubles)."""
    case = CASES[op](data.draw)
    leaves = [flow.tensor(a, requires_grad=True) for a in case.arrays]
    out = case.fn(FLOW, *leaves)
    if not out.requires_grad:
        return
    cot = flow.tensor(_cotangent(out.shape))
    (out * cot).sum().backward(retain_graph=True)
    first = [None if t.grad is None else t.grad.numpy().copy() for t in leaves]
    (out * cot).sum().backward()
    for g1, t in zip(first, leaves):
        if g1 is None:
            assert t.grad is None
        else:
            np.testing.assert_array_equal(t.grad.numpy(), 2 * g1)

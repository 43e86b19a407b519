"""The numpy backend's cross-entropy fast path (2-D logits, class indices in range, no class
weights, no label smoothing, "mean" or "sum", finite row maxima) against its general path.

The fast path must give the general path's loss bit for bit and its gradient to rounding (it
takes the softmax as ``exp(s) / sum`` where the general VJP takes ``exp(logp)``); every other
case must take the general path, with its values, errors and first-order-only rule unchanged.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

import flowkit as flow

F = flow.nn.functional
pytestmark = pytest.mark.skipif(
    flow.backend().name != "numpy", reason="checks the numpy backend's cross-entropy kernels"
)

if flow.backend().name == "numpy":
    from flowkit_numpy import nn_ops


@pytest.fixture
def general(monkeypatch):
    """``general(True)``: every cross_entropy takes the general path; ``general(False)``: back."""

    def use(on: bool):
        if on:
            monkeypatch.setattr(nn_ops, "_cross_entropy_fast", lambda *a, **k: None)
        else:
            monkeypatch.undo()

    return use


def _run(a, t, **kw):
    """(loss array, input gradient, the node's saved context) of one forward and backward."""
    x = flow.tensor(a, requires_grad=True)
    loss = F.cross_entropy(x, flow.tensor(t) if isinstance(t, np.ndarray) else t, **kw)
    ctx = loss.grad_fn.ctx
    loss.sum().backward()
    return loss.numpy().copy(), x.grad.numpy().copy(), ctx


def _path(ctx) -> str:
    """Which path made a loss node's context: the fast one leaves its last entries None (the
    general path's layout: logits, then the softmax or log-probabilities, ...)."""
    return "fast" if ctx[7] is None else "general"


def _both(general, a, t, **kw):
    fast = _run(a, t, **kw)
    general(True)
    gen = _run(a, t, **kw)
    general(False)
    return fast, gen


def _grad_tol(g_ref: np.ndarray) -> float:
    # the two softmaxes differ by a few ulps of 1; the gradient is softmax * scale
    return 8 * np.finfo(g_ref.dtype).eps * max(np.abs(g_ref).max(), np.finfo(g_ref.dtype).tiny)


def _reference(a, t, reduction):
    a = a.astype(np.float64)
    s = a - a.max(1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(1, keepdims=True))
    n = a.shape[0]
    per = -logp[np.arange(n), t]
    p = np.exp(logp)
    p[np.arange(n), t] -= 1
    return (per.mean(), p / n) if reduction == "mean" else (per.sum(), p)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(
    "shape,scale",
    [
        ((128, 10), 3.0),
        ((7, 3), 1.0),
        ((1, 1), 1.0),
        ((300, 37), 20.0),
        ((5, 1000), 0.1),
        ((2, 2), 1e4),
    ],
)
def test_fast_path_matches_the_general_path(general, dtype, reduction, shape, scale):
    rng = np.random.default_rng(zlib.crc32(repr((shape, reduction)).encode()))  # (not hash():
    # string hashes change from process to process)
    a = (rng.standard_normal(shape) * scale).astype(dtype)
    t = rng.integers(0, shape[1], shape[0])
    (lf, gf, cf), (lg, gg, cg) = _both(general, a, t, reduction=reduction)
    assert _path(cf) == "fast" and _path(cg) == "general"  # the fast path ran, then the general one
    assert lf.dtype == lg.dtype == dtype and gf.dtype == gg.dtype == dtype
    np.testing.assert_array_equal(lf, lg)  # the same sums in the same order: bit for bit
    np.testing.assert_allclose(gf, gg, rtol=0, atol=_grad_tol(gg))
    ref_loss, ref_grad = _reference(a, t, reduction)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(lf, ref_loss, rtol=tol, atol=tol)
    # the gradient's natural scale is 1/N (mean) or 1 (sum): with a dominant logit every entry
    # can be ~1e-150 in float64, which float32 rounds to 0
    np.testing.assert_allclose(
        gf, ref_grad, rtol=tol, atol=tol * (1 / shape[0] if reduction == "mean" else 1)
    )


@pytest.mark.parametrize("tdtype", [np.int64, np.int32, np.int16, np.int8, np.uint8])
def test_fast_path_takes_every_integer_target_dtype(general, tdtype):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((9, 4)).astype(np.float32)
    t = rng.integers(0, 4, 9).astype(tdtype)
    (lf, gf, cf), (lg, gg, _) = _both(general, a, t)
    assert _path(cf) == "fast"
    np.testing.assert_array_equal(lf, lg)
    np.testing.assert_allclose(gf, gg, rtol=0, atol=_grad_tol(gg))


def test_upstream_gradient_retain_graph_and_views(general):
    rng = np.random.default_rng(4)
    base = rng.standard_normal((8, 6)).astype(np.float32)
    tt = rng.integers(0, 5, 12)

    def run():
        x = flow.tensor(base, requires_grad=True)
        t = flow.tensor(tt)[::2]  # strided targets; logits (6, 5) in Fortran order
        logits = x.T[:, :5] * 2.0
        assert not logits.numpy().flags.c_contiguous
        loss = F.cross_entropy(logits, t)
        kind = _path(loss.grad_fn.ctx)
        (loss * 3.0).backward(retain_graph=True)
        first = x.grad.numpy().copy()
        (loss * 3.0).backward()  # the saved softmax was not written into
        return loss.item(), first, x.grad.numpy().copy(), kind

    fast = run()
    general(True)
    gen = run()
    general(False)
    assert fast[3] == "fast" and gen[3] == "general"
    assert fast[0] == gen[0]
    np.testing.assert_allclose(fast[1], gen[1], rtol=0, atol=_grad_tol(gen[1]))
    np.testing.assert_array_equal(fast[2], 2 * fast[1])


def test_targets_written_after_the_forward_do_not_change_the_gradient():
    x = flow.tensor(np.zeros((3, 4), np.float32), requires_grad=True)
    t = flow.tensor([0, 1, 2])
    loss = F.cross_entropy(x, t)
    assert _path(loss.grad_fn.ctx) == "fast"
    t.numpy()[:] = 3
    loss.backward()
    expect = np.full((3, 4), 0.25 / 3, np.float32)
    expect[[0, 1, 2], [0, 1, 2]] -= 1 / 3
    np.testing.assert_allclose(x.grad.numpy(), expect, rtol=1e-6)


def test_no_grad_and_inputs_not_requiring_grad():
    a = np.random.default_rng(5).standard_normal((4, 3)).astype(np.float32)
    t = flow.tensor([0, 2, 1, 1])
    with_grad = F.cross_entropy(flow.tensor(a, requires_grad=True), t)
    with flow.no_grad():
        plain = F.cross_entropy(flow.tensor(a, requires_grad=True), t)
    const = F.cross_entropy(flow.tensor(a), t)
    assert plain.grad_fn is None and not plain.requires_grad
    assert const.grad_fn is None and not const.requires_grad
    assert plain.item() == const.item() == with_grad.item()
    assert with_grad.grad_fn.name == "cross_entropy"
    assert repr(with_grad.grad_fn) == "<CrossEntropyBackward object>"


def test_create_graph_differentiates_the_fast_path():
    """Under create_graph the VJP recomputes the softmax from the logits (the saved one is a
    constant): the gradient differentiates again, and equals the general path's."""
    x = flow.tensor(np.random.default_rng(6).standard_normal((4, 3)), requires_grad=True)
    loss = F.cross_entropy(x, flow.tensor([0, 2, 1, 1]))
    assert _path(loss.grad_fn.ctx) == "fast"
    (g,) = flow.autograd.grad(loss, x, create_graph=True)
    (h,) = flow.autograd.grad((g * g).sum(), x)
    p = np.exp(x.numpy()) / np.exp(x.numpy()).sum(1, keepdims=True)
    onehot = np.eye(3)[[0, 2, 1, 1]]
    np.testing.assert_allclose(g.detach().numpy(), (p - onehot) / 4, rtol=1e-12)
    assert h.shape == x.shape and np.isfinite(h.numpy()).all()


# --------------------------------------------------------------------- cases for the general path
def _fallback_cases():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 4)) * 3
    t = np.array([0, 3, 1, 2, 2, 1])
    w = rng.uniform(0.5, 2.0, 4)
    probs = rng.dirichlet(np.ones(4), 6)
    return {
        "weight": (x, t, lambda tt: {"weight": flow.tensor(w)}),
        "smoothing": (x, t, lambda tt: {"label_smoothing": 0.1}),
        "reduction_none": (x, t, lambda tt: {"reduction": "none"}),
        "ignore_default_hit": (x, np.where(np.arange(6) == 2, -100, t), lambda tt: {}),
        "ignore_in_range_hit": (x, t, lambda tt: {"ignore_index": 1}),
        "probabilities": (x, probs, lambda tt: {}),
        "one_dim_input": (x[0], np.array(2), lambda tt: {}),
        "k_dim_input": (
            rng.standard_normal((2, 4, 3, 2)),
            rng.integers(0, 4, (2, 3, 2)),
            lambda tt: {},
        ),
        "row_of_minus_inf": (np.vstack([np.full((1, 4), -np.inf), x[1:]]), t, lambda tt: {}),
        "inf_logit": (np.vstack([x[:1], [[np.inf, 0.0, 1.0, 2.0]], x[2:]]), t, lambda tt: {}),
        "nan_logit": (np.vstack([x[:1], [[np.nan, 0.0, 1.0, 2.0]], x[2:]]), t, lambda tt: {}),
        "float16": (x.astype(np.float16), t, lambda tt: {}),
    }


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf - inf
@pytest.mark.parametrize("name", sorted(_fallback_cases()))
def test_other_cases_take_the_general_path_unchanged(general, name):
    a, t, kw = _fallback_cases()[name]
    fast = _run(a, t, **kw(t))
    general(True)
    gen = _run(a, t, **kw(t))
    general(False)
    assert _path(fast[2]) == "general"  # the fast path declined
    for f, g in zip(fast[:2], gen[:2]):
        np.testing.assert_array_equal(f, g)


def test_ignore_index_in_range_but_absent_takes_the_fast_path(general):
    a = np.random.default_rng(8).standard_normal((5, 4))
    t = np.array([0, 2, 2, 3, 0])
    (lf, gf, cf), (lg, gg, _) = _both(general, a, t, ignore_index=1)
    assert _path(cf) == "fast"
    np.testing.assert_array_equal(lf, lg)
    np.testing.assert_allclose(gf, gg, rtol=0, atol=_grad_tol(gg))


def test_empty_batch_and_every_target_ignored():
    x = flow.tensor(np.zeros((0, 3)), requires_grad=True)
    loss = F.cross_entropy(x, flow.tensor(np.zeros(0, np.int64)))
    assert math.isnan(loss.item())
    assert F.cross_entropy(x, flow.tensor(np.zeros(0, np.int64)), reduction="sum").item() == 0
    x = flow.tensor(np.zeros((2, 3)), requires_grad=True)
    loss = F.cross_entropy(x, flow.tensor([-100, -100]))
    assert math.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


@pytest.mark.parametrize("bad,shown", [(5, "5"), (-1, "-1"), (3, "3")])
def test_out_of_range_targets_raise_the_general_error(bad, shown):
    x = flow.zeros(4, 3, requires_grad=True)
    with pytest.raises(IndexError, match=rf"class index {shown} is out of range.*3 classes"):
        F.cross_entropy(x, flow.tensor([0, bad, 1, 1]))
    with pytest.raises(IndexError, match=rf"class index {shown} is out of range"):
        F.cross_entropy(x, flow.tensor([0, bad, 1, 1], dtype=flow.int32), reduction="sum")

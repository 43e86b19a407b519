"""Sorting, running sums, median, the products of the linalg family (einsum, inverse, cross...)
and the norm/inverse uses reported to end in RecursionError (issue 12): behaviour the
conformance kit does not express (second derivatives, exact gradients at zeros, batches,
stability). The same on every backend."""

from __future__ import annotations

import math

import numpy as np
import pytest

import flowkit as flow


def _t(a, grad=False):
    return flow.tensor(np.asarray(a, np.float64), requires_grad=grad)


# ---------------------------------------------------------------- norm: the RecursionError uses
@pytest.mark.parametrize("p", [2, 1, 3, float("inf"), float("-inf"), "fro"])
@pytest.mark.parametrize("dim", [None, 1, (0, 1)])
def test_norm_inside_autograd_grad_with_create_graph(p, dim):
    x = _t([[3.0, -4.0], [1.0, 2.5]], True)
    (g,) = flow.autograd.grad(x.norm(p, dim).sum(), x, create_graph=True)
    ref = np.asarray(x.detach().numpy())
    want = ref / np.linalg.norm(ref, axis=None if dim is None else dim, keepdims=True)
    if p in (2, "fro"):
        np.testing.assert_allclose(g.detach().numpy(), want, rtol=1e-12)
    if g.requires_grad:  # p=1, inf: piecewise linear (their second derivative is zero)
        (h,) = flow.autograd.grad((g * g).sum(), x, allow_unused=True)
        assert h is None or np.all(np.isfinite(h.numpy()))


def test_norm_second_derivative_matches_finite_differences():
    a = np.array([[3.0, -4.0], [1.0, 2.5]])

    def grad_sq(v):
        x = _t(v, True)
        (g,) = flow.autograd.grad(x.norm(), x, create_graph=True)
        return x, (g * g * _t([[1.0, 2.0], [3.0, 4.0]])).sum()

    x, s = grad_sq(a)
    (h,) = flow.autograd.grad(s, x)
    eps, num = 1e-6, np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        ap, am = a.copy(), a.copy()
        ap[idx] += eps
        am[idx] -= eps
        num[idx] = (grad_sq(ap)[1].item() - grad_sq(am)[1].item()) / (2 * eps)
    np.testing.assert_allclose(h.numpy(), num, rtol=1e-5, atol=1e-8)


def test_norm_of_views_and_of_integers():
    x = _t(np.arange(6.0).reshape(2, 3), True)
    for view in (x.T, x.transpose(0, 1), x[:, ::-1], x[:, ::2], x.permute(1, 0)):
        assert view.norm().item() == pytest.approx(float(np.linalg.norm(view.detach().numpy())))
        (g,) = flow.autograd.grad(view.norm(dim=0).sum(), x)
        assert np.all(np.isfinite(g.numpy()))
    with pytest.raises(flow.DTypeError, match=r"\.float\(\)"):
        flow.tensor([3, 4]).norm()  # integers: refused with the fix, as PyTorch refuses them
    assert flow.tensor([3, 4]).float().norm().item() == 5.0


# -------------------------------------------------------------------- inverse (and batches)
def test_inverse_of_a_batch_and_its_second_derivative():
    rng = np.random.default_rng(0)
    a = np.eye(3) * 2 + rng.uniform(-0.3, 0.3, (4, 3, 3))
    x = _t(a, True)
    inv = x.inverse()
    np.testing.assert_allclose(inv.detach().numpy(), np.linalg.inv(a), rtol=1e-12)
    (g,) = flow.autograd.grad((inv * inv).sum(), x, create_graph=True)
    ai = np.linalg.inv(a)
    want = -np.swapaxes(ai, -1, -2) @ (2 * ai) @ np.swapaxes(ai, -1, -2)
    np.testing.assert_allclose(g.detach().numpy(), want, rtol=1e-10)
    (h,) = flow.autograd.grad(g.sum(), x)  # no RecursionError, finite
    assert h.shape == x.shape and np.all(np.isfinite(h.numpy()))
    assert flow.inverse(flow.tensor(a[:1])).shape == (1, 3, 3)


def test_inverse_errors():
    with pytest.raises(flow.ArgumentValueError, match="singular"):
        flow.ones(2, 2).inverse()
    with pytest.raises(flow.ShapeError, match="square"):
        flow.ones(2, 3).inverse()
    with pytest.raises(flow.DTypeError):
        flow.tensor([[1, 0], [0, 1]]).inverse()


# --------------------------------------------------------------------------- sort, median, topk
def test_sort_is_stable_and_nan_is_largest():
    x = flow.tensor([2.0, float("nan"), 1.0, 2.0, float("nan"), 1.0])
    up = x.sort()
    assert up.indices.tolist() == [2, 5, 0, 3, 1, 4]
    down = x.sort(descending=True)
    assert down.indices.tolist() == [1, 4, 0, 3, 2, 5]
    assert x.argsort(descending=True).tolist() == down.indices.tolist()
    assert flow.tensor([1, 1, 0, 1]).topk(2).indices.tolist() == [0, 1]
    assert flow.tensor([True, False, True]).sort().indices.tolist() == [1, 0, 2]


def test_median_is_the_lower_one_and_nan_propagates():
    assert flow.tensor([1.0, 4.0, 2.0, 3.0]).median().item() == 2.0
    assert math.isnan(flow.tensor([1.0, float("nan"), 2.0]).median().item())
    r = flow.tensor([[1.0, float("nan"), 3.0], [3.0, 1.0, 2.0]]).median(dim=1)
    assert math.isnan(r.values.tolist()[0]) and r.indices.tolist() == [1, 2]
    with pytest.raises(flow.ShapeError):
        flow.zeros(0).median()


def test_gradients_of_sort_topk_median_go_to_the_source_positions():
    x = _t([3.0, 1.0, 2.0], True)
    w = _t([1.0, 10.0, 100.0])
    (g,) = flow.autograd.grad((x.sort(descending=True).values * w).sum(), x)
    assert g.tolist() == [1.0, 100.0, 10.0]
    (g,) = flow.autograd.grad(x.topk(2, largest=False).values.sum(), x)
    assert g.tolist() == [0.0, 1.0, 1.0]
    (g,) = flow.autograd.grad(x.median(), x)
    assert g.tolist() == [0.0, 0.0, 1.0]
    # second order: (sorted x)^2 weighted
    (g,) = flow.autograd.grad((x.sort().values ** 2 * w).sum(), x, create_graph=True)
    (h,) = flow.autograd.grad(g.sum(), x)
    assert h.tolist() == [200.0, 2.0, 20.0]


# ------------------------------------------------------------------------ cumsum and cumprod
def test_cumprod_gradient_is_exact_at_zeros_and_twice_differentiable():
    z = _t([2.0, 0.0, 3.0, 4.0], True)
    (g,) = flow.autograd.grad((z.cumprod(0) ** 2).sum(), z, create_graph=True)
    assert g.tolist() == [4.0, 0.0, 0.0, 0.0]
    (h,) = flow.autograd.grad(g.sum(), z)
    assert h.tolist() == [2.0, 1232.0, 0.0, 0.0]
    y = _t([2.0, 0.0, 3.0], True)
    y.cumprod(0).sum().backward()
    assert y.grad.tolist() == [1.0, 8.0, 0.0]


def test_cumsum_dtypes_and_second_derivative():
    assert flow.tensor([True, True]).cumsum(0).dtype == flow.int64
    assert flow.tensor([1, 2], dtype=flow.int32).cumprod(0).dtype == flow.int64
    assert flow.tensor([1, 2]).cumsum(0, dtype=flow.float64).dtype == flow.float64
    x = _t([1.0, 2.0, 3.0], True)
    (g,) = flow.autograd.grad((x.cumsum(0) ** 2).sum(), x, create_graph=True)
    assert g.tolist() == [20.0, 18.0, 12.0]
    (h,) = flow.autograd.grad(g.sum(), x)
    assert h.tolist() == [12.0, 10.0, 6.0]


# ------------------------------------------------------------------------------ the products
def test_einsum_second_derivatives_match_the_matmul_ones():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))

    def second(f):
        x, y = _t(a, True), _t(b, True)
        out = f(x, y)
        gx, gy = flow.autograd.grad((out * out).sum(), (x, y), create_graph=True)
        return [h.numpy() for h in flow.autograd.grad((gx * gx).sum() + (gy * gy).sum(), (x, y))]

    for got, want in zip(
        second(lambda x, y: flow.einsum("ij,jk->ik", x, y)), second(lambda x, y: x @ y)
    ):
        np.testing.assert_allclose(got, want, rtol=1e-10)
    d = _t([[1.0, 2.0], [3.0, 4.0]], True)
    flow.einsum("ii->i", d).sum().backward()
    assert d.grad.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_mm_takes_matrices_only_and_matmul_the_rest():
    with pytest.raises(flow.ShapeError, match="flowkit.matmul"):
        flow.mm(flow.ones(2, 2), flow.ones(2))
    assert flow.ones(2, 2).mm(flow.ones(2, 3)).shape == (2, 3)
    assert flow.matmul(flow.ones(2, 2), flow.ones(2)).shape == (2,)


def test_addmm_with_beta_zero_ignores_nan_input():
    out = flow.addmm(flow.full((2, 2), float("nan")), flow.eye(2), flow.eye(2), beta=0)
    assert out.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_cross_default_dim_and_tensordot():
    a = flow.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    b = flow.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert flow.cross(a, b).tolist() == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    assert flow.cross(a.T, b.T).T.tolist() == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    x = flow.tensor(np.arange(24.0).reshape(2, 3, 4))
    y = flow.tensor(np.arange(12.0).reshape(3, 4))
    np.testing.assert_allclose(flow.tensordot(x, y).numpy(), np.tensordot(x.numpy(), y.numpy(), 2))

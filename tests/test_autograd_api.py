"""``flowkit.autograd.grad`` / ``backward`` and ``create_graph``: second derivatives.

The first half runs on every backend: the API's semantics (PyTorch's), its errors (flowkit's own,
the same on every backend) and second derivatives with known values. The second half checks the
numpy backend's engine: every op of the VJP table differentiated twice (Hessian-vector products
and the derivative of the VJP with respect to its cotangent) against finite differences of first
derivatives and against torch, and the promise that create_graph keeps one VJP table.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowkit as flow

grad = flow.autograd.grad
NUMPY = flow.backend().name == "numpy"
numpy_only = pytest.mark.skipif(not NUMPY, reason="checks the numpy backend's own engine")
SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def t64(values, requires_grad=False):
    return flow.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def close(t, expected, tol=1e-12):
    np.testing.assert_allclose(
        t.numpy(), np.asarray(expected, dtype=np.float64), rtol=tol, atol=tol
    )


# ----------------------------------------------------------------------------------- grad()
def test_grad_returns_a_tuple_and_leaves_grad_untouched():
    x = t64([1.0, 2.0], requires_grad=True)
    w = t64([3.0, 4.0], requires_grad=True)
    w.grad = t64([10.0, 10.0])
    y = (x * w).sum()
    gx, gw = grad(y, [x, w])
    close(gx, [3.0, 4.0])
    close(gw, [1.0, 2.0])
    assert x.grad is None
    close(w.grad, [10.0, 10.0])
    assert not gx.requires_grad and gx.grad_fn is None
    (only,) = grad((x * 2).sum(), x)
    assert isinstance(only, flow.Tensor)


def test_grad_of_an_intermediate_tensor():
    x = t64([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    gh, gx = grad(y, [h, x])
    close(gh, 2 * np.array([3.0, 6.0]))
    close(gx, 18 * np.array([1.0, 2.0]))


def test_grad_with_several_outputs_and_grad_outputs():
    x = t64([1.0, 2.0, 3.0], requires_grad=True)
    a, b = x * 2, (x * x).sum()
    (g,) = grad([a, b], x, grad_outputs=[t64([1.0, 0.0, -1.0]), None])
    close(g, np.array([2.0, 0.0, -2.0]) + 2 * np.array([1.0, 2.0, 3.0]))


def test_grad_outputs_is_a_vector_jacobian_product():
    rng = np.random.default_rng(0)
    a, v = rng.standard_normal((3, 4)), rng.standard_normal(3)
    x = t64(rng.standard_normal(4), requires_grad=True)
    vt = t64(v)
    (g,) = grad(flow.matmul(t64(a), x), x, grad_outputs=vt)
    close(g, a.T @ v, 1e-12)
    close(vt, v)  # the caller's gradient is never written
    g.numpy()[...] = 0  # nor aliased by the result
    close(vt, v)


def test_grad_output_of_another_dtype_is_cast():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad(x * 3, x, grad_outputs=t64([1.0, 1.0]))
    assert g.dtype == flow.float32
    close(g, [3.0, 3.0])


def test_grad_of_a_leaf_output():
    x = t64([1.0, 2.0], requires_grad=True)
    (g,) = grad(x, x, grad_outputs=t64([5.0, 6.0]))
    close(g, [5.0, 6.0])


def test_same_input_twice():
    x = t64([1.0, 2.0], requires_grad=True)
    g1, g2 = grad((x * x).sum(), [x, x])
    close(g1, [2.0, 4.0])
    close(g2, [2.0, 4.0])
    g1.numpy()[...] = 0
    close(g2, [2.0, 4.0])


def test_unused_input():
    x = t64([1.0], requires_grad=True)
    z = t64([2.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(flow.AutogradError, match=r"input 1 was not used.*allow_unused=True"):
        grad(y, [x, z], retain_graph=True)
    gx, gz = grad(y, [x, z], allow_unused=True)
    close(gx, [2.0])
    assert gz is None


def test_errors_name_the_problem_and_the_fix():
    x = t64([1.0, 2.0], requires_grad=True)
    c = t64([1.0, 2.0])
    with pytest.raises(flow.AutogradError, match=r"output 0 has shape \(2,\).*grad_outputs"):
        grad(x * 2, x)
    with pytest.raises(flow.AutogradError, match=r"input 0 does not require grad"):
        grad((x * c).sum(), c)
    with pytest.raises(flow.AutogradError, match=r"output 0 does not require grad"):
        grad((c * 2).sum(), x)
    with pytest.raises(flow.ShapeError, match=r"grad_outputs\[0\] has shape \(3,\).*\(2,\)"):
        grad(x * 2, x, grad_outputs=t64([1.0, 1.0, 1.0]))
    with pytest.raises(flow.AutogradError, match=r"2 grad_outputs for 1 outputs"):
        grad(x * 2, x, grad_outputs=[t64([1.0, 1.0]), None])
    with pytest.raises(TypeError, match=r"inputs\[0\] must be a flowkit tensor"):
        grad((x * 2).sum(), [np.ones(2)])
    with pytest.raises(TypeError, match=r"grad_outputs\[0\] must be a flowkit tensor"):
        grad(x * 2, x, grad_outputs=[np.ones(2)])
    assert x.grad is None


def test_retain_graph_defaults_to_create_graph():
    x = t64([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    grad(y, x)
    with pytest.raises(flow.AutogradError, match="second time"):
        grad(y, x)
    y = (x * x).sum()
    grad(y, x, retain_graph=True)
    (g,) = grad(y, x)
    close(g, [2.0, 4.0])
    y = (x * x * x).sum()
    grad(y, x, create_graph=True)  # keeps the graph: a second pass works
    (g,) = grad(y, x)
    close(g, [3.0, 12.0])


def test_grad_under_no_grad_gives_plain_gradients():
    x = t64([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    with flow.no_grad():
        (g,) = grad(y, x)
    close(g, [2.0, 4.0])
    assert flow.is_grad_enabled() is True


# ----------------------------------------------------------------------------- create_graph
def test_second_and_third_derivative_of_x_cubed():
    x = t64([1.0, -2.0, 0.5], requires_grad=True)
    (d1,) = grad((x**3).sum(), x, create_graph=True)
    close(d1, 3 * np.array([1.0, 4.0, 0.25]))
    assert d1.requires_grad
    (d2,) = grad(d1.sum(), x, create_graph=True)
    close(d2, 6 * np.array([1.0, -2.0, 0.5]))
    (d3,) = grad(d2.sum(), x)
    close(d3, [6.0, 6.0, 6.0])
    assert x.grad is None


def test_hessian_vector_product():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 3))
    a = a + a.T
    xv, v = rng.standard_normal(3), rng.standard_normal(3)
    x = t64(xv, requires_grad=True)
    # f(x) = 1/2 x^T A x + sum(sin x): H = A - diag(sin x)
    f = 0.5 * (x * flow.matmul(t64(a), x)).sum() + x.sin().sum()
    (g,) = grad(f, x, create_graph=True)
    close(g, a @ xv + np.cos(xv), 1e-12)
    (hv,) = grad((g * t64(v)).sum(), x)
    close(hv, (a - np.diag(np.sin(xv))) @ v, 1e-12)


def test_jacobian_vector_product_by_the_double_vjp_trick():
    rng = np.random.default_rng(2)
    xv, v = rng.standard_normal(3), rng.standard_normal(3)
    x = t64(xv, requires_grad=True)
    y = x.exp() * x
    u = t64(np.zeros(3), requires_grad=True)  # any value: the VJP is linear in u
    (g,) = grad(y, x, grad_outputs=u, create_graph=True)
    (jv,) = grad((g * t64(v)).sum(), u)
    close(jv, (np.exp(xv) * (1 + xv)) * v, 1e-12)


def test_backward_with_create_graph():
    x = t64([1.0, 2.0], requires_grad=True)
    y = (x.sin() * x).sum()
    y.backward(create_graph=True)
    g = x.grad
    close(g, np.sin([1.0, 2.0]) + np.array([1.0, 2.0]) * np.cos([1.0, 2.0]))
    assert g.requires_grad
    x.grad = None
    g.sum().backward()
    xv = np.array([1.0, 2.0])
    close(x.grad, 2 * np.cos(xv) - xv * np.sin(xv))


def test_backward_with_create_graph_accumulates_out_of_place():
    x = t64([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward(create_graph=True)
    first = x.grad
    (x * x * x).sum().backward(create_graph=True)
    close(first, [2.0, 4.0])  # the earlier gradient tensor is not written
    close(x.grad, [2.0 + 3.0, 4.0 + 12.0])
    (d2,) = grad(x.grad.sum(), x)
    close(d2, 2 + 6 * np.array([1.0, 2.0]))


def test_autograd_backward_of_several_outputs():
    x = t64([1.0, 2.0], requires_grad=True)
    flow.autograd.backward([(x * x).sum(), x * 3], [None, t64([1.0, -1.0])])
    close(x.grad, [2.0 + 3.0, 4.0 - 3.0])
    with pytest.raises(flow.AutogradError, match=r"output 1 has shape \(2,\).*grad_tensors"):
        flow.autograd.backward([(x * x).sum(), x * 3])


def test_gradient_penalty_trains_like_the_formula():
    """A WGAN-GP style penalty ((|d critic / d x| - 1)^2) differentiated into the weights."""
    flow.manual_seed(0)
    lin = flow.nn.Linear(3, 1).double()
    rng = np.random.default_rng(3)
    xv = rng.standard_normal((4, 3))
    x = t64(xv, requires_grad=True)
    out = flow.nn.functional.linear(x, lin.weight, lin.bias).tanh()
    (gx,) = grad(out.sum(), x, create_graph=True)
    norms = (gx * gx).sum(dim=1).sqrt()
    penalty = ((norms - 1) ** 2).mean()
    penalty.backward()
    # by hand: out = tanh(z), z = x w^T + b, d out/dx = (1 - tanh(z)^2) w
    w, b = lin.weight.numpy()[0], lin.bias.numpy()[0]

    def pen(w, b):
        t = np.tanh(xv @ w + b)
        n = np.abs(1 - t * t) * np.linalg.norm(w)
        return ((n - 1) ** 2).mean()

    eps = 1e-6
    gw = [(pen(w + eps * e, b) - pen(w - eps * e, b)) / (2 * eps) for e in np.eye(3)]
    gb = (pen(w, b + eps) - pen(w, b - eps)) / (2 * eps)
    close(penalty, pen(w, b), 1e-12)
    np.testing.assert_allclose(lin.weight.grad.numpy()[0], gw, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(lin.bias.grad.numpy()[0], gb, rtol=1e-6, atol=1e-8)


@pytest.mark.torch_oracle
def test_second_derivatives_of_an_mlp_against_torch():
    import torch

    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s) for s in [(5, 3), (4, 3), (4,), (2, 4), (2,), (5, 2)]]
    v = [rng.standard_normal(a.shape) for a in arrays[1:5]]

    def run(lib, F, leaves, target):
        x, w1, b1, w2, b2 = leaves
        h = F.linear(x, w1, b1).tanh()
        loss = F.mse_loss(F.linear(h, w2, b2).sigmoid(), target)
        return loss

    fl = [t64(a, requires_grad=True) for a in arrays[:5]]
    loss = run(flow, flow.nn.functional, fl, t64(arrays[5]))
    gs = grad(loss, fl[1:], create_graph=True)
    hv = grad(sum((g * t64(vi)).sum() for g, vi in zip(gs, v)), fl)

    tl = [torch.tensor(a, requires_grad=True) for a in arrays[:5]]
    tloss = run(torch, torch.nn.functional, tl, torch.tensor(arrays[5]))
    tgs = torch.autograd.grad(tloss, tl[1:], create_graph=True)
    thv = torch.autograd.grad(sum((g * torch.tensor(vi)).sum() for g, vi in zip(tgs, v)), tl)
    close(loss, tloss.item())
    for g, tg in zip(gs, tgs):
        close(g, tg.detach().numpy(), 1e-10)
    for h, th in zip(hv, thv):
        close(h, th.numpy(), 1e-10)


# ----------------------------------------------------------------- the numpy engine, op by op
if NUMPY:
    from flowkit_numpy import arithmetic as np_arithmetic
    from flowkit_numpy import define as np_define
    from flowkit_numpy import numpy_api
    from flowkit_numpy import tensor as np_tensor
    from test_autograd_numpy import CASES, FLOW, _torch_lib

    DIFF_OPS = sorted(name for name, d in np_define.FORWARD_OPS.items() if d)
    SECOND_ORDER = [op for op in DIFF_OPS if op in np_define.SAVES]
    FIRST_ORDER_ONLY = [op for op in DIFF_OPS if op not in np_define.SAVES]
else:
    DIFF_OPS = SECOND_ORDER = FIRST_ORDER_ONLY = []


def _weights(shape, seed):
    return np.random.default_rng(seed).uniform(0.5, 1.5, tuple(shape))


def _scalar(out, w):
    """A nonlinear scalar of the op's output, so the gradient flowing into the op depends on
    the inputs too (a linear op's VJP must then be differentiable in its cotangent)."""
    return (out * out * w).sum()


def _first(case, arrays, create_graph=False):
    leaves = [t64(a, requires_grad=True) for a in arrays]
    out = case.fn(FLOW, *leaves)
    s = _scalar(out, t64(_weights(out.shape, 9)))
    gs = grad(s, leaves, create_graph=create_graph, allow_unused=True)
    return leaves, [np.zeros(a.shape) if g is None else g for a, g in zip(arrays, gs)]


def _directions(case, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(a.shape) for a in case.arrays]


def _hvp(case, v):
    leaves, gs = _first(case, case.arrays, create_graph=True)
    s2 = sum((g * t64(vi)).sum() for g, vi in zip(gs, v) if isinstance(g, flow.Tensor))
    if not (isinstance(s2, flow.Tensor) and s2.requires_grad):
        return [np.zeros(a.shape) for a in case.arrays]
    return [
        np.zeros(a.shape) if h is None else h.numpy()
        for a, h in zip(case.arrays, grad(s2, leaves, allow_unused=True))
    ]


def _fd_tolerances(case):
    # float32 inside (the cast case): a wider step and looser tolerances
    return (1e-6, 1e-5, 1e-6) if case.eps <= 1e-6 else (1e-3, 2e-2, 2e-2)


@numpy_only
@pytest.mark.parametrize("op", SECOND_ORDER)
@SETTINGS
@given(data=st.data())
def test_second_derivatives_against_finite_differences(op, data):
    case = CASES[op](data.draw)
    v = _directions(case, 5)
    hv = _hvp(case, v)
    eps, rtol, atol = _fd_tolerances(case)
    plus = _first(case, [a + eps * d for a, d in zip(case.arrays, v)])[1]
    minus = _first(case, [a - eps * d for a, d in zip(case.arrays, v)])[1]
    for i, (h, p, m) in enumerate(zip(hv, plus, minus)):
        num = (
            np.asarray(p.numpy() if isinstance(p, flow.Tensor) else p)
            - np.asarray(m.numpy() if isinstance(m, flow.Tensor) else m)
        ) / (2 * eps)
        np.testing.assert_allclose(h, num, rtol=rtol, atol=atol, err_msg=f"H v, input {i}")


@numpy_only
@pytest.mark.parametrize("op", SECOND_ORDER)
@SETTINGS
@given(data=st.data())
def test_vjp_is_differentiable_in_its_cotangent(op, data):
    """d/du of (u^T J) v is J v: checked against finite differences of the op itself."""
    case = CASES[op](data.draw)
    v = _directions(case, 6)
    leaves = [t64(a, requires_grad=True) for a in case.arrays]
    out = case.fn(FLOW, *leaves)
    u = t64(_weights(out.shape, 7), requires_grad=True)
    gs = grad(out, leaves, grad_outputs=u, create_graph=True, allow_unused=True)
    s2 = sum((g * t64(vi)).sum() for g, vi in zip(gs, v) if g is not None)
    jv = None  # an op whose derivative is zero (floor, sign, ...) gives a constant s2
    if isinstance(s2, flow.Tensor) and s2.requires_grad:
        (jv,) = grad(s2, u, allow_unused=True)
    eps, rtol, atol = _fd_tolerances(case)
    with flow.no_grad():
        fp = case.fn(FLOW, *[t64(a + eps * d) for a, d in zip(case.arrays, v)]).numpy()
        fm = case.fn(FLOW, *[t64(a - eps * d) for a, d in zip(case.arrays, v)]).numpy()
    num = (fp.astype(np.float64) - fm) / (2 * eps)
    np.testing.assert_allclose(
        np.zeros(num.shape) if jv is None else jv.numpy(), num, rtol=rtol, atol=atol
    )


@numpy_only
@pytest.mark.torch_oracle
@pytest.mark.parametrize("op", SECOND_ORDER)
@SETTINGS
@given(data=st.data())
def test_second_derivatives_against_torch(op, data):
    import torch

    case = CASES[op](data.draw, torch=True)
    v = _directions(case, 5)
    hv = _hvp(case, v)
    T = _torch_lib()
    tl = [torch.tensor(a, requires_grad=True) for a in case.arrays]
    out = case.fn(T, *tl)
    s = (out * out * torch.from_numpy(_weights(out.shape, 9)).to(out.dtype)).sum()
    tgs = torch.autograd.grad(s, tl, create_graph=True, allow_unused=True)
    s2 = sum((g * torch.from_numpy(vi)).sum() for g, vi in zip(tgs, v) if g is not None)
    th = (
        torch.autograd.grad(s2, tl, allow_unused=True)
        if isinstance(s2, torch.Tensor) and s2.requires_grad
        else [None] * len(tl)
    )
    tol = 1e-9 if _fd_tolerances(case)[0] == 1e-6 else 1e-4
    for i, (h, t) in enumerate(zip(hv, th)):
        np.testing.assert_allclose(
            h,
            np.zeros(h.shape) if t is None else t.numpy(),
            rtol=tol,
            atol=tol,
            err_msg=f"H v, input {i}",
        )


@numpy_only
@pytest.mark.parametrize("op", SECOND_ORDER)
@SETTINGS
@given(data=st.data())
def test_create_graph_first_derivatives_equal_first_order_ones(op, data):
    case = CASES[op](data.draw)
    plain = _first(case, case.arrays)[1]
    graphed = _first(case, case.arrays, create_graph=True)[1]
    for p, g in zip(plain, graphed):
        p = p.numpy() if isinstance(p, flow.Tensor) else p
        g = g.numpy() if isinstance(g, flow.Tensor) else g
        np.testing.assert_allclose(g, p, rtol=1e-13, atol=1e-15)


@numpy_only
def test_every_op_is_second_order_or_says_why_not():
    # The core table declares its saved values; an op that does not (fused kernels written
    # against raw numpy) stays first order and must say so under create_graph (next test).
    core = {
        "add",
        "sub",
        "mul",
        "div",
        "pow",
        "matmul",
        "rsub",
        "rdiv",
        "rpow",
        "neg",
        "exp",
        "log",
        "sqrt",
        "abs",
        "sin",
        "cos",
        "tanh",
        "sigmoid",
        "relu",
        "cast",
        "clone",
        "sum",
        "mean",
        "reshape",
        "permute",
        "transpose",
        "getitem",
        "setitem",
        "mse_loss",
        "linear",
        "add_at",
    }
    assert core <= set(SECOND_ORDER), sorted(core - set(SECOND_ORDER))
    for op, roles in np_define.SAVES.items():
        assert all(r in (None, "out", "in0-in1", "const", "in0", "in1", "in2") for r in roles), op


@numpy_only
@pytest.mark.parametrize("op", FIRST_ORDER_ONLY)
@SETTINGS
@given(data=st.data())
def test_first_order_only_ops_say_so_under_create_graph(op, data):
    case = CASES[op](data.draw)
    _first(case, case.arrays)  # first order works
    with pytest.raises(flow.AutogradError, match="cannot be differentiated"):
        _hvp(case, _directions(case, 5))


@numpy_only
def test_an_op_without_saved_roles_raises_a_clear_error(monkeypatch):
    monkeypatch.delitem(np_define.SAVES, "exp")
    x = t64([1.0, 2.0], requires_grad=True)
    y = x.exp().sum()
    (g,) = grad(y, x)  # first order still works
    close(g, np.exp([1.0, 2.0]))
    with pytest.raises(flow.AutogradError, match=r"'exp' \(ExpBackward\) cannot be differentiated"):
        grad(x.exp().sum(), x, create_graph=True)


@numpy_only
def test_a_vjp_using_numpy_without_a_counterpart_raises_naming_the_op(monkeypatch):
    def vjp_with_maximum(g, ctx, need):
        (out,) = ctx
        return (np.maximum(g, 0) * out,)

    monkeypatch.setitem(np_define.VJP, "exp", vjp_with_maximum)
    monkeypatch.setattr(np_tensor.NumpyTensor, "exp", np_arithmetic._unary("exp", np.exp, True))
    x = t64([1.0, 2.0], requires_grad=True)
    with pytest.raises(flow.AutogradError, match=r"'exp'.*np\.maximum has no differentiable"):
        grad(x.exp().sum(), x, create_graph=True)


@numpy_only
def test_first_order_grad_equals_backward_bit_for_bit():
    rng = np.random.default_rng(8)
    x = flow.tensor(rng.standard_normal((5, 3)).astype(np.float32), requires_grad=True)
    w = flow.tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    b = flow.tensor(rng.standard_normal(2).astype(np.float32), requires_grad=True)

    def loss():
        h = flow.nn.functional.linear(x, w, b).sigmoid()
        return flow.nn.functional.mse_loss(h, flow.zeros(5, 2)) + (x[1:3] ** 2).mean()

    gs = grad(loss(), [x, w, b])
    loss().backward()
    for g, leaf in zip(gs, [x, w, b]):
        np.testing.assert_array_equal(g.numpy(), leaf.grad.numpy())
        assert g.dtype == leaf.dtype


@numpy_only
def test_grad_frees_the_graph_it_ran():
    x = t64(np.ones(100), requires_grad=True)
    h = x * 2.0
    out = (h * h).sum()
    ref = weakref.ref(h)
    del h
    grad(out, x)
    gc.collect()
    assert ref() is None


@numpy_only
def test_grad_skips_the_part_of_the_graph_no_input_needs():
    x = t64([1.0, 2.0], requires_grad=True)
    z = t64([3.0], requires_grad=True)
    h = (z * 2).sum()  # only z depends on this branch
    y = (x * x).sum() + h
    (g,) = grad(y, x, retain_graph=False)
    close(g, [2.0, 4.0])
    (gz,) = grad(h, z)  # the skipped branch was not run, so it was not freed
    close(gz, [2.0])


@numpy_only
def test_numpy_calls_on_tensors_keep_numpy_behaviour_outside_create_graph():
    t = flow.tensor([1.0, 2.0])
    assert isinstance(np.exp(t), np.ndarray)
    assert isinstance(np.float64(2.0) * t, flow.Tensor)
    assert (np.float64(2.0) * t).dtype == flow.float32  # numpy scalars stay weak
    assert isinstance(np.float64(1.0) < t, flow.Tensor)
    assert isinstance(np.stack([t, t]), np.ndarray)
    with pytest.raises(TypeError, match="cannot be mixed"):
        np.ones(2) + t
    assert not numpy_api._active
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    with numpy_api.differentiable():
        y = np.ones(2) * np.sin(x)
    assert y.grad_fn is not None and y.requires_grad


@numpy_only
def test_a_vjp_that_drops_a_tensor_into_a_numpy_array_raises(monkeypatch):
    def leaky(g, ctx, need):
        (out,) = ctx
        buf = np.zeros(np.shape(out))
        buf[...] = g  # would silently cut g out of the graph
        return (buf * out,)

    monkeypatch.setitem(np_define.VJP, "exp", leaky)
    monkeypatch.setattr(np_tensor.NumpyTensor, "exp", np_arithmetic._unary("exp", np.exp, True))
    x = t64([1.0, 2.0], requires_grad=True)
    (x.exp() * x).sum()  # first order is fine
    with pytest.raises(flow.AutogradError, match=r"'exp'.*drop it from the graph"):
        grad((x.exp() * x).sum(), x, create_graph=True)


def test_a_tensor_with_a_near_and_a_far_consumer():
    """``h`` feeds ``z`` directly and through ``h * 3``: the engine must finish the far
    consumer before ``h`` (a residual block's shape). The numpy engine once ordered this wrong
    when the near consumer came first."""
    x = t64([1.0, 2.0], requires_grad=True)
    h = x * 2
    (h + h * 3).sum().backward()
    close(x.grad, [8.0, 8.0])
    h = x * 2
    (gx,) = grad((h + (h * 3).tanh()).sum(), x, create_graph=True)
    hv = 2 * np.array([1.0, 2.0])
    close(gx, 2 * (1 + 3 * (1 - np.tanh(3 * hv) ** 2)), 1e-12)
    (g2,) = grad(gx.sum(), x)
    t = np.tanh(3 * hv)
    close(g2, 2 * 3 * (-2 * t * (1 - t * t) * 3) * 2, 1e-12)


def test_a_0d_leaf_accumulates_several_contributions_over_several_passes():
    """``p*p + p`` sends two gradients to one 0-d leaf; a second pass adds to the stored one
    (numpy once made the 0-d sum a numpy scalar, which the next accumulation could not write)."""
    p = flow.nn.Parameter(flow.tensor(0.75, dtype=flow.float64))
    (p * p + p).sum().backward()
    (p * p + p * 3).backward()
    assert p.grad.item() == 7.0

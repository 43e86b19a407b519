"""``flowkit.autograd.Function``, ``Tensor.register_hook``, the Module hooks and the Module API
checks of issue 12 (part 8), and two bug fixes: a parameter's type reads ``Parameter``, and
``clip_grad_norm_`` takes ``norm_type=-inf``. Every test runs on the selected backend
(``FLOWKIT_BACKEND``) and must pass on both.
"""

from __future__ import annotations

import gc
import math
import pickle
import weakref

import numpy as np
import pytest

import flowkit as flow

grad = flow.autograd.grad


def _close(t, expected, tol=1e-5):
    np.testing.assert_allclose(t.numpy(), np.asarray(expected), rtol=tol, atol=tol)


# ============================================================================ bug fixes
def test_parameter_type_reads_parameter():
    for p in (flow.nn.Linear(2, 1).weight, flow.nn.Parameter(flow.zeros(2))):
        assert isinstance(p, flow.nn.Parameter) and isinstance(p, flow.Tensor)
        assert type(p).__name__ == "Parameter"
        assert issubclass(type(p), flow.nn.Parameter)
    # a plain tensor is no parameter
    assert not isinstance(flow.zeros(1), flow.nn.Parameter)
    # the backend's class still pickles (found by its qualified name)
    p = flow.nn.Parameter(flow.ones(2))
    q = pickle.loads(pickle.dumps(p))
    assert type(q).__name__ == "Parameter" and q.requires_grad
    _close(q, [1.0, 1.0])


def _two_grads():
    a = flow.nn.Parameter(flow.zeros(3))
    b = flow.nn.Parameter(flow.zeros(2))
    (a * flow.tensor([3.0, -4.0, 0.5])).sum().backward()
    (b * flow.tensor([-2.0, 6.0])).sum().backward()
    return a, b


def test_clip_grad_norm_minus_inf():
    a, b = _two_grads()
    total = flow.nn.utils.clip_grad_norm_([a, b], 0.25, norm_type=float("-inf"))
    assert total.item() == pytest.approx(0.5)  # the smallest absolute value
    coef = 0.25 / (0.5 + 1e-6)
    _close(a.grad, [3.0 * coef, -4.0 * coef, 0.5 * coef])
    _close(b.grad, [-2.0 * coef, 6.0 * coef])
    # below max_norm: unchanged
    a, b = _two_grads()
    assert flow.nn.utils.clip_grad_norm_([a, b], 10.0, norm_type=-math.inf).item() == 0.5
    _close(a.grad, [3.0, -4.0, 0.5])


def test_clip_grad_norm_inf_and_refusals():
    a, b = _two_grads()
    total = flow.nn.utils.clip_grad_norm_([a, b], 3.0, norm_type=float("inf"))
    assert total.item() == pytest.approx(6.0)
    _close(b.grad, [-2.0 * 3 / (6 + 1e-6), 3.0 / (1 + 1e-6 / 6)])
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="norm_type"):
            flow.nn.utils.clip_grad_norm_([a], 1.0, norm_type=bad)


# ============================================================================ register_hook
def test_register_hook_non_leaf_replaces_the_gradient():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    handle = y.register_hook(lambda g: g * 10)
    y.retain_grad()
    y.sum().backward()
    _close(x.grad, [30.0, 30.0])
    _close(y.grad, [10.0, 10.0])  # retain_grad sees the hooked gradient (PyTorch 2)
    handle.remove()
    handle.remove()  # twice: nothing
    x.grad = None
    y = x * 3
    y.sum().backward()
    _close(x.grad, [3.0, 3.0])


def test_register_hook_observes_without_changing():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    (y * 2).sum().backward()
    assert seen == [[2.0, 2.0]]
    _close(x.grad, [4.0, 8.0])


def test_register_hook_leaf_once_with_the_complete_gradient():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.tolist()))
    (x * x + x).sum().backward()  # two contributions, one call
    assert seen == [[3.0, 5.0]]
    _close(x.grad, [3.0, 5.0])
    h.remove()
    h = x.register_hook(lambda g: g * 0 + 1)  # replaces what is accumulated
    (x * 5).sum().backward()
    _close(x.grad, [4.0, 6.0])
    h.remove()
    (x * 5).sum().backward()
    _close(x.grad, [9.0, 11.0])


def test_register_hook_runs_before_post_accumulate_hooks():
    w = flow.tensor([1.0, 2.0], requires_grad=True)
    order = []
    w.register_hook(lambda g: order.append("hook") or g * 2)
    w.register_post_accumulate_grad_hook(lambda p: order.append(("post", p.grad.tolist())))
    (w * 3).sum().backward()
    assert order == ["hook", ("post", [6.0, 6.0])]


def test_register_hook_with_autograd_grad_and_backward():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    z = x * 2
    z.register_hook(lambda g: g + 1)
    (gx,) = grad(z.sum(), [x])
    _close(gx, [4.0, 4.0])
    assert x.grad is None
    x2 = flow.tensor([1.0, 2.0], requires_grad=True)
    x2.register_hook(lambda g: g * 0 + 7)
    (gx2,) = grad((x2 * x2).sum(), [x2])
    _close(gx2, [7.0, 7.0])
    flow.autograd.backward([(x2 * 3).sum()])
    _close(x2.grad, [7.0, 7.0])


def test_register_hook_create_graph():
    a = flow.tensor([1.0, 2.0], dtype=flow.float64, requires_grad=True)
    b = a * a
    b.register_hook(lambda g: g * 2)
    (ga,) = grad(b.sum(), [a], create_graph=True)
    _close(ga, [4.0, 8.0])
    ga.sum().backward()
    _close(a.grad, [4.0, 4.0])


def test_register_hook_errors():
    with pytest.raises(flow.AutogradError, match="does not require grad"):
        flow.ones(2).register_hook(print)
    x = flow.ones(2, requires_grad=True)
    y = x * 1
    y.register_hook(lambda g: g.sum())
    with pytest.raises(flow.ShapeError, match=r"shape \(\).*\(2,\)"):
        y.sum().backward()
    y = x * 1
    y.register_hook(lambda g: 3.0)
    with pytest.raises(TypeError, match="returned a float"):
        y.sum().backward()
    # a failed pass leaves nothing behind for the next one
    x = flow.ones(2, requires_grad=True)
    x.register_hook(lambda g: g.sum())
    with pytest.raises(flow.ShapeError):
        (x * 2).sum().backward()
    w = flow.ones(2, requires_grad=True)
    (w * 2).sum().backward()
    _close(w.grad, [2.0, 2.0])


def test_leaf_hooks_do_not_keep_the_tensor_alive():
    x = flow.ones(2, requires_grad=True)
    x.register_hook(lambda g: g)
    ref = weakref.ref(x)
    del x
    gc.collect()
    assert ref() is None


# ============================================================================ autograd.Function
class Cube(flow.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale=1.0):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x**3 * scale

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x**2 * ctx.scale, None


class Exp(flow.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)  # an output
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


def test_function_basics():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x, 2.0)
    assert y.requires_grad and not y.is_leaf
    assert repr(y.grad_fn) == "<CubeBackward object>"
    assert "grad_fn=<CubeBackward>" in repr(y)
    y.sum().backward()
    _close(x.grad, [6.0, 24.0])
    # keyword arguments reach forward
    x.grad = None
    Cube.apply(x, scale=0.5).sum().backward()
    _close(x.grad, [1.5, 6.0])


def test_function_without_grad():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    with flow.no_grad():
        y = Cube.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    z = Cube.apply(flow.ones(2))
    assert not z.requires_grad


def test_function_matches_finite_differences_float64():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 2))
    x = flow.tensor(a, dtype=flow.float64, requires_grad=True)
    (Exp.apply(Cube.apply(x, 0.3)) * flow.tensor(a)).sum().backward()

    def f(v):
        return float((np.exp(v**3 * 0.3) * a).sum())

    eps = 1e-6
    num = np.zeros_like(a)
    for i in np.ndindex(*a.shape):
        d = np.zeros_like(a)
        d[i] = eps
        num[i] = (f(a + d) - f(a - d)) / (2 * eps)
    np.testing.assert_allclose(x.grad.numpy(), num, rtol=1e-6, atol=1e-8)


def test_function_double_backward():
    x = flow.tensor([1.0, 2.0], dtype=flow.float64, requires_grad=True)
    (g,) = grad(Cube.apply(x).sum(), [x], create_graph=True)
    _close(g, [3.0, 12.0])
    g.sum().backward()
    _close(x.grad, [6.0, 12.0])
    # a saved output is differentiated through as well
    a = flow.tensor([0.0, 1.0], dtype=flow.float64, requires_grad=True)
    (ga,) = grad(Exp.apply(a).sum(), [a], create_graph=True)
    (gga,) = grad(ga.sum(), [a])
    _close(gga, np.exp([0.0, 1.0]))


class Split(flow.autograd.Function):
    calls: list = []

    @staticmethod
    def forward(ctx, x, k, materialize=True):
        ctx.set_materialize_grads(materialize)
        idx = flow.tensor([0, 1])
        ctx.mark_non_differentiable(idx)
        Split.calls.append(ctx.needs_input_grad)
        return x[:k] * 2, x[k:] * 3, idx

    @staticmethod
    def backward(ctx, ga, gb, gi):
        Split.calls.append((ga, gb, gi))
        ga = flow.zeros(2) if ga is None else ga
        gb = flow.zeros(1) if gb is None else gb
        return flow.cat([ga * 2, gb * 3]), None, None


def test_function_several_outputs():
    Split.calls.clear()
    x = flow.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a, b, i = Split.apply(x, 2)
    assert Split.calls == [(True, False)]
    assert a.requires_grad and b.requires_grad and not i.requires_grad
    assert "grad_fn=<SplitBackward>" in repr(b)
    (a.sum() + b.sum()).backward()
    _close(x.grad, [2.0, 2.0, 3.0])
    ga, gb, gi = Split.calls[1]
    _close(ga, [1.0, 1.0])
    _close(gb, [1.0])
    assert gi is not None  # materialized: zeros


def test_function_materialize_grads():
    Split.calls.clear()
    x = flow.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a, b, _ = Split.apply(x, 2)
    b.sum().backward()
    ga, gb, gi = Split.calls[-1]
    _close(ga, [0.0, 0.0])  # materialized zeros for the output that got no gradient
    _close(x.grad, [0.0, 0.0, 3.0])
    x.grad = None
    a, b, _ = Split.apply(x, 2, False)
    b.sum().backward()
    ga, gb, gi = Split.calls[-1]
    assert ga is None and gi is None
    _close(x.grad, [0.0, 0.0, 3.0])


def test_function_broadcast_gradient_is_summed():
    class Wide(flow.autograd.Function):
        @staticmethod
        def forward(ctx, b):
            return b * 1.0

        @staticmethod
        def backward(ctx, g):
            return g.expand(4, 3)  # the gradient of a (3,) input, broadcast

    b = flow.ones(3, requires_grad=True)
    Wide.apply(b).sum().backward()
    _close(b.grad, [4.0, 4.0, 4.0])


def test_function_errors():
    class TooFew(flow.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x = flow.ones(3, requires_grad=True)
    with pytest.raises(flow.AutogradError, match=r"incorrect number of gradients \(expected 2"):
        TooFew.apply(x, x).sum().backward()

    class WrongShape(flow.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:2]

    with pytest.raises(flow.ShapeError, match=r"got shape \(2,\).*input has shape \(3,\)"):
        WrongShape.apply(x).sum().backward()

    class GradForNumber(flow.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    with pytest.raises(flow.AutogradError, match="was not a tensor"):
        GradForNumber.apply(x, 2.0).sum().backward()

    class NoTensorOut(flow.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 3

    with pytest.raises(TypeError, match="must return a flowkit tensor"):
        NoTensorOut.apply(x)

    class SaveNumber(flow.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(3)
            return x

    with pytest.raises(TypeError, match="only flowkit tensors"):
        SaveNumber.apply(x)

    class NoBackward(flow.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    with pytest.raises(NotImplementedError, match="backward"):
        NoBackward.apply(x).sum().backward()


def test_function_graph_is_freed_after_backward():
    x = flow.ones(2, requires_grad=True)
    y = Cube.apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    _close(x.grad, [6.0, 6.0])
    with pytest.raises(flow.AutogradError, match="second time"):
        y.sum().backward()


def test_function_with_hooks_and_autograd_grad():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    y.register_hook(lambda g: g * 2)
    (gx,) = grad(y.sum(), [x])
    _close(gx, [6.0, 24.0])


# ============================================================================ Module API
def test_forward_pre_hook_and_forward_hook():
    m = flow.nn.Linear(2, 1)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre") or (args[0] * 2,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append("post") or out + 100)
    h0 = m.register_forward_pre_hook(lambda mod, args: calls.append("first"), prepend=True)
    x = flow.ones(1, 2)
    out = m(x)
    assert calls == ["first", "pre", "post"]
    expected = (m.weight * 2).sum() + m.bias + 100
    _close(out, expected.detach().numpy().reshape(1, 1))
    for h in (h0, h1, h2):
        h.remove()
    _close(m(x), (m.weight.sum() + m.bias).detach().numpy().reshape(1, 1))
    assert calls == ["first", "pre", "post"]


def test_forward_hooks_with_kwargs():
    class Scale(flow.nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    seen = []

    def pre(mod, args, kwargs):
        return args, {**kwargs, "factor": 3.0}

    def post(mod, args, kwargs, out):
        seen.append(dict(kwargs))

    m.register_forward_pre_hook(pre, with_kwargs=True)
    m.register_forward_hook(post, with_kwargs=True)
    _close(m(flow.ones(2), factor=2.0), [3.0, 3.0])
    assert seen == [{"factor": 3.0}]
    m.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
    with pytest.raises(TypeError, match=r"tuple \(args, kwargs\)"):
        m(flow.ones(2))


def test_forward_hook_always_call():
    class Fails(flow.nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    m = Fails()
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append("not always"))
    with pytest.raises(RuntimeError, match="boom"):
        m(flow.ones(1))
    assert seen == [None]


def test_full_backward_hook():
    m = flow.nn.Linear(2, 1)
    seen = []
    h = m.register_full_backward_hook(
        lambda mod, gin, gout: seen.append(
            (None if gin[0] is None else tuple(gin[0].shape), tuple(gout[0].shape))
        )
    )
    x = flow.ones(3, 2, requires_grad=True)
    m(x).sum().backward()
    assert seen == [((3, 2), (3, 1))]
    m(flow.ones(3, 2)).sum().backward()  # no input needs a gradient: grad_input is None
    assert seen[1:] == [(None, (3, 1))]
    h.remove()
    h = m.register_full_backward_hook(lambda mod, gin, gout: (gin[0] * 0,))
    x.grad = None
    m(x).sum().backward()
    _close(x.grad, np.zeros((3, 2)))
    h.remove()
    x.grad = None
    m(x).sum().backward()
    _close(x.grad, np.tile(m.weight.detach().numpy(), (3, 1)))


def test_half_float_double_and_integer_buffers():
    m = flow.nn.BatchNorm1d(2) if hasattr(flow.nn, "BatchNorm1d") else flow.nn.Linear(2, 2)
    m.half()
    floats = [t for t in list(m.parameters()) + list(m.buffers()) if t.dtype.is_floating_point]
    assert floats and all(t.dtype == flow.float16 for t in floats)
    ints = [t for t in m.buffers() if not t.dtype.is_floating_point]
    assert all(t.dtype == flow.int64 for t in ints)
    assert m.float() is m
    assert all(t.dtype == flow.float32 for t in m.parameters())
    m.double()
    assert all(t.dtype == flow.float64 for t in m.parameters())
    assert all(isinstance(p, flow.nn.Parameter) for p in m.parameters())


def test_module_api_as_in_pytorch():
    class M(flow.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("mask", flow.ones(2), persistent=False)
            self.register_buffer("stat", flow.zeros(2))
            self.inner = flow.nn.Linear(2, 2)
            self.again = self.inner  # the same module twice

        def extra_repr(self):
            return "note=1"

    m = M()
    assert list(m.state_dict()) == ["stat", "inner.weight", "inner.bias"]
    assert [n for n, _ in m.named_buffers()] == ["mask", "stat"]
    assert len(list(m.buffers())) == 2
    assert [n for n, _ in m.named_modules()] == ["", "inner"]
    assert [n for n, _ in m.named_modules(remove_duplicate=False)] == ["", "inner", "again"]
    assert len(list(m.modules())) == 2
    assert len(list(m.parameters())) == 2
    assert len(list(m.named_parameters(remove_duplicate=False))) == 4
    assert repr(m).startswith("M(\n  note=1\n  (inner): Linear(")
    visited = []
    assert m.apply(lambda mod: visited.append(type(mod).__name__)) is m
    assert visited == ["Linear", "M"]  # children first, then the module
    # a buffer registered again as persistent goes back into the state dict
    m.register_buffer("mask", flow.ones(2))
    assert "mask" in m.state_dict()
    m.register_buffer("mask", flow.ones(2), persistent=False)
    del m.mask
    m.register_buffer("mask", flow.ones(2))
    assert "mask" in m.state_dict()
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    m.inner(flow.ones(1, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    _close(m.inner.weight.grad, np.zeros((2, 2)))
    m.zero_grad()
    assert m.inner.weight.grad is None
    with pytest.raises(TypeError, match="register_buffer"):
        m.register_buffer("bad", [1.0])


def test_leaf_hook_in_a_graph_step():
    """A parameter's hook also runs in an nn.Graph step (replayed on numpy from the 2nd call)."""
    m = flow.nn.Linear(2, 1)
    with flow.no_grad():
        m.weight.fill_(0.0)
    opt = flow.optim.SGD(m.parameters(), lr=0.1)
    m.weight.register_hook(lambda g: g * 0 + 5)

    class Step(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.m = m
            self.add_optimizer(opt)

        def build(self, x):
            loss = self.m(x).sum()
            loss.backward()
            return loss

    step = Step()
    for i in range(1, 4):
        step(flow.ones(4, 2))
        _close(m.weight, [[-0.5 * i, -0.5 * i]])


# ------------------------------------------------------------ load_state_dict pre- and post-hooks
def test_a_load_pre_hook_sees_its_prefix_and_may_rename_keys():
    net = flow.nn.Sequential(flow.nn.Linear(2, 2), flow.nn.Linear(2, 1))
    seen = []

    def rename(module, sd, prefix, local_metadata, strict, missing, unexpected, errors):
        seen.append(prefix)
        if prefix + "w" in sd:  # an old checkpoint's name
            sd[prefix + "weight"] = sd.pop(prefix + "w")

    handle = net[1].register_load_state_dict_pre_hook(rename)
    old = {k.replace("1.weight", "1.w"): v for k, v in net.state_dict().items()}
    caller_keys = sorted(old)
    result = net.load_state_dict(old)
    assert seen == ["1."] and repr(result) == "<All keys matched successfully>"
    assert sorted(old) == caller_keys  # the caller's dict is not changed
    handle.remove()
    with pytest.raises(
        flow.StateDictError, match=r"missing keys: 1\.weight; unexpected keys: 1\.w"
    ):
        net.load_state_dict(old)


def test_a_load_pre_hook_error_message_fails_the_load():
    m = flow.nn.Linear(2, 1)
    m.register_load_state_dict_pre_hook(lambda mod, sd, p, md, s, mk, uk, errs: errs.append("v2"))
    with pytest.raises(flow.StateDictError, match="v2"):
        m.load_state_dict(m.state_dict())


def test_a_load_post_hook_may_clear_the_incompatible_keys():
    m = flow.nn.Linear(2, 1)
    sd = {**m.state_dict(), "step": flow.tensor(3)}
    with pytest.raises(flow.StateDictError, match="unexpected keys: step"):
        m.load_state_dict(sd)
    calls = []

    def tolerate(module, keys):
        calls.append((list(keys.missing_keys), list(keys.unexpected_keys)))
        keys.unexpected_keys[:] = [k for k in keys.unexpected_keys if k != "step"]

    m.register_load_state_dict_post_hook(tolerate)
    with flow.no_grad():
        sd["weight"] = flow.full((1, 2), 7.0)
    assert repr(m.load_state_dict(sd)) == "<All keys matched successfully>"
    assert calls == [([], ["step"])] and m.weight.tolist() == [[7.0, 7.0]]
    assert repr(m.load_state_dict(m.state_dict())) == "<All keys matched successfully>"
    assert len(calls) == 2  # after every load
    r = m.load_state_dict({"weight": flow.ones(1, 2)}, strict=False)
    assert r.missing_keys == ["bias"] and "missing_keys=['bias']" in repr(r)

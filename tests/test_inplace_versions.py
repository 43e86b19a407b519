"""Changing a tensor in place after the forward pass saved it for backward: PyTorch's version-
counter check, on every backend.

Without the check the numpy backend computed the gradient from the changed values, silently
(``y = w * x; x.add_(1); y.sum().backward()`` gave ``w.grad == x + 1``), while PyTorch, and
flowkit's torch backend, refuse. The same program must not pass on one backend and raise on the
other, so the table below says, for each op and each kind of change, whether backward must raise:
exactly where PyTorch saves the changed tensor for the backward pass (``w * x`` with only ``w``
requiring grad saves ``x``, not ``w``: an optimizer step on ``w`` before backward is fine).

flowkit's own rule on top (both backends, see ``flowkit.ops.inplace``): an in-place op on a tensor
autograd tracks is computed out of place and the tensor moves onto the result, so it never
changes a saved value and never raises here; its gradient is right.
"""

from __future__ import annotations

import pytest

import flowkit as flow

F = flow.nn.functional


def _leaf(*shape):
    flow.manual_seed(0)
    return (flow.rand(*shape) + 0.5).requires_grad_()


def _const(*shape):
    flow.manual_seed(1)
    return flow.rand(*shape) + 0.5


# op -> (f(w, x), w's shape, x's shape). w is a leaf that requires grad, x a tensor that does not;
# unary ops read a non-leaf h = w * 1 (so that h, not the leaf, is what they save)
OPS = {
    "mul": (lambda w, x: w * x, (2, 3), (2, 3)),
    "mul_scalar": (lambda w, x: w * 3.0, (2, 3), (2, 3)),
    "div": (lambda w, x: w / x, (2, 3), (2, 3)),
    "rdiv": (lambda w, x: x / w, (2, 3), (2, 3)),
    "add": (lambda w, x: w + x, (2, 3), (2, 3)),
    "sub": (lambda w, x: w - x, (2, 3), (2, 3)),
    "matmul": (lambda w, x: w @ x, (2, 3), (3, 4)),
    "rmatmul": (lambda w, x: x @ w, (3, 4), (2, 3)),
    "linear_weight": (lambda w, x: F.linear(x, w), (4, 3), (2, 3)),
    "linear_input": (lambda w, x: F.linear(w, x), (2, 3), (4, 3)),
    "exp": (lambda w, x: w.exp(), (2, 3), (2, 3)),
    "log": (lambda w, x: w.log(), (2, 3), (2, 3)),
    "tanh": (lambda w, x: w.tanh(), (2, 3), (2, 3)),
    "sigmoid": (lambda w, x: w.sigmoid(), (2, 3), (2, 3)),
    "relu": (lambda w, x: w.relu(), (2, 3), (2, 3)),
    "sqrt": (lambda w, x: w.sqrt(), (2, 3), (2, 3)),
    "sin": (lambda w, x: w.sin(), (2, 3), (2, 3)),
    "abs": (lambda w, x: w.abs(), (2, 3), (2, 3)),
    "neg": (lambda w, x: -w, (2, 3), (2, 3)),
    "pow_scalar": (lambda w, x: w**2, (2, 3), (2, 3)),
    "pow_tensor": (lambda w, x: w**x, (2, 3), (2, 3)),
    "sum": (lambda w, x: w.sum(), (2, 3), (2, 3)),
    "mean": (lambda w, x: w.mean(), (2, 3), (2, 3)),
    "mse_loss": (lambda w, x: F.mse_loss(w, x), (2, 3), (2, 3)),
    "softmax": (lambda w, x: F.softmax(w, dim=1), (2, 3), (2, 3)),
    "log_softmax": (lambda w, x: F.log_softmax(w, dim=1), (2, 3), (2, 3)),
    "maximum": (lambda w, x: flow.maximum(w, x), (2, 3), (2, 3)),
    "clamp": (lambda w, x: w.clamp(0.6, 1.2), (2, 3), (2, 3)),
    "reshape": (lambda w, x: w.reshape(3, 2) * x.reshape(3, 2), (2, 3), (2, 3)),
    "getitem": (lambda w, x: w[0] * x[0], (2, 3), (2, 3)),
}
UNARY_ON_NON_LEAF = {
    "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "sin", "abs", "neg", "pow_scalar", "sum",
    "mean", "softmax", "log_softmax", "clamp",
}  # fmt: skip

# What the change is, under no_grad, between the forward pass and backward():
#   x: the input that needs no gradient        w: the leaf (an optimizer step does this)
#   y: the op's output                         h: the non-leaf the op read (h = w * 1)
# "R" where PyTorch saved what changed, so backward must raise; "." where it must not.
CHANGES = "xwyh"
EXPECTED = {
    "mul": "R...",
    "mul_scalar": "....",
    "div": "R...",
    "rdiv": "RR.R",
    "add": "....",
    "sub": "....",
    "matmul": "R...",
    "rmatmul": "R...",
    "linear_weight": "R...",
    "linear_input": "R...",
    "exp": "..R.",
    "log": "...R",
    "tanh": "..R.",
    "sigmoid": "..R.",
    "relu": "..R.",
    "sqrt": "..R.",
    "sin": "...R",
    "abs": "...R",
    "neg": "....",
    "pow_scalar": "...R",
    "pow_tensor": "RRRR",
    "sum": "....",
    "mean": "....",
    "mse_loss": "RR.R",
    "softmax": "..R.",
    "log_softmax": "..R.",
    "maximum": "RR.R",
    "clamp": "...R",
    "reshape": "R...",
    "getitem": "R...",
}
CASES = [(op, c, EXPECTED[op][i] == "R") for op in OPS for i, c in enumerate(CHANGES)]


def _modified_error(info) -> bool:
    return "has been modified by an inplace operation" in str(info)


@pytest.mark.parametrize(("op", "change", "raises"), CASES, ids=[f"{o}-{c}" for o, c, _ in CASES])
def test_backward_refuses_exactly_what_pytorch_refuses(op, change, raises):
    fn, wshape, xshape = OPS[op]
    w, x = _leaf(*wshape), _const(*xshape)
    h = w * 1
    y = fn(h, x) if op in UNARY_ON_NON_LEAF else fn(w if change != "h" else h, x)
    with flow.no_grad():
        {"x": x, "w": w, "y": y, "h": h}[change].add_(1.0)
    if raises:
        with pytest.raises(flow.AutogradError) as info:
            y.sum().backward()
        assert _modified_error(info.value)
    else:
        y.sum().backward()  # and the gradient is the right one: nothing it needs changed


def _message(fn) -> str:
    with pytest.raises(flow.AutogradError) as info:
        fn()
    assert isinstance(info.value, RuntimeError)  # what PyTorch code catches
    return str(info.value)


HINT = (
    "Hint: the in-place op ran between the forward pass and backward(): compute out of place "
    "(x = x + 1, not x.add_(1)), .clone() the tensor before changing it, or move the in-place op "
    "after backward()"
)


def test_the_message_names_the_op_the_tensor_and_both_versions():
    w, x = flow.ones(2, requires_grad=True), flow.ones(2)
    y = w * x
    x.add_(1)
    assert _message(lambda: y.sum().backward()) == (
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: MulBackward needs a flowkit.float32 tensor of shape (2,) that is at version "
        "1; expected version 0 instead. " + HINT
    )


def test_each_write_counts_views_share_the_count_and_autograd_grad_checks_too():
    w, x = flow.ones(2, requires_grad=True), flow.ones(4)
    y = w * x[:2]  # saves a view of x
    x.mul_(2)  # through the base ...
    x[3] = 5.0  # ... and by item assignment: two versions
    m = _message(lambda: flow.autograd.grad(y.sum(), [w]))
    assert "MulBackward needs a flowkit.float32 tensor of shape (2,)" in m
    assert "at version 2; expected version 0 instead" in m


def test_an_optimizer_step_between_forward_and_backward():
    # the GAN pattern: D's step runs between G's forward through D and G's backward
    flow.manual_seed(0)
    G, D = flow.nn.Linear(2, 2), flow.nn.Linear(2, 1)
    z = flow.randn(4, 2)
    opt_d = flow.optim.SGD(D.parameters(), lr=0.1)
    g_loss = D(G(z)).sum()  # D's weight is saved: the gradient reaching G goes through it
    d_loss = D(G(z).detach()).sum()
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    m = _message(g_loss.backward)
    assert "LinearBackward needs a flowkit.float32 tensor of shape (1, 2)" in m
    # versions: 1 after the initialisation, 2 after the step
    assert "at version 2; expected version 1 instead" in m


def test_an_input_that_needs_no_gradient_leaves_the_weight_free_to_change():
    flow.manual_seed(0)
    lin = flow.nn.Linear(2, 1)
    x = flow.randn(3, 2)
    loss = lin(x).sum()  # only x is saved: the weight's gradient needs x, nothing needs W
    with flow.no_grad():
        lin.weight.add_(1.0)
    loss.backward()
    assert lin.weight.grad.tolist() == [[float(v) for v in x.sum(0).tolist()]]


def test_training_steps_never_trip_the_check():
    flow.manual_seed(0)
    model = flow.nn.Sequential(
        flow.nn.Linear(3, 4), flow.nn.BatchNorm1d(4), flow.nn.ReLU(), flow.nn.Linear(4, 1)
    )  # batch norm writes its running statistics in place during the forward pass
    opt = flow.optim.Adam(model.parameters(), lr=0.01)
    x, y = flow.randn(8, 3), flow.randn(8, 1)
    for _ in range(3):
        loss = flow.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_a_second_backward_after_a_write_raises():
    w, x = flow.ones(2, requires_grad=True), flow.ones(2)
    y = (w * x).sum()
    y.backward(retain_graph=True)
    assert w.grad.tolist() == [1.0, 1.0]
    x.fill_(3.0)
    assert "at version 1; expected version 0" in _message(y.backward)


def test_in_place_ops_on_tracked_tensors_move_them_and_never_raise():
    # flowkit's rule (both backends): computed out of place, so nothing saved changes
    w = flow.tensor([1.0, 2.0], requires_grad=True)
    h = w * 1
    z = h.exp()  # saves its output, which h.add_ does not touch
    y = h * h  # saves h as it is now
    h.add_(1)
    z.add_(1)
    (z.sum() + y.sum()).backward()
    expected = [2 * v + __import__("math").exp(v) for v in (1.0, 2.0)]
    assert w.grad.tolist() == pytest.approx(expected, rel=1e-6)


@pytest.mark.skipif(flow.backend().name != "numpy", reason="the numpy backend's own bookkeeping")
def test_the_numpy_backend_forgets_arrays_that_died():
    from flowkit_numpy import engine

    before = len(engine.WRITES)
    for _ in range(200):
        t = flow.ones(3)
        t.add_(1)  # a record per written array ...
    del t
    assert len(engine.WRITES) <= before + 1  # ... dropped with the array

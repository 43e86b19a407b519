"""``flowkit.nn`` and ``flowkit.optim`` on the selected backend: module registration and state
dicts, Linear and MSELoss, SGD/Adam/AdamW against hand-written numpy updates in float64, each
backend kernel with the reference update through step(), and the tutorial's training run."""

from __future__ import annotations

import numpy as np
import pytest

import flowkit as flow
from flowkit.optim.optimizer import _without_graph

nn = flow.nn
F = flow.nn.functional


# ------------------------------------------------------------------------------------ modules
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 1, bias=False)
        self.loss = nn.MSELoss(reduction="sum")
        self.register_buffer("running", flow.zeros(1))
        self.register_buffer("scratch", flow.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc(x)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(flow.ones(1))
        self.fc1 = nn.Linear(2, 3)
        self.block = Block()
        self.lr = 0.01
        self.iter_count = 500
        self.const = flow.ones(2)  # a plain tensor attribute: not a parameter, not state

    def forward(self, x):
        return self.block(self.fc1(x)) * self.scale


def test_parameters_and_named_parameters():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "block.fc.weight"]
    params = list(net.parameters())
    assert len(params) == 4
    assert all(isinstance(p, nn.Parameter) and isinstance(p, flow.Tensor) for p in params)
    assert all(p.requires_grad and p.is_leaf for p in params)
    assert params[1] is net.fc1.weight
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in net.block.named_parameters(prefix="block")] == ["block.fc.weight"]


def test_shared_parameters_are_listed_once():
    net = Net()
    net.block.fc2 = net.block.fc  # the same module twice
    assert len(list(net.parameters())) == 4


def test_children_and_modules():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["fc1", "block"]
    assert list(net.children()) == [net.fc1, net.block]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "block", "block.fc", "block.loss"]
    assert len(list(net.modules())) == 5


def test_train_and_eval_flags():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.block.train(False)
    assert net.training and not net.block.training and not net.block.fc.training


def test_plain_attributes_stay_plain():
    net = Net()
    assert net.lr == 0.01 and net.iter_count == 500
    net.lr = 0.1
    assert net.lr == 0.1
    assert "lr" not in dict(net.named_parameters())
    assert "const" not in net.state_dict()
    assert all(p is not net.const for p in net.parameters())


def test_buffers():
    net = Net()
    assert [n for n, _ in net.named_buffers()] == ["block.running", "block.scratch"]
    assert list(net.state_dict()) == [
        "scale",
        "fc1.weight",
        "fc1.bias",
        "block.running",
        "block.fc.weight",
    ]


def test_state_dict_is_detached_and_round_trips():
    flow.manual_seed(1)
    a = Net()
    flow.manual_seed(2)
    b = Net()
    sd = a.state_dict()
    assert all(not v.requires_grad for v in sd.values())
    assert not np.array_equal(a.fc1.weight.numpy(), b.fc1.weight.numpy())
    w_before = b.fc1.weight
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.fc1.weight is w_before  # loaded in place: an optimizer built before still works
    for (na, pa), (nb, pb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert na == nb
        np.testing.assert_array_equal(pa.numpy(), pb.numpy())
    assert b.fc1.weight.requires_grad


def test_load_state_dict_non_strict():
    net = Net()
    sd = {"fc1.bias": flow.tensor([1.0, 2.0, 3.0]), "extra": flow.zeros(1)}
    result = net.load_state_dict(sd, strict=False)
    assert "extra" in result.unexpected_keys
    assert set(result.missing_keys) == {"scale", "fc1.weight", "block.running", "block.fc.weight"}
    assert net.fc1.bias.tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(flow.FlowkitError):
        net.load_state_dict(sd)


def test_linear_repr_and_nested_repr():
    assert repr(nn.Linear(2, 1)) == "Linear(in_features=2, out_features=1, bias=True)"
    assert repr(nn.Linear(3, 4, bias=False)) == "Linear(in_features=3, out_features=4, bias=False)"
    assert repr(Net()) == (
        "Net(\n"
        "  (fc1): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (block): Block(\n"
        "    (fc): Linear(in_features=3, out_features=1, bias=False)\n"
        "    (loss): MSELoss()\n"  # PyTorch's loss reprs show no options
        "  )\n"
        ")"
    )
    assert repr(nn.MSELoss()) == "MSELoss()"


def test_module_to_keeps_parameter_identity():
    net = Net()
    w = net.fc1.weight
    net.double()
    assert net.fc1.weight is w and w.dtype == flow.float64
    assert net.block.running.dtype == flow.float64
    net.float()
    assert w.dtype == flow.float32


def test_module_zero_grad():
    net = Net()
    net(flow.ones(4, 2)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


# ------------------------------------------------------------------------------------ layers
def test_linear_init_bounds_and_shapes():
    layer = nn.Linear(4, 3)
    assert tuple(layer.weight.shape) == (3, 4) and tuple(layer.bias.shape) == (3,)
    bound = 1 / np.sqrt(4)
    assert np.abs(layer.weight.numpy()).max() <= bound
    assert np.abs(layer.bias.numpy()).max() <= bound
    assert layer.weight.dtype == flow.float32
    assert nn.Linear(2, 2, dtype=flow.float64).weight.dtype == flow.float64
    flow.manual_seed(5)
    a = nn.Linear(4, 3).weight.numpy().copy()
    flow.manual_seed(5)
    np.testing.assert_array_equal(nn.Linear(4, 3).weight.numpy(), a)  # seeded init


@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_and_gradients(bias):
    rng = np.random.default_rng(0)
    x_np, w_np, b_np = (
        rng.standard_normal((5, 3)),
        rng.standard_normal((2, 3)),
        rng.standard_normal(2),
    )
    layer = nn.Linear(3, 2, bias=bias, dtype=flow.float64)
    sd = {"weight": flow.tensor(w_np)}
    if bias:
        sd["bias"] = flow.tensor(b_np)
    layer.load_state_dict(sd)
    x = flow.tensor(x_np, requires_grad=True)
    y = layer(x)
    expected = x_np @ w_np.T + (b_np if bias else 0)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)
    g = rng.standard_normal((5, 2))
    y.backward(flow.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), g @ w_np, rtol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.numpy(), g.T @ x_np, rtol=1e-12)
    if bias:
        np.testing.assert_allclose(layer.bias.grad.numpy(), g.sum(0), rtol=1e-12)
    else:
        assert layer.bias is None


def test_linear_on_a_single_sample():
    layer = nn.Linear(2, 3)
    assert tuple(layer(flow.ones(2)).shape) == (3,)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_mse_loss_reductions(reduction):
    a = np.array([[1.0, 2.0], [3.0, 5.0]])
    b = np.array([[0.0, 2.0], [1.0, 1.0]])
    loss = nn.MSELoss(reduction=reduction)(flow.tensor(a), flow.tensor(b))
    sq = (a - b) ** 2
    expected = {"none": sq, "mean": sq.mean(), "sum": sq.sum()}[reduction]
    np.testing.assert_allclose(loss.numpy(), expected)
    assert tuple(loss.shape) == (() if reduction != "none" else (2, 2))
    assert loss.dtype == flow.float64
    F_loss = F.mse_loss(flow.tensor(a), flow.tensor(b), reduction=reduction)
    np.testing.assert_allclose(F_loss.numpy(), expected)
    assert nn.MSELoss().reduction == "mean"


# ------------------------------------------------------------------------------------ optimizers
def _np_sgd(
    p, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False
):
    """PyTorch's SGD, written out in numpy."""
    buf = None
    for g in grads:
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p, buf


def _np_adam(
    p, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False, maximize=False
):
    """PyTorch's Adam / AdamW, written out in numpy."""
    b1, b2 = betas
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        if weight_decay:
            if decoupled:
                p = p * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p, m, v


def _set_grad(p, g: np.ndarray) -> None:
    """Give ``p`` the gradient ``g`` through backward (the public route)."""
    (p * flow.tensor(g)).sum().backward()


def _train(opt, params, grads_per_step):
    for grads in grads_per_step:
        opt.zero_grad()
        for p, g in zip(params, grads, strict=True):
            _set_grad(p, g)
        opt.step()


P0 = np.array([[0.5, -1.0], [2.0, 0.25]])
GRADS = [
    np.array([[0.1, -0.2], [0.3, 0.4]]),
    np.array([[-0.5, 0.1], [0.2, -0.3]]),
    np.array([[0.05, 0.6], [-0.7, 0.0]]),
]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(lr=0.1),
        dict(lr=0.1, momentum=0.9),
        dict(lr=0.1, momentum=0.9, nesterov=True),
        dict(lr=0.1, weight_decay=0.01),
        dict(lr=0.05, momentum=0.8, dampening=0.3),
        dict(lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True),
    ],
    ids=["plain", "momentum", "nesterov", "weight_decay", "dampening", "maximize"],
)
def test_sgd_matches_numpy(kwargs):
    p = nn.Parameter(flow.tensor(P0))
    opt = flow.optim.SGD([p], **kwargs)
    for k in range(1, len(GRADS) + 1):
        _train(opt, [p], [[GRADS[k - 1]]])
        expected, buf = _np_sgd(P0, GRADS[:k], **kwargs)
        np.testing.assert_allclose(p.numpy(), expected, rtol=1e-12, atol=1e-14)
        assert p.dtype == flow.float64
        if kwargs.get("momentum"):
            np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), buf, rtol=1e-12)


def test_sgd_single_step_by_hand():
    p = nn.Parameter(flow.tensor([1.0, -2.0], dtype=flow.float64))
    opt = flow.optim.SGD([p], 0.1)  # lr positionally, as in the tutorial
    _train(opt, [p], [[np.array([0.5, 0.25])]])
    np.testing.assert_allclose(p.numpy(), [0.95, -2.025], rtol=1e-15)


@pytest.mark.parametrize(
    "cls,kwargs",
    [
        (flow.optim.Adam, dict(lr=0.1)),
        (flow.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99))),
        (flow.optim.Adam, dict(lr=0.1, weight_decay=0.1)),
        (flow.optim.Adam, dict(lr=0.1, eps=1e-3, maximize=True)),
        (flow.optim.AdamW, dict(lr=0.1)),
        (flow.optim.AdamW, dict(lr=0.1, weight_decay=0.5)),
    ],
    ids=["adam", "betas", "adam-wd", "maximize", "adamw", "adamw-wd"],
)
def test_adam_matches_numpy(cls, kwargs):
    p = nn.Parameter(flow.tensor(P0))
    opt = cls([p], **kwargs)
    decoupled = cls is flow.optim.AdamW
    np_kwargs = dict(kwargs)
    if decoupled:
        np_kwargs.setdefault("weight_decay", 1e-2)  # AdamW's default
    for k in range(1, len(GRADS) + 1):
        _train(opt, [p], [[GRADS[k - 1]]])
        expected, m, v = _np_adam(P0, GRADS[:k], decoupled=decoupled, **np_kwargs)
        np.testing.assert_allclose(p.numpy(), expected, rtol=1e-12, atol=1e-14)
        s = opt.state[p]
        assert s["step"] == k
        np.testing.assert_allclose(s["exp_avg"].numpy(), m, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(s["exp_avg_sq"].numpy(), v, rtol=1e-12, atol=1e-15)


def test_param_groups_with_different_lr():
    a = nn.Parameter(flow.tensor([1.0, 2.0], dtype=flow.float64))
    b = nn.Parameter(flow.tensor([3.0], dtype=flow.float64))
    opt = flow.optim.SGD([{"params": [a], "lr": 0.1}, {"params": [b]}], lr=0.01, momentum=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert opt.param_groups[1]["momentum"] == 0.5
    grads = [[np.array([1.0, 1.0]), np.array([2.0])], [np.array([0.5, -1.0]), np.array([1.0])]]
    _train(opt, [a, b], grads)
    ea, _ = _np_sgd(np.array([1.0, 2.0]), [g[0] for g in grads], lr=0.1, momentum=0.5)
    eb, _ = _np_sgd(np.array([3.0]), [g[1] for g in grads], lr=0.01, momentum=0.5)
    np.testing.assert_allclose(a.numpy(), ea, rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), eb, rtol=1e-12)


def test_parameter_without_grad_is_skipped():
    a = nn.Parameter(flow.tensor([1.0]))
    b = nn.Parameter(flow.tensor([2.0]))
    opt = flow.optim.Adam([a, b], lr=0.1)
    _set_grad(a, np.array([1.0], dtype=np.float32))
    opt.step()
    assert b.tolist() == [2.0] and b not in opt.state
    assert a.tolist()[0] == pytest.approx(0.9)


@pytest.mark.parametrize(
    "cls,kwargs",
    [
        (flow.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
        (flow.optim.Adam, dict(lr=0.05, weight_decay=0.01)),
        (flow.optim.AdamW, dict(lr=0.05)),
    ],
)
def test_optimizer_state_dict_round_trip_continues_identically(cls, kwargs):
    p1 = nn.Parameter(flow.tensor(P0))
    opt1 = cls([p1], **kwargs)
    _train(opt1, [p1], [[g] for g in GRADS[:2]])
    sd = opt1.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][0]["lr"] == kwargs["lr"]
    assert list(sd["state"]) == [0]

    p2 = nn.Parameter(flow.tensor(p1.numpy().copy()))
    opt2 = cls([p2], lr=123.0)  # a different lr: load_state_dict restores the saved one
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == kwargs["lr"]
    for g in GRADS[2:] + GRADS[:1]:
        _train(opt1, [p1], [[g]])
        _train(opt2, [p2], [[g]])
        np.testing.assert_array_equal(p1.numpy(), p2.numpy())
    for k, v in opt1.state[p1].items():
        other = opt2.state[p2][k]
        if isinstance(v, flow.Tensor):
            np.testing.assert_array_equal(v.numpy(), other.numpy())
        else:
            assert v == other


def test_optimizer_state_dict_mismatch():
    opt = flow.optim.SGD([nn.Parameter(flow.zeros(1))], lr=0.1)
    other = flow.optim.SGD([nn.Parameter(flow.zeros(1)), nn.Parameter(flow.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="size differs"):
        opt.load_state_dict(other.state_dict())


@pytest.mark.parametrize("set_to_none", [True, False])
def test_optimizer_zero_grad(set_to_none):
    p = nn.Parameter(flow.tensor([1.0, 2.0]))
    opt = flow.optim.SGD([p], lr=0.1)
    _set_grad(p, np.array([3.0, 4.0], dtype=np.float32))
    assert p.grad.tolist() == [3.0, 4.0]
    opt.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert p.grad is None
    else:
        assert p.grad is not None and p.grad.tolist() == [0.0, 0.0]
    _set_grad(p, np.array([1.0, 1.0], dtype=np.float32))
    assert p.grad.tolist() == [1.0, 1.0]  # no stale gradient either way
    opt.zero_grad()
    assert p.grad is None


def test_optimizer_repr():
    opt = flow.optim.SGD([nn.Parameter(flow.zeros(1))], lr=0.1)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1\n" in text


# ------------------------------------------------------------------------------------ kernels
# (each backend's kernels against the reference updates: the conformance kit's optimizer cases,
# flowkit.testing.conformance.optim, run by tests/test_conformance.py and test_optim_more.py)
_CONFIGS = [
    (flow.optim.SGD, dict(lr=0.1)),
    (flow.optim.SGD, dict(lr=0.1, momentum=0.9)),
    (flow.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05)),
    (flow.optim.SGD, dict(lr=0.1, momentum=0.7, dampening=0.2, maximize=True)),
    (flow.optim.Adam, dict(lr=0.01)),
    (flow.optim.Adam, dict(lr=0.01, weight_decay=0.1, maximize=True)),
    (flow.optim.AdamW, dict(lr=0.01, weight_decay=0.3)),
]
_IDS = [
    "sgd",
    "sgd-momentum",
    "sgd-nesterov-wd",
    "sgd-dampening-maximize",
    "adam",
    "adam-wd-maximize",
    "adamw",
]


@pytest.mark.parametrize("cls,kwargs", _CONFIGS, ids=_IDS)
def test_step_with_the_reference_update(cls, kwargs):
    """A backend without a fast kernel gets the reference function: step() must run it (under
    no_grad) and give the same parameters as the selected kernel."""
    p1 = nn.Parameter(flow.tensor(P0))
    p2 = nn.Parameter(flow.tensor(P0))
    fast = cls([p1], **kwargs)
    ref = cls([p2], **kwargs)
    ref._kernel = _without_graph(cls._reference)  # what a backend without kernels is given
    for g in GRADS:
        _train(fast, [p1], [[g]])
        _train(ref, [p2], [[g]])
    np.testing.assert_allclose(p2.numpy(), p1.numpy(), rtol=1e-12, atol=1e-15)
    assert p2.requires_grad and p2.is_leaf and flow.is_grad_enabled()


def test_step_closure():
    p = nn.Parameter(flow.tensor([1.0]))
    opt = flow.optim.SGD([p], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with flow.no_grad():  # the closure re-enables grad
        loss = opt.step(closure)
    assert loss.item() == 1.0
    assert p.tolist() == [0.0]


# ------------------------------------------------------------------------------------ tutorial
def test_tutorial_linear_regression_converges():
    x = flow.tensor([[1, 2], [2, 3], [4, 6], [3, 1]], dtype=flow.float32)
    y = flow.tensor([[8], [13], [26], [9]], dtype=flow.float32)

    class MyLrModule(nn.Module):
        def __init__(self, lr, iter_count):
            super().__init__()
            self.w = nn.Parameter(flow.randn(2, 1, dtype=flow.float32))
            self.lr = lr
            self.iter_count = iter_count

        def forward(self, x):
            return flow.matmul(x, self.w)

    flow.manual_seed(0)
    model = MyLrModule(0.01, 500)
    expected_w0 = np.random.Generator(np.random.PCG64(0)).standard_normal((2, 1), dtype=np.float32)
    np.testing.assert_array_equal(model.w.numpy(), expected_w0)
    loss = nn.MSELoss(reduction="sum")
    optimizer = flow.optim.SGD(model.parameters(), model.lr)
    losses = []
    for _ in range(model.iter_count):
        y_pred = model(x)
        l = loss(y_pred, y)  # noqa: E741 - the tutorial's name
        losses.append(l.item())
        optimizer.zero_grad()
        l.backward()
        optimizer.step()
    assert losses[0] > 1.0
    assert all(v < 1e-9 for v in losses[199:]), max(losses[199:])
    assert f"{l}" == str(l.item())
    np.testing.assert_allclose(model.w.numpy().reshape(-1), [2.0, 3.0], atol=1e-3)
    assert model.w.dtype == flow.float32
    assert repr(model.w).startswith("tensor([[2.0000],\n        [3.0000]], dtype=flowkit.float32")

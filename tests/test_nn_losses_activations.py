# ruff: noqa: B023 - the lambdas in loops are called at once, inside the iteration
"""Activations and losses of issue 12, part 4, against raw torch: values, gradients and second
derivatives (``create_graph=True``) on the backend of this process, at ordinary and at extreme
inputs; plus what the conformance kit cannot say (gelu's double backward was refused, the
stability of ``binary_cross_entropy_with_logits``, ``Dropout``'s OneFlow keywords)."""

from __future__ import annotations

import numpy as np
import pytest

import flowkit as flow

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch_oracle

F = flow.nn.functional
TF = torch.nn.functional


def _pair(a):
    a = np.asarray(a, np.float64)
    return (
        flow.tensor(a, dtype=flow.float64, requires_grad=True),
        torch.tensor(a, dtype=torch.float64, requires_grad=True),
    )


def _close(got, want, rtol=1e-7, atol=1e-9):
    np.testing.assert_allclose(
        np.asarray(got.detach().numpy() if hasattr(got, "detach") else got.numpy()),
        want.detach().numpy(force=True),
        rtol=rtol,
        atol=atol,
    )


def _check(fn, tfn, *arrays, second=True, argnums=None):
    """fn(*flowkit tensors) and tfn(*torch tensors) agree in value, gradient and (``second``)
    the gradient of the gradient's sum, for the inputs ``argnums`` (default: all)."""
    pairs = [_pair(a) for a in arrays]
    fx, tx = [p[0] for p in pairs], [p[1] for p in pairs]
    idx = range(len(arrays)) if argnums is None else argnums
    fy, ty = fn(*fx), tfn(*tx)
    _close(fy, ty)
    rng = np.random.default_rng(0)
    cot = rng.standard_normal(tuple(ty.shape))
    fs = (fy * flow.tensor(cot)).sum()
    ts = (ty * torch.tensor(cot)).sum()
    fg = flow.autograd.grad(fs, [fx[i] for i in idx], create_graph=second)
    tg = torch.autograd.grad(ts, [tx[i] for i in idx], create_graph=second)
    second = second and all(g.requires_grad for g in tg)  # torch has a second derivative
    for a, b in zip(fg, tg):
        _close(a, b)
    if second:
        fsum = sum(g.sum() for g in fg)
        tsum = sum(g.sum() for g in tg)
        tg2 = torch.autograd.grad(tsum, [tx[i] for i in idx], allow_unused=True)
        if not fsum.requires_grad:  # a piecewise-linear op: its gradient is a constant
            assert all(b is None or not b.any() for b in tg2)
            return
        fg2 = flow.autograd.grad(fsum, [fx[i] for i in idx], allow_unused=True)
        for a, b in zip(fg2, tg2):
            if b is None:
                assert a is None or not np.any(a.numpy())
            else:
                _close(a, b, rtol=1e-6, atol=1e-8)


X = np.array([-30.0, -3.5, -1.2, -0.3, 0.4, 1.7, 2.9, 3.6, 40.0])


@pytest.mark.parametrize(
    "name, fn, tfn",
    [
        ("silu", F.silu, TF.silu),
        ("selu", F.selu, TF.selu),
        ("celu", lambda x: F.celu(x, alpha=1.7), lambda x: TF.celu(x, alpha=1.7)),
        ("elu", lambda x: F.elu(x, alpha=0.6), lambda x: TF.elu(x, alpha=0.6)),
        ("mish", F.mish, TF.mish),
        ("softplus", F.softplus, TF.softplus),
        (
            "softplus_beta",
            lambda x: F.softplus(x, beta=2.0, threshold=5.0),
            lambda x: TF.softplus(x, beta=2.0, threshold=5.0),
        ),
        ("hardswish", F.hardswish, TF.hardswish),
        ("hardsigmoid", F.hardsigmoid, TF.hardsigmoid),
        ("gelu", F.gelu, TF.gelu),
        (
            "gelu_tanh",
            lambda x: F.gelu(x, approximate="tanh"),
            lambda x: TF.gelu(x, approximate="tanh"),
        ),
    ],
)
def test_activation_matches_torch_to_second_order(name, fn, tfn):
    # torch has no second derivative of hardsigmoid (flowkit's is 0: piecewise linear)
    _check(fn, tfn, X, second=name != "hardsigmoid")


@pytest.mark.parametrize("name", ["silu", "selu", "mish", "gelu", "softplus"])
def test_oneflow_top_level_forms(name):
    assert getattr(flow, name) is getattr(F, name)


def test_activations_stay_finite_at_huge_inputs():
    x = flow.tensor([-1e4, -100.0, 100.0, 1e4], requires_grad=True)
    for fn in (F.silu, F.selu, F.elu, F.celu, F.mish, F.softplus, F.gelu):
        y = fn(x)
        (g,) = flow.autograd.grad(y.sum(), [x])
        assert np.isfinite(y.numpy()).all() and np.isfinite(g.numpy()).all(), fn.__name__


def test_prelu_matches_torch():
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    _check(F.prelu, torch.prelu, x, np.array([0.1, -0.2, 0.3]))
    _check(F.prelu, torch.prelu, x, np.array([0.25]))
    m = flow.nn.PReLU(3, init=0.1)
    assert m.weight.shape == (3,) and m.weight.requires_grad
    assert m(flow.tensor(x, dtype=flow.float32)).shape == (2, 3, 4)
    with pytest.raises(flow.ShapeError, match="slope"):
        F.prelu(flow.ones(2, 3), flow.ones(2))


def test_gelu_double_backward_is_no_longer_refused():
    x = flow.tensor([-1.0, 0.5, 2.0], dtype=flow.float64, requires_grad=True)
    (g,) = flow.autograd.grad(F.gelu(x).sum(), [x], create_graph=True)
    (g2,) = flow.autograd.grad(g.sum(), [x])
    t = torch.tensor([-1.0, 0.5, 2.0], dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad(TF.gelu(t).sum(), [t], create_graph=True)
    (tg2,) = torch.autograd.grad(tg.sum(), [t])
    np.testing.assert_allclose(g2.numpy(), tg2.numpy(), rtol=1e-10)


RNG = np.random.default_rng(3)
A, B = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
P = RNG.uniform(0.05, 0.95, (4, 5))
T01 = (RNG.random((4, 5)) < 0.5).astype(np.float64)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_pointwise_losses_match_torch(reduction):
    r = reduction
    _check(
        lambda a, b: F.l1_loss(a, b, reduction=r), lambda a, b: TF.l1_loss(a, b, reduction=r), A, B
    )
    for beta in (0.0, 0.7):
        _check(
            lambda a, b: F.smooth_l1_loss(a, b, reduction=r, beta=beta),
            lambda a, b: TF.smooth_l1_loss(a, b, reduction=r, beta=beta),
            A,
            B,
        )
    _check(
        lambda a, b: F.huber_loss(a, b, reduction=r, delta=0.8),
        lambda a, b: TF.huber_loss(a, b, reduction=r, delta=0.8),
        A,
        B,
    )
    w = RNG.uniform(0.5, 2, (5,))  # class weights: no gradient (torch refuses one)
    _check(
        lambda p, t: F.binary_cross_entropy(p, t, flow.tensor(w), reduction=r),
        lambda p, t: TF.binary_cross_entropy(p, t, torch.tensor(w), reduction=r),
        P,
        P[::-1].copy(),
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_matches_torch(reduction):
    w, pw = RNG.uniform(0.5, 2, (5,)), RNG.uniform(0.5, 3, (5,))
    _check(
        lambda x, t: F.binary_cross_entropy_with_logits(
            x, t, flow.tensor(w), reduction=reduction, pos_weight=flow.tensor(pw)
        ),
        lambda x, t: TF.binary_cross_entropy_with_logits(
            x, t, torch.tensor(w), reduction=reduction, pos_weight=torch.tensor(pw)
        ),
        A * 3,
        P,
    )
    _check(
        lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
        lambda x, t: TF.binary_cross_entropy_with_logits(x, t, reduction=reduction),
        A * 3,
        T01,
    )


def test_bce_with_logits_is_stable_for_huge_logits():
    x = flow.tensor([1e4, -1e4, 200.0, -200.0], requires_grad=True)
    t = flow.tensor([0.0, 1.0, 1.0, 0.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [1e4, 1e4, 0.0, 0.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -1.0, 0.0, 0.0])


def test_bce_gradient_is_finite_at_0_and_1():
    p = flow.tensor([0.0, 1.0, 0.5], dtype=flow.float64, requires_grad=True)
    loss = F.binary_cross_entropy(p, flow.tensor([1.0, 0.0, 1.0], dtype=flow.float64))
    np.testing.assert_allclose(loss.item(), (100 + 100 + np.log(2)) / 3)
    loss.backward()
    assert np.isfinite(p.grad.numpy()).all()
    with pytest.raises(flow.ArgumentValueError, match="between 0 and 1"):
        F.binary_cross_entropy(flow.tensor([1.5]), flow.tensor([1.0]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    logp = np.log(P / P.sum(1, keepdims=True))
    tgt = P[::-1] / P[::-1].sum(1, keepdims=True)
    if log_target:
        tgt = np.log(tgt + 0.1)
    with pytest.warns(UserWarning) if reduction == "mean" else _nothing():
        _check(
            lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
            lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target),
            logp,
            tgt,
        )


def test_kl_div_zero_target_contributes_nothing():
    logp = flow.tensor([[-0.5, -1.0]], requires_grad=True)
    loss = F.kl_div(logp, flow.tensor([[0.0, 1.0]]), reduction="sum")
    assert loss.item() == pytest.approx(1.0)
    loss.backward()
    np.testing.assert_allclose(logp.grad.numpy(), [[0.0, -1.0]])


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_similarity_and_embedding_losses_match_torch():
    _check(F.cosine_similarity, TF.cosine_similarity, A, B)
    _check(
        lambda a, b: F.cosine_similarity(a, b, dim=0),
        lambda a, b: TF.cosine_similarity(a, b, dim=0),
        A,
        B[:1],
    )
    _check(F.normalize, TF.normalize, A)
    _check(lambda a: F.normalize(a, p=1.0, dim=0), lambda a: TF.normalize(a, p=1.0, dim=0), A)
    y = np.array([1, -1, 1, -1])
    for r in ("mean", "sum", "none"):
        _check(
            lambda a, b: F.cosine_embedding_loss(a, b, flow.tensor(y), margin=0.2, reduction=r),
            lambda a, b: TF.cosine_embedding_loss(a, b, torch.tensor(y), margin=0.2, reduction=r),
            A,
            B,
        )
        _check(
            lambda a, b: F.margin_ranking_loss(
                a, b, flow.tensor(y, dtype=flow.float64), margin=0.3, reduction=r
            ),
            lambda a, b: TF.margin_ranking_loss(
                a, b, torch.tensor(y, dtype=torch.float64), margin=0.3, reduction=r
            ),
            A[:, 0].copy(),
            B[:, 0].copy(),
        )
        for p, swap in ((2.0, False), (1.0, True)):
            _check(
                lambda a, b, c: F.triplet_margin_loss(
                    a, b, c, margin=2.0, p=p, swap=swap, reduction=r
                ),
                lambda a, b, c: TF.triplet_margin_loss(
                    a, b, c, margin=2.0, p=p, swap=swap, reduction=r
                ),
                A,
                B,
                A[::-1].copy(),
            )


def test_cross_entropy_weight_smoothing_ignore_index_match_torch():
    x = RNG.standard_normal((6, 4))
    t = np.array([0, 3, -100, 2, 1, 3])
    w = RNG.uniform(0.5, 2, (4,))
    for r in ("mean", "sum", "none"):
        _check(
            lambda a: F.cross_entropy(
                a, flow.tensor(t), flow.tensor(w), reduction=r, label_smoothing=0.2
            ),
            lambda a: TF.cross_entropy(
                a, torch.tensor(t), torch.tensor(w), reduction=r, label_smoothing=0.2
            ),
            x,
            second=False,
        )


def test_loss_modules():
    x, t = flow.tensor([0.2, 0.7]), flow.tensor([0.0, 1.0])
    assert flow.nn.BCELoss()(x, t).item() == pytest.approx(
        TF.binary_cross_entropy(torch.tensor([0.2, 0.7]), torch.tensor([0.0, 1.0])).item(), rel=1e-6
    )
    m = flow.nn.BCEWithLogitsLoss(pos_weight=flow.tensor([3.0]))
    assert "pos_weight" in dict(m.named_buffers())
    assert flow.nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"
    with pytest.raises(ValueError):
        flow.nn.KLDivLoss(reduction="avg")
    assert repr(flow.nn.L1Loss()) == "L1Loss()"
    assert flow.nn.SmoothL1Loss(beta=0.5).beta == 0.5 and flow.nn.HuberLoss(delta=2.0).delta == 2.0


def test_loss_argument_errors():
    with pytest.raises(flow.ShapeError):
        F.l1_loss(flow.zeros(3, 1), flow.zeros(3))
    with pytest.raises(flow.DTypeError):
        F.huber_loss(flow.zeros(3), flow.zeros(3, dtype=flow.float64))
    with pytest.raises(ValueError):
        F.smooth_l1_loss(flow.zeros(3), flow.zeros(3), beta=-1.0)
    with pytest.raises(flow.ShapeError):
        F.binary_cross_entropy_with_logits(flow.zeros(3), flow.zeros(3), flow.ones(2))
    with pytest.raises(flow.ShapeError):
        F.cosine_embedding_loss(flow.zeros(3, 2), flow.zeros(3, 2), flow.ones(2))
    with pytest.raises(flow.ShapeError):
        F.triplet_margin_loss(flow.zeros(3, 2), flow.zeros(3, 2), flow.zeros(2))


def test_dropout_takes_oneflow_keywords():
    m = flow.nn.Dropout(p=0.5, inplace=False, generator=flow.Generator().manual_seed(7))
    a = m(flow.ones(100)).numpy()
    b = flow.nn.Dropout(p=0.5, generator=flow.Generator().manual_seed(7))(flow.ones(100)).numpy()
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 2.0}
    y = F.dropout(flow.ones(10), p=0.5, generator=flow.Generator().manual_seed(7))
    assert y.shape == (10,)
    with pytest.raises(TypeError):
        F.dropout(flow.ones(3), 0.5, generator=123)


def _train(graph: bool):
    flow.manual_seed(0)
    model = flow.nn.Sequential(
        flow.nn.Linear(3, 4), flow.nn.Mish(), flow.nn.PReLU(), flow.nn.Linear(4, 1)
    )
    opt = flow.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = flow.nn.BCEWithLogitsLoss(pos_weight=flow.tensor([2.0]))

    class Step(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.model = model
            self.add_optimizer(opt)

        def build(self, x, y):
            loss = loss_fn(self.model(x), y)
            loss.backward()
            return loss

    def eager(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    step = Step() if graph else eager
    x = flow.tensor(np.random.default_rng(0).standard_normal((8, 3)), dtype=flow.float32)
    y = flow.tensor((np.arange(8) % 2).reshape(8, 1), dtype=flow.float32)
    return [step(x, y).item() for _ in range(4)]


def test_new_layers_train_the_same_in_an_nn_graph():
    np.testing.assert_allclose(_train(True), _train(False), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"label_smoothing": 0.2},
        {"weight": [0.2, 1.0, 3.0]},
        {"reduction": "sum"},
        {"ignore_index": 1},
        {"reduction": "none"},
    ],
    ids=lambda k: ",".join(k) or "plain",
)
@pytest.mark.parametrize("targets", ["classes", "probabilities", "classes_nd"])
def test_cross_entropy_has_second_derivatives(kwargs, targets):
    """cross_entropy's gradient differentiates again (numpy recomputes the softmax from the
    logits under create_graph; the first-order path keeps its saved softmax)."""
    rng = np.random.default_rng(3)
    shape = (4, 3, 2) if targets == "classes_nd" else (5, 3)
    x = rng.standard_normal(shape) * 2
    if targets == "probabilities":
        if "ignore_index" in kwargs:
            pytest.skip("ignore_index is for class indices")
        t = rng.random(shape)
        t /= t.sum(1, keepdims=True)
        ft, tt = flow.tensor(t), torch.tensor(t)
    else:
        t = rng.integers(0, 3, (shape[0],) + shape[2:])
        ft, tt = flow.tensor(t), torch.tensor(t)
    fk = {k: flow.tensor(v, dtype=flow.float64) if k == "weight" else v for k, v in kwargs.items()}
    tk = {
        k: torch.tensor(v, dtype=torch.float64) if k == "weight" else v for k, v in kwargs.items()
    }
    _check(
        lambda a: F.cross_entropy(a, ft, **fk),
        lambda a: TF.cross_entropy(a, tt, **tk),
        x,
    )


def test_a_piecewise_constant_gradient_differentiates_to_zeros():
    """l1_loss's gradient is sign(x - y): its own gradient is zero, not missing (PyTorch's
    convention), so a second backward through it gives zeros instead of an error."""
    x = [1.0, -2.0, 3.0, 0.25]
    _check(
        lambda a: F.l1_loss(a, flow.zeros(4, dtype=flow.float64)),
        lambda t: TF.l1_loss(t, torch.zeros(4, dtype=torch.float64)),
        x,
    )
    fx = flow.tensor(x, dtype=flow.float64, requires_grad=True)
    (g,) = flow.autograd.grad(
        F.l1_loss(fx, flow.zeros(4, dtype=flow.float64)), fx, create_graph=True
    )
    (g * g).sum().backward()
    assert fx.grad.tolist() == [0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("normalized", [(5,), (3, 5)])
def test_layer_norm_has_second_derivatives(affine, normalized):
    """layer_norm's gradient differentiates again (numpy recomputes the normalised input from
    the input under create_graph): input, weight and bias against torch."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 5)) * 3 + 1
    if not affine:
        _check(lambda a: F.layer_norm(a, normalized), lambda t: TF.layer_norm(t, normalized), x)
        return
    w, b = rng.standard_normal(normalized), rng.standard_normal(normalized)
    _check(
        lambda a, wt, bt: F.layer_norm(a, normalized, wt, bt, eps=1e-3),
        lambda t, wt, bt: TF.layer_norm(t, normalized, wt, bt, eps=1e-3),
        x,
        w,
        b,
    )

"""The "building networks" layers: containers, activations, dropout, embedding, normalization,
convolution, pooling and the classification losses.

* every functional and every module against torch as an oracle (same weights through the state
  dict, float64, forward values and input/weight gradients), on every backend;
* reprs against torch's for the same constructor arguments;
* initialisation as PyTorch's ``reset_parameters``, drawn from flowkit's generator;
* train/eval behaviour (Dropout, BatchNorm), buffers in the state dict;
* numerical stability with logits of magnitude 1e4;
* errors that name the shapes and the fix;
* finite differences (numpy backend only: its gradients are flowkit's own).
"""

from __future__ import annotations

import math
import types
from collections import OrderedDict

import numpy as np
import pytest

import flowkit as flow
from flowkit import nn

F = nn.functional
BACKEND = flow.backend().name
numpy_only = pytest.mark.skipif(BACKEND != "numpy", reason="checks the numpy backend's kernels")


def _rng(seed=0):
    return np.random.default_rng(seed)


def _np(t) -> np.ndarray:
    return np.asarray(t.numpy())


# ------------------------------------------------------------------------------ functional cases
# A case is fn(lib, *leaves) written once against `lib` (flowkit or torch), and its float64 leaves.
FL = types.SimpleNamespace(F=F, tensor=lambda a: flow.tensor(a), flatten=flow.flatten)


def _torch_lib():
    import torch

    return types.SimpleNamespace(
        F=torch.nn.functional, flatten=torch.flatten, tensor=lambda a: torch.from_numpy(np.array(a))
    )


def _cases():
    r = _rng(1)
    x45 = r.standard_normal((4, 5))
    x3 = r.standard_normal((2, 3, 4))
    img = r.standard_normal((2, 4, 7, 6))
    w10 = r.standard_normal((10, 3))
    idx = r.integers(0, 10, (3, 4))
    logits = r.standard_normal((6, 4)) * 3
    tgt = np.array([0, 3, 1, -100, 2, 1])
    cw = r.uniform(0.5, 2.0, 4)
    probs = r.dirichlet(np.ones(4), 6)
    seg = r.standard_normal((2, 4, 3, 2))
    seg_t = r.integers(0, 4, (2, 3, 2))
    rm, rv = r.standard_normal(3), r.uniform(0.5, 2.0, 3)
    c = {
        "relu": (lambda L, x: L.F.relu(x), [x45]),
        "leaky_relu": (lambda L, x: L.F.leaky_relu(x, 0.2), [x45]),
        "gelu": (lambda L, x: L.F.gelu(x * 3), [x45]),
        "gelu_tanh": (lambda L, x: L.F.gelu(x * 3, approximate="tanh"), [x45]),
        "sigmoid": (lambda L, x: L.F.sigmoid(x), [x45]),
        "tanh": (lambda L, x: L.F.tanh(x), [x45]),
        "softmax_dim1": (lambda L, x: L.F.softmax(x, dim=1), [x3]),
        "softmax_dim0": (lambda L, x: L.F.softmax(x, dim=0), [x3]),
        "log_softmax_last": (lambda L, x: L.F.log_softmax(x * 5, dim=-1), [x3]),
        "log_softmax_dim1": (lambda L, x: L.F.log_softmax(x, 1), [x3]),
        "flatten": (lambda L, x: L.flatten(x, 1), [x3]),
        "linear": (
            lambda L, x, w, b: L.F.linear(x, w, b),
            [x45, r.standard_normal((3, 5)), r.standard_normal(3)],
        ),
        "mse_loss": (lambda L, x, y: L.F.mse_loss(x, y), [x45, r.standard_normal((4, 5))]),
        "embedding": (lambda L, w: L.F.embedding(L.tensor(idx), w), [w10]),
        "embedding_padding": (
            lambda L, w: L.F.embedding(L.tensor(idx), w, padding_idx=idx[0, 0]),
            [w10],
        ),
        "layer_norm": (
            lambda L, x, w, b: L.F.layer_norm(x, (4,), w, b),
            [x3, r.standard_normal(4), r.standard_normal(4)],
        ),
        "layer_norm_2d_plain": (lambda L, x: L.F.layer_norm(x, (3, 4), eps=1e-3), [x3]),
        "batch_norm_train_2d": (
            lambda L, x, w, b: L.F.batch_norm(x, None, None, w, b, True),
            [r.standard_normal((5, 3)), r.standard_normal(3), r.standard_normal(3)],
        ),
        "batch_norm_train_3d": (lambda L, x: L.F.batch_norm(x, None, None, training=True), [x3]),
        "batch_norm_eval": (
            lambda L, x, w, b: L.F.batch_norm(x, L.tensor(rm), L.tensor(rv), w, b),
            [x3, r.standard_normal(3), r.standard_normal(3)],
        ),
        "conv2d": (
            lambda L, x, w, b: L.F.conv2d(x, w, b, padding=1),
            [img, r.standard_normal((5, 4, 3, 3)), r.standard_normal(5)],
        ),
        "conv2d_strided_groups": (
            lambda L, x, w: L.F.conv2d(
                x, w, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2
            ),
            [img, r.standard_normal((6, 2, 3, 2))],
        ),
        "conv2d_same_even_kernel": (
            lambda L, x, w: L.F.conv2d(x, w, padding="same"),
            [img, r.standard_normal((3, 4, 2, 4))],
        ),
        "conv2d_valid_unbatched": (
            lambda L, x, w, b: L.F.conv2d(x, w, b, padding="valid"),
            [img[0], r.standard_normal((2, 4, 3, 3)), r.standard_normal(2)],
        ),
        "max_pool2d": (lambda L, x: L.F.max_pool2d(x, 2), [img]),
        "max_pool2d_overlap": (lambda L, x: L.F.max_pool2d(x, (3, 2), stride=1, padding=1), [img]),
        "max_pool2d_ceil_dilated": (
            lambda L, x: L.F.max_pool2d(x, 2, stride=2, padding=1, dilation=(2, 1), ceil_mode=True),
            [img],
        ),
        "max_pool2d_unbatched": (lambda L, x: L.F.max_pool2d(x, 3, 2), [img[1]]),
        "cross_entropy": (lambda L, x: L.F.cross_entropy(x, L.tensor(tgt)), [logits]),
        "cross_entropy_sum_weight": (
            lambda L, x: L.F.cross_entropy(x, L.tensor(tgt), L.tensor(cw), reduction="sum"),
            [logits],
        ),
        "cross_entropy_none_smoothing": (
            lambda L, x: L.F.cross_entropy(x, L.tensor(tgt), reduction="none", label_smoothing=0.2),
            [logits],
        ),
        "cross_entropy_weight_smoothing": (
            lambda L, x: L.F.cross_entropy(x, L.tensor(tgt), L.tensor(cw), label_smoothing=0.1),
            [logits],
        ),
        "cross_entropy_ignore_index": (
            lambda L, x: L.F.cross_entropy(
                x, L.tensor(np.where(tgt == -100, 7, tgt)), ignore_index=7
            ),
            [logits],
        ),
        "cross_entropy_probs": (
            lambda L, x, p: L.F.cross_entropy(x, p, L.tensor(cw), label_smoothing=0.1),
            [logits, probs],
        ),
        "cross_entropy_spatial": (
            lambda L, x: L.F.cross_entropy(x, L.tensor(seg_t), label_smoothing=0.1),
            [seg],
        ),
        "cross_entropy_unbatched": (
            lambda L, x: L.F.cross_entropy(x, L.tensor(np.array(2))),
            [logits[0]],
        ),
        "nll_loss": (lambda L, x: L.F.nll_loss(L.F.log_softmax(x, 1), L.tensor(tgt)), [logits]),
        "nll_loss_weight_none": (
            lambda L, x: L.F.nll_loss(x, L.tensor(tgt), L.tensor(cw), reduction="none"),
            [logits],
        ),
        "nll_loss_spatial_sum": (
            lambda L, x: L.F.nll_loss(x, L.tensor(seg_t), reduction="sum"),
            [seg],
        ),
    }
    return c


CASES = _cases()


def _run(lib, fn, arrays, leaf):
    leaves = [leaf(a) for a in arrays]
    out = fn(lib, *leaves)
    cot = _rng(2).standard_normal(tuple(out.shape))
    return leaves, out, cot


@pytest.mark.torch_oracle
@pytest.mark.parametrize("name", sorted(CASES))
def test_functional_against_torch(name):
    import torch

    fn, arrays = CASES[name]
    fl, fo, cot = _run(FL, fn, arrays, lambda a: flow.tensor(a, requires_grad=True))
    tl, to, _ = _run(_torch_lib(), fn, arrays, lambda a: torch.tensor(a, requires_grad=True))
    assert tuple(fo.shape) == tuple(to.shape)
    assert fo.dtype == flow.float64
    np.testing.assert_allclose(_np(fo), to.detach().numpy(), rtol=1e-10, atol=1e-12)
    fo.backward(flow.tensor(cot))
    to.backward(torch.from_numpy(cot))
    for i, (f, t) in enumerate(zip(fl, tl)):
        assert f.grad is not None, f"input {i} got no gradient"
        np.testing.assert_allclose(
            _np(f.grad), t.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=f"gradient of input {i}"
        )


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_in_float32_out(name):
    fn, arrays = CASES[name]
    lib = types.SimpleNamespace(
        F=F,
        flatten=flow.flatten,
        tensor=lambda a: flow.tensor(
            np.asarray(a, np.float32) if np.asarray(a).dtype.kind == "f" else a
        ),
    )
    leaves = [flow.tensor(np.asarray(a, np.float32), requires_grad=True) for a in arrays]
    out = fn(lib, *leaves)
    assert out.dtype == flow.float32
    out.sum().backward()
    for leaf in leaves:
        assert leaf.grad.dtype == flow.float32 and np.isfinite(_np(leaf.grad)).all()


def _finite_differences(fn, arrays, eps=1e-6):
    grads = []
    leaves = [flow.tensor(a, requires_grad=True) for a in arrays]
    out = fn(FL, *leaves)
    cot = _rng(3).standard_normal(tuple(out.shape))
    out.backward(flow.tensor(cot))
    for i, a in enumerate(arrays):
        num = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            vals = []
            for step in (eps, -eps):
                arrs = [x.copy() for x in arrays]
                arrs[i][idx] += step
                with flow.no_grad():
                    vals.append(float((_np(fn(FL, *[flow.tensor(x) for x in arrs])) * cot).sum()))
            num[idx] = (vals[0] - vals[1]) / (2 * eps)
        grads.append((_np(leaves[i].grad), num))
    return grads


@numpy_only
@pytest.mark.parametrize("name", sorted(CASES))
def test_functional_finite_differences(name):
    fn, arrays = CASES[name]
    if name == "embedding_padding":
        pytest.skip("the padding row's gradient is zero on purpose (PyTorch's rule)")
    for i, (got, num) in enumerate(_finite_differences(fn, [np.array(a) for a in arrays])):
        np.testing.assert_allclose(got, num, rtol=1e-5, atol=1e-7, err_msg=f"input {i}")


@numpy_only
def test_every_nn_op_is_a_fused_graph_node_with_a_vjp():
    from flowkit_numpy import nn_ops  # noqa: F401 - registers the ops
    from flowkit_numpy.define import FORWARD_OPS, VJP

    ops = {
        "leaky_relu",
        "gelu",
        "softmax",
        "log_softmax",
        "dropout",
        "embedding",
        "layer_norm",
        "batch_norm",
        "conv2d",
        "max_pool2d",
        "cross_entropy",
        "nll_loss",
    }
    assert ops <= {name for name, diff in FORWARD_OPS.items() if diff}
    assert ops <= set(VJP)
    x = flow.tensor(_rng().standard_normal((2, 3, 5, 5)), requires_grad=True)
    w = flow.tensor(_rng().standard_normal((4, 3, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w)
    assert y.grad_fn.name == "conv2d"  # one node for the whole convolution
    assert [i is not None for i in y.grad_fn.inputs] == [True, True, False]


# --------------------------------------------------------------------------------- module oracle
MODULE_CASES = [
    ("nn.Linear(5, 3)", (4, 5)),
    ("nn.ReLU()", (4, 5)),
    ("nn.LeakyReLU(0.1)", (4, 5)),
    ("nn.GELU()", (4, 5)),
    ("nn.GELU(approximate='tanh')", (4, 5)),
    ("nn.Sigmoid()", (4, 5)),
    ("nn.Tanh()", (4, 5)),
    ("nn.Softmax(dim=1)", (4, 5)),
    ("nn.LogSoftmax(dim=-1)", (2, 3, 5)),
    ("nn.Flatten()", (2, 3, 4, 5)),
    ("nn.Flatten(0, 1)", (2, 3, 4)),
    ("nn.Identity()", (4, 5)),
    ("nn.Dropout(0.0)", (4, 5)),
    ("nn.LayerNorm(5)", (2, 3, 5)),
    ("nn.LayerNorm([3, 5], elementwise_affine=False)", (2, 3, 5)),
    ("nn.LayerNorm(5, bias=False)", (4, 5)),
    ("nn.BatchNorm1d(5)", (4, 5)),
    ("nn.BatchNorm1d(3, momentum=None)", (4, 3, 6)),
    ("nn.BatchNorm1d(5, affine=False, track_running_stats=False)", (4, 5)),
    ("nn.BatchNorm2d(3, eps=1e-3, momentum=0.3)", (2, 3, 4, 4)),
    ("nn.Conv2d(3, 4, 3, padding=1)", (2, 3, 6, 5)),
    ("nn.Conv2d(4, 6, (3, 2), stride=2, dilation=(1, 2), groups=2, bias=False)", (2, 4, 7, 7)),
    ("nn.Conv2d(3, 2, 4, padding='same')", (1, 3, 5, 6)),
    ("nn.MaxPool2d(2)", (2, 3, 6, 5)),
    ("nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", (2, 3, 6, 5)),
    (
        "nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), "
        "nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 3), nn.LogSoftmax(dim=1))",
        (2, 1, 4, 4),
    ),
]


def _pair_modules(expr: str):
    """The same module from flowkit and torch, torch's weights copied from flowkit's, float64."""
    import torch

    fm = eval(expr, {"nn": flow.nn, "OrderedDict": OrderedDict})
    tm = eval(expr, {"nn": torch.nn, "OrderedDict": OrderedDict})
    sd = fm.state_dict()
    assert list(sd) == list(tm.state_dict()), "state_dict keys differ from torch's"
    tm.load_state_dict({k: torch.from_numpy(_np(v).copy()) for k, v in sd.items()})
    return fm.double(), tm.double()


def _compare_step(fm, tm, x: np.ndarray, seed: int):
    import torch

    fx = flow.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    fo, to = fm(fx), tm(tx)
    np.testing.assert_allclose(_np(fo), to.detach().numpy(), rtol=1e-10, atol=1e-12)
    cot = _rng(seed).standard_normal(tuple(fo.shape))
    fo.backward(flow.tensor(cot))
    to.backward(torch.from_numpy(cot))
    np.testing.assert_allclose(_np(fx.grad), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    tparams = dict(tm.named_parameters())
    for name, p in fm.named_parameters():
        np.testing.assert_allclose(
            _np(p.grad), tparams[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name
        )
    tbufs = dict(tm.named_buffers())
    for name, b in fm.named_buffers():
        np.testing.assert_allclose(
            _np(b), tbufs[name].numpy(), rtol=1e-12, atol=1e-14, err_msg=name
        )
        assert b.dtype.name == str(tbufs[name].dtype).removeprefix("torch.")


@pytest.mark.torch_oracle
@pytest.mark.parametrize("expr,shape", MODULE_CASES, ids=[e for e, _ in MODULE_CASES])
def test_module_against_torch(expr, shape):
    fm, tm = _pair_modules(expr)
    for step in range(2):  # twice: BatchNorm's running statistics move
        _compare_step(fm, tm, _rng(10 + step).standard_normal(shape), step)
        fm.zero_grad()
        tm.zero_grad()
    fm.eval()
    tm.eval()
    _compare_step(fm, tm, _rng(20).standard_normal(shape), 3)


@pytest.mark.torch_oracle
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_module_against_torch(padding_idx):
    import torch

    fm, tm = _pair_modules(f"nn.Embedding(6, 3, padding_idx={padding_idx})")
    idx = np.array([[0, 2, 5], [2, 2, 1]])
    fo, to = fm(flow.tensor(idx)), tm(torch.from_numpy(idx))
    np.testing.assert_array_equal(_np(fo), to.detach().numpy())
    cot = _rng().standard_normal(tuple(fo.shape))
    fo.backward(flow.tensor(cot))
    to.backward(torch.from_numpy(cot))
    np.testing.assert_allclose(_np(fm.weight.grad), tm.weight.grad.numpy(), rtol=1e-12)


LOSS_CASES = [
    "nn.CrossEntropyLoss()",
    "nn.CrossEntropyLoss(reduction='sum', label_smoothing=0.15)",
    "nn.CrossEntropyLoss(weight=W, ignore_index=1)",
    "nn.CrossEntropyLoss(weight=W, reduction='none', label_smoothing=0.1)",
    "nn.NLLLoss()",
    "nn.NLLLoss(weight=W, reduction='sum')",
    "nn.MSELoss()",
]


@pytest.mark.torch_oracle
@pytest.mark.parametrize("expr", LOSS_CASES)
def test_loss_module_against_torch(expr):
    import torch

    w = _rng().uniform(0.5, 2.0, 4)
    fm = eval(expr, {"nn": flow.nn, "W": flow.tensor(w)})
    tm = eval(expr, {"nn": torch.nn, "W": torch.from_numpy(w)})
    assert list(fm.state_dict()) == list(tm.state_dict())
    x = _rng(1).standard_normal((5, 4))
    t = np.array([1, 0, 3, 1, 2])
    ft = flow.tensor(x.copy() if "MSE" in expr else t)
    tt = torch.from_numpy(x.copy() if "MSE" in expr else t)
    fx, tx = flow.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    fo, to = fm(fx, ft * 0.5 if "MSE" in expr else ft), tm(tx, tt * 0.5 if "MSE" in expr else tt)
    np.testing.assert_allclose(_np(fo), to.detach().numpy(), rtol=1e-12)
    fo.sum().backward()
    to.sum().backward()
    np.testing.assert_allclose(_np(fx.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------------------------------- reprs
REPR_CASES = [
    "nn.Conv2d(1, 8, 3, padding=1)",
    "nn.Conv2d(1, 8, kernel_size=(3, 5), stride=2)",
    "nn.Conv2d(4, 8, 3, padding='same', dilation=2, groups=4, bias=False)",
    "nn.Conv2d(3, 6, 3, padding='valid')",
    "nn.BatchNorm1d(16)",
    "nn.BatchNorm1d(16, eps=1e-3, momentum=None, affine=False, track_running_stats=False)",
    "nn.BatchNorm2d(8, bias=False)",
    "nn.LayerNorm(16)",
    "nn.LayerNorm([3, 4], eps=1e-6, elementwise_affine=False)",
    "nn.LayerNorm((5,), bias=False)",
    "nn.Embedding(10, 3)",
    "nn.Embedding(10, 3, padding_idx=-1)",
    "nn.MaxPool2d(2)",
    "nn.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True)",
    "nn.Dropout()",
    "nn.Dropout(p=0.25, inplace=True)",
    "nn.ReLU()",
    "nn.ReLU(inplace=True)",
    "nn.LeakyReLU()",
    "nn.LeakyReLU(0.2, inplace=True)",
    "nn.GELU()",
    "nn.GELU(approximate='tanh')",
    "nn.Sigmoid()",
    "nn.Tanh()",
    "nn.Softmax()",
    "nn.Softmax(dim=-1)",
    "nn.LogSoftmax(1)",
    "nn.Flatten()",
    "nn.Flatten(0, 2)",
    "nn.Identity()",
    "nn.Linear(3, 4, bias=False)",
    "nn.CrossEntropyLoss()",
    "nn.CrossEntropyLoss(ignore_index=0, reduction='sum', label_smoothing=0.1)",
    "nn.NLLLoss()",
    "nn.MSELoss(reduction='sum')",
    "nn.Sequential()",
    "nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), "
    "nn.MaxPool2d(2)), nn.Flatten())",
    "nn.Sequential(OrderedDict([('conv', nn.Conv2d(1, 4, 3)), ('bn', nn.BatchNorm2d(4)), "
    "('act', nn.GELU())]))",
    "nn.ModuleList()",
    "nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh(), nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()])",
    "nn.ModuleList([nn.Sequential(nn.Linear(4, 4), nn.ReLU()) for _ in range(3)])",
    "nn.ModuleDict({'enc': nn.Linear(4, 2), 'acts': nn.ModuleList([nn.ReLU(), nn.ReLU()])})",
]


@pytest.mark.torch_oracle
@pytest.mark.parametrize("expr", REPR_CASES)
def test_repr_equals_torch(expr):
    import torch

    ns = {"OrderedDict": OrderedDict}
    assert repr(eval(expr, {**ns, "nn": flow.nn})) == repr(eval(expr, {**ns, "nn": torch.nn}))


def test_reprs():
    # the strings themselves, for machines without torch (torch 2.13's spelling)
    assert (
        repr(nn.Conv2d(1, 8, 3, padding=1))
        == "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    )
    assert repr(nn.BatchNorm1d(16)) == (
        "BatchNorm1d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert repr(nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU()))) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): ReLU()\n"
        "  )\n"
        ")"
    )
    assert (
        repr(nn.ModuleList([nn.Tanh(), nn.Tanh(), nn.ReLU()]))
        == "ModuleList(\n  (0-1): 2 x Tanh()\n  (2): ReLU()\n)"
    )
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1)) == "CrossEntropyLoss()"


# --------------------------------------------------------------------------------- initialisation
def _draws(seed=0):
    return np.random.Generator(np.random.PCG64(seed))


def test_conv2d_init_is_pytorchs_kaiming_uniform_from_flowkits_generator():
    flow.manual_seed(7)
    conv = nn.Conv2d(3, 8, (3, 2), groups=1)
    g = _draws(7)
    fan_in = 3 * 3 * 2
    bound = math.sqrt(2.0 / (1 + 5)) * math.sqrt(3.0 / fan_in)  # kaiming_uniform_(a=sqrt(5))
    np.testing.assert_allclose(_np(conv.weight), g.uniform(-bound, bound, (8, 3, 3, 2)), rtol=1e-6)
    b = 1 / math.sqrt(fan_in)
    np.testing.assert_allclose(_np(conv.bias), g.uniform(-b, b, 8), rtol=1e-6)
    assert np.abs(_np(conv.weight)).max() <= 1 / math.sqrt(fan_in) + 1e-7
    grouped = nn.Conv2d(4, 6, 3, groups=2)  # fan_in counts in_channels / groups
    assert np.abs(_np(grouped.bias)).max() <= 1 / math.sqrt(2 * 9)


def test_embedding_and_norm_init():
    flow.manual_seed(3)
    emb = nn.Embedding(20, 4, padding_idx=5)
    expected = _draws(3).normal(0.0, 1.0, (20, 4)).astype(np.float32)
    expected[5] = 0
    np.testing.assert_array_equal(_np(emb.weight), expected)
    ln = nn.LayerNorm((2, 3))
    assert _np(ln.weight).tolist() == [[1.0] * 3] * 2 and not _np(ln.bias).any()
    bn = nn.BatchNorm1d(3)
    assert _np(bn.weight).tolist() == [1.0] * 3 and _np(bn.bias).tolist() == [0.0] * 3
    assert _np(bn.running_mean).tolist() == [0.0] * 3
    assert _np(bn.running_var).tolist() == [1.0] * 3
    assert bn.num_batches_tracked.dtype == flow.int64 and bn.num_batches_tracked.item() == 0
    assert nn.Embedding.from_pretrained(flow.ones(3, 2)).weight.requires_grad is False


def test_same_seed_same_network():
    def build():
        flow.manual_seed(11)
        return nn.Sequential(
            nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 2), nn.Embedding(3, 2)
        )

    a, b = build().state_dict(), build().state_dict()
    assert all(np.array_equal(_np(a[k]), _np(b[k])) for k in a)


# ------------------------------------------------------------------------------- train and eval
def test_dropout_train_and_eval():
    drop = nn.Dropout(p=0.3)
    x = flow.ones(200, 50)
    flow.manual_seed(5)
    y = _np(drop(x))
    keep = _draws(5).random((200, 50)) >= 0.3  # the mask comes from flowkit's generator
    np.testing.assert_allclose(y, np.where(keep, 1 / 0.7, 0.0), rtol=1e-6)
    assert 0.27 < (y == 0).mean() < 0.33
    drop.eval()
    assert drop(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert not _np(F.dropout(x, 1.0)).any()
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_gradient_is_the_mask():
    x = flow.tensor(np.ones((4, 6)), requires_grad=True)
    flow.manual_seed(0)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), _np(y))
    assert y._grad_fn_name() == "DropoutBackward"


def test_dropout_inside_a_model_follows_train_and_eval():
    flow.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    x = flow.ones(8, 4)
    flow.manual_seed(1)
    a = _np(net(x))
    flow.manual_seed(1)
    b = _np(net(x))
    np.testing.assert_array_equal(a, b)  # same seed, same mask
    assert (a == 0).any()
    net.eval()
    assert not net[1].training
    np.testing.assert_array_equal(_np(net(x)), _np(net[0](x)))


def test_batchnorm_running_statistics_and_modes():
    bn = nn.BatchNorm1d(2, momentum=0.5).double()
    x = np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]])
    y = _np(bn(flow.tensor(x)))
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_np(bn.running_mean), 0.5 * mean, rtol=1e-12)
    np.testing.assert_allclose(_np(bn.running_var), 0.5 + 0.5 * x.var(0, ddof=1), rtol=1e-12)
    assert bn.num_batches_tracked.item() == 1 and bn.num_batches_tracked.dtype == flow.int64
    bn.eval()
    rm, rv = _np(bn.running_mean).copy(), _np(bn.running_var).copy()
    y = _np(bn(flow.tensor(x[:1])))  # a batch of one is fine in eval
    np.testing.assert_allclose(y, (x[:1] - rm) / np.sqrt(rv + 1e-5), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(_np(bn.running_mean), rm)  # eval never updates
    assert bn.num_batches_tracked.item() == 1


def test_batchnorm_cumulative_average_and_untracked():
    bn = nn.BatchNorm1d(1, momentum=None).double()
    for v in ([1.0, 3.0], [5.0, 7.0], [0.0, 0.0]):
        bn(flow.tensor(np.array(v)[:, None]))
    np.testing.assert_allclose(_np(bn.running_mean), [(2 + 6 + 0) / 3], rtol=1e-12)
    plain = nn.BatchNorm1d(3, track_running_stats=False)
    assert plain.running_mean is None and list(plain.state_dict()) == ["weight", "bias"]
    x = flow.randn(4, 3)
    plain.eval()  # no running statistics: eval normalises with the batch's
    np.testing.assert_allclose(_np(plain(x)).mean(0), 0, atol=1e-6)


def test_batchnorm_buffers_in_state_dict_and_loading():
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    net(flow.randn(8, 3))
    sd = net.state_dict()
    assert list(sd) == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
    ]
    assert [n for n, _ in net.named_buffers()] == [
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
    ]
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    fresh.load_state_dict(sd)
    for k in sd:
        np.testing.assert_array_equal(_np(fresh.state_dict()[k]), _np(sd[k]))
    assert fresh[1].num_batches_tracked.item() == 1
    fresh.double()
    assert fresh[1].running_var.dtype == flow.float64
    assert fresh[1].num_batches_tracked.dtype == flow.int64  # counters keep their dtype


def test_cross_entropy_weight_is_a_buffer():
    loss = nn.CrossEntropyLoss(weight=flow.tensor([1.0, 2.0]))
    assert list(loss.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []


# ------------------------------------------------------------------------------------ stability
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_and_cross_entropy_with_huge_logits(dtype):
    raw = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4 - 1.0], [-1e4, -1e4, -1e4]])
    dt = getattr(flow, dtype)
    x = flow.tensor(raw, dtype=dt, requires_grad=True)
    shifted = raw - raw.max(1, keepdims=True)
    ref_logp = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    tol = 1e-6 if dtype == "float32" else 1e-12
    logp = F.log_softmax(x, dim=1)
    sm = F.softmax(x, dim=1)
    assert np.isfinite(_np(logp)).all() and np.isfinite(_np(sm)).all()
    np.testing.assert_allclose(_np(logp), ref_logp, rtol=tol, atol=tol)
    np.testing.assert_allclose(_np(sm), np.exp(ref_logp), rtol=tol, atol=tol)
    target = flow.tensor([2, 2, 0])
    loss = F.cross_entropy(x, target)
    ref = -ref_logp[[0, 1, 2], [2, 2, 0]].mean()
    np.testing.assert_allclose(loss.item(), ref, rtol=tol)
    loss.backward()
    onehot = np.eye(3)[[2, 2, 0]]
    np.testing.assert_allclose(_np(x.grad), (np.exp(ref_logp) - onehot) / 3, rtol=tol, atol=tol)
    (F.softmax(x, 1) * flow.tensor(np.arange(9.0).reshape(3, 3), dtype=dt)).sum().backward()
    assert np.isfinite(_np(x.grad)).all()


def test_cross_entropy_every_target_ignored():
    x = flow.tensor(np.zeros((2, 3)), requires_grad=True)
    loss = F.cross_entropy(x, flow.tensor([-100, -100]))
    assert math.isnan(loss.item())  # 0 / 0, as in PyTorch
    loss.backward()
    np.testing.assert_array_equal(_np(x.grad), np.zeros((2, 3)))
    assert F.cross_entropy(x, flow.tensor([-100, -100]), reduction="sum").item() == 0.0


@numpy_only
def test_erf_accuracy():
    from flowkit_numpy.nn_ops import erf

    x = np.concatenate(
        [
            np.linspace(-30, 30, 120001),
            _rng().standard_normal(20000) * 1e-3,
            [0.0, -0.0, 0.46875, -0.46875, 4.0, -4.0, 1e-300, 5e-324, 26.5, 27.0],
        ]
    )
    ref = np.array([math.erf(v) for v in x])
    assert np.abs(erf(x) - ref).max() < 1e-12
    nz = ref != 0
    assert (np.abs(erf(x) - ref)[nz] / np.abs(ref[nz])).max() < 1e-12
    np.testing.assert_array_equal(erf(np.array([np.inf, -np.inf])), [1.0, -1.0])
    assert np.isnan(erf(np.array([np.nan]))).all()


def test_gelu_float32():
    x = flow.tensor(np.linspace(-6, 6, 101), dtype=flow.float32)
    xs = np.linspace(-6, 6, 101).astype(np.float32).astype(np.float64)
    ref = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in xs])
    y = F.gelu(x)
    assert y.dtype == flow.float32
    # torch's float32 kernel computes 1 + erf(x) in float32, so for x << 0 only the absolute
    # error is small; numpy's erf runs in float64 and is correctly rounded
    np.testing.assert_allclose(_np(y), ref, rtol=1e-6, atol=1e-7 if BACKEND == "numpy" else 2e-6)


# -------------------------------------------------------------------------------------- errors
def test_conv2d_errors_name_the_shapes():
    conv = nn.Conv2d(1, 8, 3)
    with pytest.raises(flow.ShapeError, match=r"4-d input \(N, C, H, W\).*\(8, 8\)"):
        conv(flow.zeros(8, 8))
    # a batch of grayscale images without the channel dimension: read as one (C, H, W) image
    with pytest.raises(
        flow.ShapeError,
        match=r"\(64, 8, 8\) has 64 channels.*in_channels=1.*"
        r"unsqueeze\(1\)",
    ):
        conv(flow.zeros(64, 8, 8))
    with pytest.raises(
        flow.ShapeError,
        match=r"\(2, 3, 8, 8\) has 3 channels.*\(8, 1, 3, 3\)"
        r".*in_channels=1",
    ):
        conv(flow.zeros(2, 3, 8, 8))
    with pytest.raises(flow.ShapeError, match="too small"):
        conv(flow.zeros(1, 1, 2, 5))
    with pytest.raises(flow.DTypeError, match="float64.*float32"):
        conv(flow.zeros(1, 1, 5, 5, dtype=flow.float64))
    with pytest.raises(flow.DTypeError, match="floating-point"):
        F.conv2d(flow.zeros(1, 1, 5, 5, dtype=flow.int64), flow.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    assert conv(flow.zeros(1, 8, 8)).shape == (8, 6, 6)  # a real unbatched image works


def test_cross_entropy_errors():
    loss = nn.CrossEntropyLoss()
    x = flow.zeros(4, 3)
    with pytest.raises(flow.DTypeError, match=r"class indices.*int64.*float32.*\.long\(\)"):
        loss(x, flow.tensor([0.0, 1.0, 2.0, 0.0]))
    with pytest.raises(
        flow.ShapeError,
        match=r"\(4, 3\).*3 classes.*\(4,\).*\(4, 1\).*"
        r"squeeze",
    ):
        loss(x, flow.tensor([[0], [1], [2], [0]]))
    with pytest.raises(flow.ShapeError, match=r"got shape \(5,\)"):
        loss(x, flow.tensor([0, 1, 2, 0, 1]))
    with pytest.raises(IndexError, match=r"class index 5 is out of range.*3 classes.*\[0, 2\]"):
        loss(x, flow.tensor([0, 5, 1, 1]))
    with pytest.raises(IndexError, match="class index -1"):
        loss(x, flow.tensor([0, -1, 1, 1]))
    with pytest.raises(IndexError, match="class index 3"):
        F.nll_loss(x, flow.tensor([0, 3, 1, 1]))
    with pytest.raises(flow.DTypeError, match="floating-point"):
        loss(flow.zeros(4, 3, dtype=flow.int64), flow.tensor([0, 1, 2, 0]))
    with pytest.raises(flow.ShapeError, match=r"weight.*\(3,\)"):
        F.cross_entropy(x, flow.tensor([0, 1, 2, 0]), flow.ones(4))
    with pytest.raises(flow.ShapeError, match="probabilities must be floating point"):
        loss(x, flow.zeros(4, 3, dtype=flow.int64))
    with pytest.raises(flow.ShapeError, match="class indices"):
        F.nll_loss(x, flow.zeros(4, 3))  # nll_loss takes no probabilities
    with pytest.raises(ValueError, match="reduction"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, flow.tensor([0, 1, 2, 0]), label_smoothing=1.5)
    # ignore_index may be any value, even outside [0, C)
    assert F.cross_entropy(x, flow.tensor([0, 9, 1, 1]), ignore_index=9).item() == pytest.approx(
        math.log(3)
    )


def test_other_layer_errors():
    with pytest.raises(IndexError, match=r"index 10 is out of range.*10 rows"):
        nn.Embedding(10, 3)(flow.tensor([1, 10]))
    with pytest.raises(IndexError, match="index -1"):
        nn.Embedding(10, 3)(flow.tensor([-1]))
    with pytest.raises(flow.DTypeError, match=r"integer.*\.long\(\)"):
        nn.Embedding(10, 3)(flow.tensor([1.0]))
    with pytest.raises(flow.ShapeError, match=r"normalized_shape=\(8,\).*\(4, 5\).*\(\*, 8\)"):
        nn.LayerNorm(8)(flow.zeros(4, 5))
    with pytest.raises(
        flow.ShapeError,
        match=r"BatchNorm1d: expected 2D or 3D.*4D.*"
        r"\(2, 3, 4, 4\)",
    ):
        nn.BatchNorm1d(3)(flow.zeros(2, 3, 4, 4))
    with pytest.raises(flow.ShapeError, match=r"running_mean has shape \(3,\).*5 channels"):
        nn.BatchNorm1d(3)(flow.zeros(4, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(flow.zeros(1, 3))
    with pytest.raises(ValueError, match="at most half"):
        nn.MaxPool2d(2, padding=2)(flow.zeros(1, 1, 4, 4))
    with pytest.raises(flow.ShapeError, match="too small"):
        nn.MaxPool2d(3)(flow.zeros(1, 1, 2, 2))
    with pytest.raises(IndexError, match=r"dim=2 is out of range for a 2-d tensor"):
        F.softmax(flow.zeros(2, 3), dim=2)
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU(approximate="fast")
    with pytest.warns(UserWarning, match="Implicit dimension"):
        assert nn.Softmax()(flow.zeros(2, 3)).shape == (2, 3)


# ---------------------------------------------------------------------------------- containers
def test_sequential():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert seq[0] is a and seq[-1] is c and seq[1] is b
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = flow.randn(4, 2)
    np.testing.assert_allclose(_np(seq(x)), _np(c(b(a(x)))), rtol=1e-6)
    d = nn.Tanh()
    seq.append(d)
    assert len(seq) == 4 and seq[3] is d
    seq.insert(0, nn.Identity())
    assert [type(m).__name__ for m in seq] == ["Identity", "Linear", "ReLU", "Linear", "Tanh"]
    seq.insert(-1, nn.Sigmoid())  # before the last, as list.insert
    assert type(seq[-2]).__name__ == "Sigmoid"
    del seq[0]
    assert list(seq._modules) == ["0", "1", "2", "3", "4"] and seq[0] is a  # renumbered
    assert seq.pop(-1) is d and len(seq) == 4
    seq[1] = nn.GELU()
    assert type(seq[1]).__name__ == "GELU" and seq._modules["1"] is seq[1]
    seq.extend([nn.ReLU()])
    del seq[1:3]
    assert [type(m).__name__ for m in seq] == ["Linear", "Sigmoid", "ReLU"]
    assert len(seq + nn.Sequential(nn.ReLU())) == 4
    with pytest.raises(IndexError):
        seq[3]
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_sequential_ordered_dict_names():
    seq = nn.Sequential(OrderedDict([("conv", nn.Conv2d(1, 2, 3)), ("act", nn.ReLU())]))
    assert seq.conv is seq[0] and seq.act is seq[1]
    assert list(seq.state_dict()) == ["conv.weight", "conv.bias"]
    assert seq(flow.zeros(1, 1, 5, 5)).shape == (1, 2, 3, 3)


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers += [nn.Tanh()]
    layers.insert(1, nn.Sigmoid())
    assert [type(m).__name__ for m in layers] == [
        "Linear",
        "Sigmoid",
        "Linear",
        "Linear",
        "ReLU",
        "Tanh",
    ]
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    del layers[1]
    assert list(layers._modules) == [str(i) for i in range(5)]
    assert type(layers.pop(-1)).__name__ == "Tanh"
    layers[0] = nn.Identity()
    assert type(layers[0]).__name__ == "Identity"

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
            self.heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})

        def forward(self, x):
            for blk in self.blocks:
                x = blk(x)
            return {k: h(x) for k, h in self.heads.items()}

    net = Net()
    assert list(net.state_dict()) == [
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
        "heads.a.weight",
        "heads.a.bias",
        "heads.b.weight",
        "heads.b.bias",
    ]
    out = net(flow.zeros(5, 2))
    assert out["a"].shape == (5, 1) and out["b"].shape == (5, 3)
    heads = net.heads
    assert list(heads) == ["a", "b"] and "a" in heads and len(heads) == 2
    heads["c"] = nn.ReLU()
    assert list(heads.keys()) == ["a", "b", "c"]
    assert type(heads.pop("c")).__name__ == "ReLU" and "c" not in heads
    heads.update([("d", nn.Tanh())])
    del heads["d"]
    assert [k for k, _ in heads.items()] == ["a", "b"] and len(list(heads.values())) == 2
    with pytest.raises(KeyError, match="already exists"):
        nn.ModuleDict({"train": nn.ReLU()})
    heads.clear()
    assert len(heads) == 0 and list(heads.state_dict()) == []


# ----------------------------------------------------------------------------- a conv net trains
def _digits():
    datasets = pytest.importorskip("sklearn.datasets")
    d = datasets.load_digits()
    return (d.images / 16.0)[:, None], d.target.astype(np.int64)


def _conv_net(dropout: float = 0.1):
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(64, 10),
    )


def test_small_conv_net_learns_the_digits():
    images, labels = _digits()
    x_all = flow.tensor(images.astype(np.float32))
    flow.manual_seed(0)
    net = _conv_net()
    opt = flow.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    order = _rng().permutation(len(labels))
    for _ in range(2):
        for i in range(0, len(order), 32):
            b = order[i : i + 32]
            loss = loss_fn(net(flow.tensor(images[b].astype(np.float32))), flow.tensor(labels[b]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    with flow.no_grad():
        accuracy = (_np(net(x_all)).argmax(1) == labels).mean()
    assert accuracy > 0.9


@pytest.mark.torch_oracle
def test_conv_net_training_matches_torch_step_for_step():
    import torch

    images, labels = _digits()
    flow.manual_seed(0)
    fnet = _conv_net(dropout=0.0).double()
    tnet = eval(
        "nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), "
        "nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), "
        "nn.Flatten(), nn.Dropout(0.0), nn.Linear(64, 10))",
        {"nn": torch.nn},
    ).double()
    tnet.load_state_dict({k: torch.from_numpy(_np(v).copy()) for k, v in fnet.state_dict().items()})
    fopt = flow.optim.SGD(fnet.parameters(), lr=0.05)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.05)
    for step in range(15):
        b = slice(32 * step, 32 * step + 32)
        fl = F.cross_entropy(fnet(flow.tensor(images[b])), flow.tensor(labels[b]))
        tl = torch.nn.functional.cross_entropy(
            tnet(torch.from_numpy(images[b])), torch.from_numpy(labels[b])
        )
        assert fl.item() == pytest.approx(tl.item(), rel=1e-9), f"step {step}"
        fopt.zero_grad()
        topt.zero_grad()
        fl.backward()
        tl.backward()
        fopt.step()
        topt.step()
    for k, v in tnet.state_dict().items():
        np.testing.assert_allclose(
            _np(fnet.state_dict()[k]), v.numpy(), rtol=1e-7, atol=1e-9, err_msg=k
        )

"""The public Tensor API, on whatever backend this run selected (only public flowkit API here).

Covers creation and dtype inference, the random generator's cross-backend contract, shape
methods, indexing, conversions, printing (exact strings: a docs page has one expected output for
every backend), comparisons, reductions, grad mode, devices and dtypes.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import flowkit as flow

CPU = "cpu"  # printing tests pin the device: a CUDA tensor's repr adds device='cuda:0'


# ------------------------------------------------------------------------------------ creation
@pytest.mark.parametrize(
    "data,dtype",
    [
        (1, flow.int64),
        ([1, 2], flow.int64),
        (1.5, flow.float32),
        ([1, 2.5], flow.float32),
        ([[1.0, 2.0]], flow.float32),
        (True, flow.bool),
        ([True, False], flow.bool),
        (np.array([1, 2], dtype=np.int32), flow.int32),
        (np.array([1.0], dtype=np.float64), flow.float64),
        (np.array([1, 2], dtype=np.uint8), flow.uint8),
        (np.float64(2.0), flow.float64),
        (np.array([1.0], dtype=np.float16), flow.float16),
    ],
)
def test_tensor_infers_dtype(data, dtype):
    t = flow.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(data))
    assert isinstance(t, flow.Tensor)
    assert flow.is_tensor(t)


def test_tensor_with_explicit_dtype_and_copy():
    t = flow.tensor([1, 2], dtype=flow.float64)
    assert t.dtype == flow.float64
    assert flow.tensor([1.7], dtype=flow.int32).tolist() == [1]
    assert flow.tensor([1.0], dtype="float64").dtype == flow.float64
    src = np.array([1.0, 2.0], dtype=np.float32)
    t = flow.tensor(src)
    src[0] = 99.0  # flowkit.tensor always copies
    assert t.tolist() == [1.0, 2.0]
    u = flow.tensor(t)
    assert u.tolist() == t.tolist() and u.dtype == t.dtype


def test_legacy_tensor_constructor_is_float32():
    a = flow.Tensor(2, 3)
    assert a.dtype == flow.float32 and tuple(a.shape) == (2, 3)
    b = flow.Tensor([1, 2])
    assert b.dtype == flow.float32 and b.tolist() == [1.0, 2.0]
    assert isinstance(b, flow.Tensor)


def test_from_numpy_shares_memory_on_cpu():
    a = np.arange(3)
    t = flow.from_numpy(a)
    assert t.dtype == flow.int64
    if t.device.type == "cpu":
        a[0] = 7
        assert t.tolist()[0] == 7


def test_zeros_ones_eye_full():
    assert flow.zeros(2, 3).tolist() == [[0.0] * 3] * 2
    assert tuple(flow.zeros((2, 3)).shape) == (2, 3)
    assert flow.zeros(2).dtype == flow.float32
    assert flow.ones(2, dtype=flow.int64).tolist() == [1, 1]
    assert flow.ones(3).dtype == flow.float32
    np.testing.assert_array_equal(flow.eye(3).numpy(), np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(flow.eye(2, 3).numpy(), np.eye(2, 3))
    f = flow.full((2, 2), 7)
    assert f.dtype == flow.int64 and f.tolist() == [[7, 7], [7, 7]]
    assert flow.full((2,), 1.5).dtype == flow.float32
    assert flow.full((1,), True).dtype == flow.bool
    assert flow.full((2,), 3, dtype=flow.float64).tolist() == [3.0, 3.0]
    assert tuple(flow.empty(2, 4).shape) == (2, 4)


def test_arange_and_linspace():
    a = flow.arange(5)
    assert a.dtype == flow.int64 and a.tolist() == [0, 1, 2, 3, 4]
    assert flow.arange(1, 10, 3).tolist() == [1, 4, 7]
    b = flow.arange(0, 1, 0.25)
    assert b.dtype == flow.float32 and b.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert flow.arange(3, dtype=flow.float64).dtype == flow.float64
    c = flow.linspace(0, 1, 5)
    assert c.dtype == flow.float32
    np.testing.assert_allclose(c.numpy(), [0.0, 0.25, 0.5, 0.75, 1.0])


def test_like_constructors():
    x = flow.tensor([[1, 2, 3]], dtype=flow.float64)
    for make, value in [(flow.zeros_like, 0.0), (flow.ones_like, 1.0)]:
        y = make(x)
        assert y.dtype == flow.float64 and tuple(y.shape) == (1, 3)
        assert y.tolist() == [[value] * 3]
    f = flow.full_like(x, 4)
    assert f.dtype == flow.float64 and f.tolist() == [[4.0] * 3]
    assert flow.zeros_like(x, dtype=flow.int32).dtype == flow.int32
    assert flow.empty_like(x).shape == x.shape
    for make in (flow.rand_like, flow.randn_like):
        r = make(x)
        assert r.dtype == flow.float64 and r.shape == x.shape


# ------------------------------------------------------------------------------------ random
@pytest.mark.parametrize("seed", [0, 1, 12345])
@pytest.mark.parametrize("shape", [(2, 1), (3, 4), (5,)])
def test_randn_matches_numpy_pcg64(seed, shape):
    flow.manual_seed(seed)
    got = flow.randn(*shape).numpy()
    expected = np.random.Generator(np.random.PCG64(seed)).standard_normal(shape, dtype=np.float32)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


def test_rand_matches_numpy_pcg64_and_is_reproducible():
    flow.manual_seed(7)
    a = flow.rand(3, 2).numpy().copy()
    g = np.random.Generator(np.random.PCG64(7))
    np.testing.assert_array_equal(a, g.random((3, 2), dtype=np.float32))
    flow.manual_seed(7)
    np.testing.assert_array_equal(flow.rand(3, 2).numpy(), a)
    r = flow.rand(1000).numpy()
    assert r.min() >= 0.0 and r.max() < 1.0


def test_randn_sequence_and_float64():
    flow.manual_seed(3)
    first = flow.randn(2).numpy().copy()
    second = flow.randn(2).numpy().copy()
    g = np.random.Generator(np.random.PCG64(3))
    np.testing.assert_array_equal(first, g.standard_normal((2,), dtype=np.float32))
    np.testing.assert_array_equal(second, g.standard_normal((2,), dtype=np.float32))
    flow.manual_seed(3)
    d = flow.randn(4, dtype=flow.float64)
    assert d.dtype == flow.float64
    np.testing.assert_array_equal(
        d.numpy(), np.random.Generator(np.random.PCG64(3)).standard_normal(4)
    )
    assert flow.initial_seed() == 3


def test_rng_state_round_trip():
    flow.manual_seed(11)
    state = flow.get_rng_state()
    a = flow.randn(3).tolist()
    flow.set_rng_state(state)
    assert flow.randn(3).tolist() == a


def test_random_with_integer_dtype_is_an_error():
    with pytest.raises(flow.DTypeError, match="floating"):
        flow.randn(2, dtype=flow.int64)


# ------------------------------------------------------------------------------------ shape
def test_shape_size_dim_numel():
    t = flow.zeros(2, 3)
    assert t.shape == (2, 3)
    assert isinstance(t.shape, flow.Size)
    assert repr(t.shape) == "flowkit.Size([2, 3])"
    assert t.size() == flow.Size([2, 3])
    assert t.size(1) == 3 and t.size(-1) == 3 and t.size(0) == 2
    with pytest.raises(IndexError):
        t.size(2)
    assert t.dim() == 2 and t.ndim == 2
    assert t.numel() == 6 and flow.numel(t) == 6
    assert len(t) == 2
    assert flow.tensor(1.0).dim() == 0 and flow.tensor(1.0).numel() == 1
    assert t.shape.numel() == 6


def test_transpose_reshape_view_permute():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = flow.tensor(a)
    np.testing.assert_array_equal(t.T.numpy(), a.T)
    np.testing.assert_array_equal(t.transpose(0, 1).numpy(), a.T)
    np.testing.assert_array_equal(flow.transpose(t, 1, 0).numpy(), a.T)
    np.testing.assert_array_equal(t.reshape(3, 2).numpy(), a.reshape(3, 2))
    np.testing.assert_array_equal(t.reshape((3, 2)).numpy(), a.reshape(3, 2))
    np.testing.assert_array_equal(t.reshape(-1).numpy(), a.reshape(-1))
    np.testing.assert_array_equal(flow.reshape(t, (6, 1)).numpy(), a.reshape(6, 1))
    np.testing.assert_array_equal(t.view(3, 2).numpy(), a.reshape(3, 2))
    np.testing.assert_array_equal(t.view(-1).numpy(), a.reshape(-1))
    b = np.arange(24).reshape(2, 3, 4)
    u = flow.tensor(b)
    np.testing.assert_array_equal(u.permute(2, 0, 1).numpy(), b.transpose(2, 0, 1))
    np.testing.assert_array_equal(u.permute((1, 2, 0)).numpy(), b.transpose(1, 2, 0))
    assert tuple(u.flatten().shape) == (24,)
    assert tuple(u.flatten(1).shape) == (2, 12)
    assert tuple(u.flatten(0, 1).shape) == (6, 4)
    assert tuple(flow.flatten(u).shape) == (24,)


def test_squeeze_unsqueeze():
    t = flow.zeros(1, 2, 1)
    assert tuple(t.squeeze().shape) == (2,)
    assert tuple(t.squeeze(0).shape) == (2, 1)
    assert tuple(t.squeeze(-1).shape) == (1, 2)
    assert tuple(t.squeeze(1).shape) == (1, 2, 1)  # not size 1: unchanged
    assert tuple(flow.squeeze(t).shape) == (2,)
    v = flow.zeros(2, 3)
    assert tuple(v.unsqueeze(0).shape) == (1, 2, 3)
    assert tuple(v.unsqueeze(-1).shape) == (2, 3, 1)
    assert tuple(v.unsqueeze(1).shape) == (2, 1, 3)
    assert tuple(flow.unsqueeze(v, 2).shape) == (2, 3, 1)


def test_reshape_error_names_the_shapes():
    with pytest.raises(flow.ShapeError, match=r"\(2, 3\)"):
        flow.zeros(2, 3).reshape(4, 2)


# ------------------------------------------------------------------------------------ indexing
def test_indexing():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = flow.tensor(a)
    np.testing.assert_array_equal(t[0].numpy(), a[0])
    np.testing.assert_array_equal(t[:, 1].numpy(), a[:, 1])
    np.testing.assert_array_equal(t[1:, ::2].numpy(), a[1:, ::2])
    assert t[-1, -1].item() == 11.0
    np.testing.assert_array_equal(t[t > 5].numpy(), a[a > 5])
    np.testing.assert_array_equal(t[[0, 0, 2]].numpy(), a[[0, 0, 2]])
    np.testing.assert_array_equal(t[flow.tensor([2, 1])].numpy(), a[[2, 1]])
    np.testing.assert_array_equal(t[flow.tensor([True, False, True])].numpy(), a[[0, 2]])
    assert [row.tolist() for row in t] == a.tolist()


def test_item_assignment():
    t = flow.zeros(2, 3)
    t[0] = 5.0
    t[1, 2] = 1.0
    t[:, 1] = flow.tensor([7.0, 8.0])
    assert t.tolist() == [[5.0, 7.0, 5.0], [0.0, 8.0, 1.0]]
    t[t > 6] = -1.0
    assert t.tolist() == [[5.0, -1.0, 5.0], [0.0, -1.0, 1.0]]
    t[flow.tensor([0])] = 2.0
    assert t.tolist()[0] == [2.0, 2.0, 2.0]


# ------------------------------------------------------------------------------------ conversion
def test_numpy_item_tolist():
    t = flow.tensor([[1.5, 2.5]])
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32 and a.shape == (1, 2)
    assert t.tolist() == [[1.5, 2.5]]
    assert flow.tensor([3]).item() == 3 and isinstance(flow.tensor([3]).item(), int)
    assert isinstance(flow.tensor(2.5).item(), float)
    assert flow.tensor(True).item() is True
    assert flow.tensor(4).tolist() == 4
    assert float(flow.tensor([2.5])) == 2.5 and int(flow.tensor(3)) == 3
    assert np.asarray(t).shape == (1, 2)
    assert flow.tensor([1, 2]).float().dtype == flow.float32
    assert flow.tensor([1.0]).double().dtype == flow.float64
    assert flow.tensor([1.9]).long().tolist() == [1]
    assert flow.tensor([1.0]).to(flow.int32).dtype == flow.int32
    assert flow.tensor([0, 2]).bool().tolist() == [False, True]


def test_format_of_scalar_tensors():
    t = flow.tensor(0.1)
    assert f"{t}" == str(t.item())
    assert f"{t:.3f}" == "0.100"
    assert f"{flow.tensor(3)}" == "3"
    loss = flow.tensor([0.5, 0.25]).sum()
    assert f"loss:{loss}" == f"loss:{loss.item()}"
    v = flow.tensor([1.0, 2.0], device=CPU)
    assert f"{v}" == repr(v)


# ------------------------------------------------------------------------------------ repr
@pytest.mark.parametrize(
    "make,expected",
    [
        (
            lambda: flow.tensor([[2.0000002], [2.9999998]], device=CPU),
            "tensor([[2.0000],\n        [3.0000]], dtype=flowkit.float32)",
        ),
        (
            lambda: flow.tensor([[2.0], [3.0]], device=CPU),
            "tensor([[2.],\n        [3.]], dtype=flowkit.float32)",
        ),
        (lambda: flow.tensor([1, 2, 3], device=CPU), "tensor([1, 2, 3], dtype=flowkit.int64)"),
        (lambda: flow.tensor([-10, 200], device=CPU), "tensor([-10, 200], dtype=flowkit.int64)"),
        (
            lambda: flow.tensor([1, 2], dtype=flow.int32, device=CPU),
            "tensor([1, 2], dtype=flowkit.int32)",
        ),
        (
            lambda: flow.tensor([True, False], device=CPU),
            "tensor([ True, False], dtype=flowkit.bool)",
        ),
        (lambda: flow.tensor([1.0, 2.0], device=CPU), "tensor([1., 2.], dtype=flowkit.float32)"),
        (
            lambda: flow.tensor([-1.5, 2.25], device=CPU),
            "tensor([-1.5000,  2.2500], dtype=flowkit.float32)",
        ),
        (
            lambda: flow.tensor([1e-5, 1e3], device=CPU),
            "tensor([1.0000e-05, 1.0000e+03], dtype=flowkit.float32)",
        ),
        (lambda: flow.tensor(3.5, device=CPU), "tensor(3.5000, dtype=flowkit.float32)"),
        (lambda: flow.tensor(7, device=CPU), "tensor(7, dtype=flowkit.int64)"),
        (
            lambda: flow.tensor(2.0, dtype=flow.float64, device=CPU),
            "tensor(2., dtype=flowkit.float64)",
        ),
        (lambda: flow.tensor([], device=CPU), "tensor([], dtype=flowkit.float32)"),
        (lambda: flow.zeros(0, 3, device=CPU), "tensor([], size=(0, 3), dtype=flowkit.float32)"),
        (
            lambda: flow.arange(1001, device=CPU),
            "tensor([   0,    1,    2,  ...,  998,  999, 1000], dtype=flowkit.int64)",
        ),
        (
            lambda: flow.ones(2, requires_grad=True, device=CPU),
            "tensor([1., 1.], dtype=flowkit.float32, requires_grad=True)",
        ),
        (
            lambda: flow.ones(2, requires_grad=True, device=CPU) * 2,
            "tensor([2., 2.], dtype=flowkit.float32, grad_fn=<MulBackward>)",
        ),
        (
            lambda: flow.tensor([[1.0, 2.0], [3.0, 4.0]], device=CPU),
            "tensor([[1., 2.],\n        [3., 4.]], dtype=flowkit.float32)",
        ),
    ],
)
def test_repr(make, expected):
    t = make()
    assert repr(t) == expected
    assert str(t) == expected


def test_repr_summarises_large_tensors():
    t = flow.arange(1200, device=CPU).reshape(30, 40)
    text = repr(t)
    assert text == (
        "tensor([[   0,    1,    2,  ...,   37,   38,   39],\n"
        "        [  40,   41,   42,  ...,   77,   78,   79],\n"
        "        [  80,   81,   82,  ...,  117,  118,  119],\n"
        "        ...,\n"
        "        [1080, 1081, 1082,  ..., 1117, 1118, 1119],\n"
        "        [1120, 1121, 1122,  ..., 1157, 1158, 1159],\n"
        "        [1160, 1161, 1162,  ..., 1197, 1198, 1199]], dtype=flowkit.int64)"
    )
    small = repr(flow.arange(1000, device=CPU))
    assert "..." not in small and small.count("\n") > 10


def test_repr_of_a_long_row_wraps():
    text = repr(flow.arange(30, dtype=flow.float32, device=CPU) / 7)
    lines = text.split("\n")
    assert len(lines) > 1
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].startswith("tensor([0.0000, 0.1429,")
    assert text.endswith("dtype=flowkit.float32)")


def test_repr_of_module_output_in_the_tutorial_style():
    w = flow.nn.Parameter(flow.tensor([[2.0000002], [2.9999998]], device=CPU))
    assert repr(w) == (
        "tensor([[2.0000],\n        [3.0000]], dtype=flowkit.float32, requires_grad=True)"
    )


@pytest.mark.torch_oracle
@pytest.mark.parametrize(
    "make",
    [
        lambda: np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32),
        lambda: np.random.default_rng(1).standard_normal((3, 2, 4)).astype(np.float32) * 1e4,
        lambda: np.random.default_rng(2).standard_normal(7).astype(np.float32) * 1e-6,
        lambda: np.array([1.0, np.nan, np.inf, -np.inf], dtype=np.float32),
        lambda: np.array([0.0, 1.0, -3.0], dtype=np.float32),
        lambda: np.array([1.0, 1e9], dtype=np.float32),
        lambda: np.arange(2000, dtype=np.float32).reshape(40, 50) / 3,
        lambda: np.arange(-5, 5, dtype=np.int64),
        lambda: np.arange(3000, dtype=np.int64).reshape(10, 300),
        lambda: np.array([[True, False], [False, True]]),
    ],
    ids=[
        "randn",
        "large",
        "tiny",
        "nonfinite",
        "intvalued",
        "wide",
        "summarised",
        "ints",
        "summarised-ints",
        "bools",
    ],
)
def test_repr_body_matches_torch(make):
    import torch

    a = make()
    ours = repr(flow.tensor(a, device=CPU))
    theirs = repr(torch.from_numpy(a))
    # torch prints no dtype for float32/int64/bool; flowkit always does
    ours_body = re.sub(r",\s*dtype=flowkit\.\w+\)$", ")", ours)
    theirs_body = re.sub(r",\s*dtype=torch\.\w+\)$", ")", theirs)
    assert ours_body == theirs_body


# ------------------------------------------------------------------------------------ math
def test_comparisons():
    a = flow.tensor([1, 2, 3])
    b = flow.tensor([3, 2, 1])
    assert (a == b).tolist() == [False, True, False]
    assert (a != b).tolist() == [True, False, True]
    assert (a < b).tolist() == [True, False, False]
    assert (a <= b).tolist() == [True, True, False]
    assert (a > 2).tolist() == [False, False, True]
    assert (a >= 2).tolist() == [False, True, True]
    assert (a == b).dtype == flow.bool
    assert flow.eq(a, a).all().item() is True
    assert bool((a > 0).all()) and not bool((a > 2).all()) and bool((a > 2).any())
    assert flow.allclose(flow.tensor([1.0, 2.0]), flow.tensor([1.0, 2.0 + 1e-7]))
    with pytest.raises(flow.FlowkitError, match="ambiguous"):
        bool(a == b)


def test_tensor_is_hashable_by_identity():
    a, b = flow.tensor([1.0]), flow.tensor([1.0])
    assert len({a, b}) == 2


@pytest.mark.parametrize(
    "dim,keepdim",
    [(None, False), (0, False), (1, True), (-1, False), ((0, 1), False), ((0, 1), True)],
)
def test_sum_mean_dims(dim, keepdim):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = flow.tensor(a)
    axis = dim
    s = t.sum() if dim is None else t.sum(dim, keepdim)
    m = t.mean() if dim is None else t.mean(dim, keepdim=keepdim)
    np.testing.assert_allclose(s.numpy(), a.sum(axis=axis, keepdims=keepdim and dim is not None))
    np.testing.assert_allclose(m.numpy(), a.mean(axis=axis, keepdims=keepdim and dim is not None))
    np.testing.assert_allclose(flow.sum(t, dim=dim, keepdim=keepdim).numpy(), s.numpy())
    np.testing.assert_allclose(flow.mean(t, dim=dim, keepdim=keepdim).numpy(), m.numpy())
    assert s.dtype == flow.float32 and m.dtype == flow.float32


def test_integer_sum_is_int64_and_mean_needs_float():
    assert flow.tensor([1, 2], dtype=flow.int32).sum().dtype == flow.int64
    assert flow.tensor([True, True]).sum().item() == 2
    with pytest.raises(flow.DTypeError):
        flow.tensor([1, 2]).mean()


def test_elementwise_functions():
    a = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    t = flow.tensor(a)
    for name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "abs"):
        np.testing.assert_allclose(getattr(flow, name)(t).numpy(), getattr(np, name)(a), rtol=1e-6)
    np.testing.assert_allclose(flow.sigmoid(t).numpy(), 1 / (1 + np.exp(-a)), rtol=1e-6)
    assert flow.relu(flow.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
    assert (-t).tolist() == (-a).tolist()
    assert flow.square(flow.tensor([3.0])).tolist() == [9.0]
    assert flow.pow(flow.tensor([2.0]), 3).tolist() == [8.0]
    assert flow.add(t, 1).tolist() == (a + 1).tolist()
    assert flow.exp(flow.tensor([0])).dtype == flow.float32  # ints become float32


def test_matmul():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_allclose((flow.tensor(a) @ flow.tensor(b)).numpy(), a @ b)
    np.testing.assert_allclose(flow.matmul(flow.tensor(a), flow.tensor(b)).numpy(), a @ b)
    np.testing.assert_allclose(flow.mm(flow.tensor(a), flow.tensor(b)).numpy(), a @ b)
    v = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    assert (flow.tensor(v) @ flow.tensor(v)).item() == 14.0


def test_no_grad():
    x = flow.ones(2, requires_grad=True)
    with flow.no_grad():
        y = x * 2
    assert not y.requires_grad
    assert (x * 2).requires_grad
    assert flow.is_grad_enabled()
    d = x.detach()
    assert not d.requires_grad
    assert x.requires_grad and x.is_leaf and x.grad is None


def test_requires_grad_and_backward_through_the_public_api():
    x = flow.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [[2.0, 4.0], [6.0, 8.0]]
    y = flow.tensor([1.0]).requires_grad_()
    assert y.requires_grad


# ------------------------------------------------------------------------------------ devices
def test_device_repr_and_str():
    d = flow.device("cpu")
    assert repr(d) == "device(type='cpu', index=0)"
    assert str(d) == "cpu:0"
    assert d == flow.device("cpu:0") == "cpu"
    assert d.type == "cpu" and d.index == 0
    c = flow.device("cuda:1")
    assert (c.type, c.index, str(c)) == ("cuda", 1, "cuda:1")
    assert repr(flow.device("cuda")) == "device(type='cuda', index=0)"
    assert flow.device("cuda", 2) == "cuda:2"
    assert len({flow.device("cpu"), flow.device("cpu:0")}) == 1
    with pytest.raises(flow.DeviceError, match="'cpu', 'cuda' or 'cuda:N'"):
        flow.device("tpu")


def test_tensor_device_and_to_cpu():
    t = flow.tensor([1.0, 2.0], device="cpu")
    assert t.device == flow.device("cpu")
    assert not t.is_cuda
    assert t.cpu().tolist() == [1.0, 2.0]
    assert t.to("cpu").device.type == "cpu"
    assert isinstance(flow.cuda.is_available(), bool)
    assert flow.backend().device.type in ("cpu", "cuda")


# ------------------------------------------------------------------------------------ dtypes
@pytest.mark.parametrize(
    "d,name",
    [
        (flow.float32, "float32"),
        (flow.float64, "float64"),
        (flow.float16, "float16"),
        (flow.int64, "int64"),
        (flow.int32, "int32"),
        (flow.int16, "int16"),
        (flow.int8, "int8"),
        (flow.uint8, "uint8"),
        (flow.bool, "bool"),
    ],
)
def test_dtype_reprs(d, name):
    assert repr(d) == f"flowkit.{name}"
    assert str(d) == f"flowkit.{name}"
    assert flow.zeros(1, dtype=d).dtype is d


def test_dtype_aliases_and_properties():
    assert flow.float is flow.float32 and flow.double is flow.float64 and flow.half is flow.float16
    assert flow.long is flow.int64 and flow.int is flow.int32
    assert flow.float32.is_floating_point and not flow.int64.is_floating_point
    assert flow.int64.itemsize == 8 and flow.float32.itemsize == 4
    assert flow.zeros(1).is_floating_point()
    assert flow.zeros(2, dtype=flow.float64).element_size() == 8

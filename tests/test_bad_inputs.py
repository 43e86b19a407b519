"""Bad inputs a PyTorch user might pass, on the backend under test: each gets PyTorch's value or a
flowkit error (a :class:`flowkit.FlowkitError` that is also the builtin PyTorch raises) naming the
problem and the fix, and the same on every backend. Where torch is installed the values and the
refusals are checked against it (``torch_oracle``)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import flowkit as flow
from flowkit.utils.data import DataLoader, default_collate

try:
    import torch
except ImportError:  # the numpy-only install: the torch cases skip
    torch = None

F = flow.nn.functional
NUMPY_ARRAY = "a flowkit tensor and a numpy array cannot be mixed"


def exact(msg: str) -> str:
    return "^" + re.escape(msg) + "$"


# ------------------------------------------------------------------ numbers that do not fit
# (data, dtype name or None); the dtype is a flowkit dtype here, a torch one for the oracle
OVERFLOW = [
    ([2**63], None),
    ([-(2**63) - 1], None),
    (2**63, None),
    ([2**64, 1], None),
    ([1, 2**63], None),
    ([[1, 2], [3, 2**63]], None),
    ([300], "uint8"),
    ([-256], "uint8"),
    ([2**40], "int32"),
    ([2**31], "int32"),
    ([128], "int8"),
    ([70000], "int16"),
    ([300.0], "uint8"),
    ([-1.0], "uint8"),
    ([1e30], "int64"),
    ([float("nan")], "int64"),
    ([float("inf")], "int32"),
]
FITS = [
    ([-1], "uint8"),  # PyTorch wraps -255 .. -1 into an unsigned dtype
    ([-255], "uint8"),
    ([2**63 - 1], None),
    ([-(2**63)], None),
    ([2**63], "float32"),
    ([2**64], "float64"),
    ([2**63, 2.5], None),  # a float in the data: float32, as in PyTorch
    ([1.9, -1.9], "int64"),  # truncated
    ([True, 2], "int8"),
    ([1e300], "float32"),  # inf, as in PyTorch
    ([300], "bool"),
    ([255.0], "uint8"),
]


def _dt(name):
    return None if name is None else getattr(flow, name)


@pytest.mark.parametrize("data, dtype", OVERFLOW, ids=repr)
def test_a_number_that_does_not_fit_its_dtype_is_an_error(data, dtype):
    with pytest.raises(flow.ArgumentValueError, match=r"does not fit in .*range is") as info:
        flow.tensor(data, dtype=_dt(dtype))
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)
    m = str(info.value)
    assert "flowkit.float64" in m if dtype is None else f"flowkit.{dtype}" in m


def test_the_overflow_message_names_the_value_its_place_and_the_range():
    with pytest.raises(flow.ArgumentValueError) as info:
        flow.tensor([[1, 2], [3, 300]], dtype=flow.uint8)
    assert str(info.value) == (
        "flowkit.tensor: 300 (at index [1][1]) does not fit in flowkit.uint8, whose range is "
        "0 .. 255; pass a value in that range, or a dtype that holds it (flowkit.int64, "
        "flowkit.float32)"
    )
    with pytest.raises(flow.ArgumentValueError, match=r"the integer 9223372036854775808 \(at"):
        flow.tensor([2**63])


@pytest.mark.parametrize("data, dtype", FITS, ids=repr)
def test_numbers_that_fit_keep_pytorchs_values(data, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning on the way
        t = flow.tensor(data, dtype=_dt(dtype))
    if torch is not None:
        ref = torch.tensor(data, dtype=None if dtype is None else getattr(torch, dtype))
        assert str(t.dtype).removeprefix("flowkit.") == str(ref.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(t.numpy(), ref.numpy())


@pytest.mark.torch_oracle
@pytest.mark.parametrize("data, dtype", OVERFLOW + FITS, ids=repr)
def test_creation_from_numbers_refuses_what_torch_refuses(data, dtype):
    try:
        torch.tensor(data, dtype=None if dtype is None else getattr(torch, dtype))
        refused = False
    except (ValueError, RuntimeError, OverflowError):
        refused = True
    try:
        flow.tensor(data, dtype=_dt(dtype))
        ours = False
    except flow.ArgumentValueError:
        ours = True
    assert ours == refused


def test_a_numpy_array_wraps_into_a_smaller_dtype_as_in_pytorch():
    assert flow.tensor(np.array([300]), dtype=flow.uint8).tolist() == [44]


@pytest.mark.parametrize(
    "call, value",
    [
        (lambda: flow.full((2,), -1, dtype=flow.uint8), [255, 255]),
        (lambda: flow.full((2,), 1.9, dtype=flow.int64), [1, 1]),
        (lambda: flow.zeros(2, dtype=flow.uint8), [0, 0]),
    ],
)
def test_full_with_values_that_fit(call, value):
    assert call().tolist() == value


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: flow.full((2,), 2**63), flow.ArgumentValueError, "fit in flowkit.int64.*float64"),
        (lambda: flow.full((2,), 300, dtype=flow.uint8), flow.ArgumentValueError, "0 .. 255"),
        (lambda: flow.full((2,), 2**40, dtype=flow.int32), flow.ArgumentValueError, "int32"),
        (lambda: flow.full((2,), 1e30, dtype=flow.int32), flow.ArgumentValueError, "int32"),
        (lambda: flow.full((2,), None), flow.ArgumentTypeError, "must be a number, got None"),
        (lambda: flow.full((2,), "a"), flow.ArgumentTypeError, "must be a number, got str"),
        (lambda: flow.arange(2**63, 2**63 + 2), flow.ArgumentValueError, "start = 9223"),
    ],
)
def test_full_and_arange_refuse_values_the_dtype_cannot_hold(call, error, match):
    # numpy raised OverflowError (or filled nan / wrapped), torch its RuntimeError: now one error
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------ integer operands
@pytest.mark.parametrize(
    "op, want",
    [
        (lambda u: u + 300, [45, 38]),  # PyTorch casts the number to uint8 (300 -> 44)
        (lambda u: 300 + u, [45, 38]),
        (lambda u: u - 300, [213, 206]),
        (lambda u: 300 - u, [43, 50]),
        (lambda u: u * 2**40, [0, 0]),
        (lambda u: u + (-1), [0, 249]),
        (lambda u: u // 300, [0, 5]),
        (lambda u: u % 300, [1, 30]),
    ],
)
def test_an_int_beyond_an_integer_tensors_dtype_wraps_as_in_pytorch(op, want):
    u = flow.tensor([1, 250], dtype=flow.uint8)
    out = op(u)
    assert out.dtype is flow.uint8 and out.tolist() == want


@pytest.mark.parametrize(
    "op, match",
    [
        (lambda x: x + 2**64, "too large for a flowkit.int64 tensor"),
        (lambda x: 2**64 + x, "too large for a flowkit.int64 tensor"),
        (lambda x: x.to(flow.uint8).clamp(0, 300), r"clamp: 300 is out of the range"),
        (lambda x: x.to(flow.uint8) ** 300, r"pow: 300 is out of the range"),
    ],
)
def test_an_int_operand_that_cannot_be_cast_is_an_error(op, match):
    with pytest.raises(flow.ArgumentValueError, match=match):
        op(flow.ones(2, dtype=flow.int64))


# ------------------------------------------------------------------ data that is not numbers
@pytest.mark.parametrize(
    "data, error, match",
    [
        (["a", "b"], flow.DTypeError, r"holds a string \('a' at index \[0\]\).*float\(s\)"),
        ("a", flow.DTypeError, r"holds a string \('a'\)"),
        ([1.0, None], flow.DTypeError, r"holds None at index \[1\];.*float\('nan'\)"),
        ([[1.0, 2.0], [None, 3.0]], flow.DTypeError, r"None at index \[1\]\[0\]"),
        (None, flow.DTypeError, "holds None;"),
        ({"a": 1}, flow.DTypeError, "from a dict"),
        ({1, 2}, flow.DTypeError, "from a set"),
        ([1, {"a": 1}], flow.DTypeError, r"from a dict at index \[1\]"),
        ([[1.0, 2.0], [3.0]], flow.ShapeError, r"ragged: \[1\] is a list of 1 but \[0\]"),
        ([[1.0, 2.0], 3.0], flow.ShapeError, r"\[1\] is a number but \[0\] is a list of 2"),
        ([1 + 2j], flow.DTypeError, "dtype complex128 is not supported"),
    ],
)
def test_data_that_is_not_numbers_names_what_and_where(data, error, match):
    with pytest.raises(error, match=match):
        flow.tensor(data)


@pytest.mark.parametrize(
    "dtype, match",
    [
        (5, r"5 \(int\) is not a dtype"),
        ("float", "unknown dtype name 'float'"),
        ("torch.float32", "unknown dtype name 'torch.float32'"),
    ],
)
def test_a_dtype_that_is_not_one(dtype, match):
    with pytest.raises(flow.DTypeError, match=match):
        flow.tensor([1, 2], dtype=dtype)


def test_python_types_as_dtypes_are_pytorchs():
    assert flow.tensor([1, 2], dtype=float).dtype is flow.float64  # Python's float is a double
    assert flow.tensor([1, 2], dtype=int).dtype is flow.int64
    assert flow.zeros(2, dtype=bool).dtype is flow.bool


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_flowkit_tensor_of_a_torch_tensor_keeps_its_dtype_and_detaches():
    t = flow.tensor(torch.ones(2, dtype=torch.float64, requires_grad=True))
    assert t.dtype is flow.float64 and t.tolist() == [1.0, 1.0] and not t.requires_grad


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: flow.zeros(2.5), flow.ArgumentTypeError, r"a shape is integers.*\(2\.5,\)"),
        (lambda: flow.zeros(2, 3.0), flow.ArgumentTypeError, "a shape is integers"),
        (lambda: flow.randn(2.0, 3), flow.ArgumentTypeError, "a shape is integers"),
        (lambda: flow.nn.Linear(2.5, 3), flow.ArgumentTypeError, "a shape is integers"),
        (lambda: flow.eye(2.5), flow.ArgumentTypeError, "a shape is integers"),
        (lambda: flow.eye(-1), flow.ShapeError, "negative sizes"),
    ],
)
def test_sizes_must_be_integers(call, error, match):
    # numpy truncated 2.5 to 2 silently; PyTorch raises TypeError
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------ ranges
@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: flow.randint(5, 5, (2,)),
            flow.ArgumentValueError,
            exact(
                "randint: low (5) must be less than high (5): [low, high) is empty; "
                "randint(low, high, size) draws from low .. high - 1, e.g. randint(0, 10, (3,)) "
                "from 0 .. 9"
            ),
        ),
        (lambda: flow.randint(6, 5, (2,)), flow.ArgumentValueError, r"low \(6\).*high \(5\)"),
        (lambda: flow.randint(0, (2,)), flow.ArgumentValueError, r"low \(0\).*high \(0\)"),
        (
            lambda: flow.randint(0, 300, (2,), dtype=flow.uint8),
            flow.ArgumentValueError,
            r"high - 1 = 299 does not fit in flowkit.uint8",
        ),
        (lambda: flow.randint(0.5, 10, (2,)), flow.ArgumentTypeError, "low must be an integer"),
        (lambda: flow.randperm(-1), flow.ArgumentValueError, "n must be >= 0"),
        (lambda: flow.randperm(2.5), flow.ArgumentTypeError, "n must be an integer"),
        (lambda: flow.arange(0, 10, -1), flow.ArgumentValueError, "runs against step=-1"),
        (lambda: flow.arange(10, 0), flow.ArgumentValueError, "swap start and end"),
        (lambda: flow.arange(0, 1, 0), flow.ArgumentValueError, "step must be non-zero"),
        (lambda: flow.arange(float("nan")), flow.ArgumentValueError, "end must be finite"),
        (lambda: flow.arange(float("inf")), flow.ArgumentValueError, "end must be finite"),
        (lambda: flow.linspace(0, 1, -1), flow.ArgumentValueError, "steps must be >= 0"),
        (lambda: flow.linspace(0, 1, 2.5), flow.ArgumentTypeError, "steps must be an integer"),
    ],
)
def test_empty_or_bad_ranges(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_ranges_that_are_fine_stay_fine():
    assert flow.arange(3, 3).tolist() == [] and flow.arange(5, 0, -2).tolist() == [5, 3, 1]
    assert flow.linspace(0, 1, 0).shape == (0,) and flow.randperm(0).shape == (0,)
    assert flow.randint(0, 2, (3,), dtype=flow.bool).dtype is flow.bool
    assert flow.randint(-5, -4, (3,)).tolist() == [-5, -5, -5]


@pytest.mark.torch_oracle
@pytest.mark.parametrize("args", [(5, 5), (6, 5), (0, 0), (-1, 0)], ids=lambda a: f"randint{a}")
def test_randint_refuses_what_torch_refuses(args):
    try:
        torch.randint(*args, (2,))
        refused = False
    except RuntimeError:
        refused = True
    try:
        flow.randint(*args, (2,))
        ours = False
    except flow.ArgumentValueError:
        ours = True
    assert ours == refused


# ------------------------------------------------------------------ layers with a zero-size dim
def test_linear_with_no_inputs_gives_zeros_as_in_pytorch():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        layer = flow.nn.Linear(0, 3)
    out = layer(flow.ones(2, 0))
    assert out.shape == (2, 3) and out.tolist() == [[0.0] * 3] * 2
    out.sum().backward()
    assert layer.bias.grad.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize(
    "make, x, out_shape",
    [
        (lambda: flow.nn.Linear(3, 0), (2, 3), (2, 0)),
        (lambda: flow.nn.Conv2d(0, 3, 3), None, None),
        (lambda: flow.nn.Conv2d(3, 2, 0), None, None),
        (lambda: flow.nn.Embedding(0, 3), None, None),
        (lambda: flow.nn.BatchNorm1d(0), None, None),
        (lambda: flow.nn.LayerNorm(0), None, None),
    ],
)
def test_layers_with_a_zero_size_dimension_build(make, x, out_shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the zero-element init warning
        layer = make()
    if x is not None:
        assert layer(flow.ones(*x)).shape == out_shape


def test_embedding_with_no_columns():
    assert flow.nn.Embedding(3, 0)(flow.tensor([1, 2])).shape == (2, 0)


def test_conv2d_with_no_output_channels_is_an_error_on_every_backend():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        conv = flow.nn.Conv2d(3, 0, 3)
    with pytest.raises(flow.ShapeError, match="out_channels=0"):
        conv(flow.ones(1, 3, 4, 4))


@pytest.mark.parametrize("init", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_init_of_an_empty_tensor_is_a_no_op_with_a_warning(init):
    w = flow.empty(3, 0)
    with pytest.warns(UserWarning, match="zero-element") as record:
        assert getattr(flow.nn.init, init)(w) is w
    assert record[0].filename == __file__  # pointed at the caller, as PyTorch's


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: flow.nn.init.kaiming_uniform_(flow.empty(3, 2), mode="fan_avg"),
            "mode must be 'fan_in' or 'fan_out', got 'fan_avg'",
        ),
        (lambda: flow.nn.init.uniform_(flow.empty(3), 1, 0), r"a must not exceed b"),
        (lambda: flow.nn.init.normal_(flow.empty(3), 0, -1), "std must be >= 0"),
    ],
)
def test_init_arguments(call, match):
    # (mode="fan_avg" was taken as fan_out; numpy said "high - low < 0", "scale < 0")
    with pytest.raises(flow.ArgumentValueError, match=match):
        call()


# ------------------------------------------------------------------ the DataLoader
@pytest.mark.parametrize(
    "samples, match",
    [
        ([None, None], r"^default_collate: sample 0 is None; "),
        ([flow.ones(2), None], r"^default_collate: sample 1 is None, where sample 0 has a tensor"),
        ([(flow.ones(2), 1), (flow.ones(2), None)], r"sample 1 is None at field \[1\], where"),
        ([{"x": 1.0}, {"x": None}], r"sample 1 is None at field \['x'\], where sample 0 has a"),
        ([{"x": [1, 2]}, {"x": [1, None]}], r"sample 1 is None at field \['x'\]\[1\]"),
        ([1, None], r"sample 1 is None, where sample 0 has a number \(int\)"),
        ([np.ones(2), None], r"sample 1 is None, where sample 0 has a numpy array"),
        ([np.float32(1), None], r"sample 1 is None, where sample 0 has a number"),
        ([1, "a"], r"sample 1 is a str, where sample 0 has a number"),
        ([1, flow.ones(2)], r"sample 1 is a tensor, where sample 0 has a number"),
        ([flow.ones(2), 1], r"sample 1 is a number \(int\), where sample 0 has a tensor"),
        ([(1, 2), None], r"sample 1 is None, where sample 0 has a tuple"),
        ([{"x": 1}, None], r"sample 1 is None, where sample 0 has a dict"),
    ],
)
def test_a_sample_of_the_wrong_type_names_the_sample_and_the_field(samples, match):
    with pytest.raises(flow.ArgumentTypeError, match=match) as info:
        next(iter(DataLoader(samples, batch_size=len(samples))))
    assert isinstance(info.value, TypeError)  # what PyTorch's default_collate raises
    m = str(info.value)
    assert "collate_fn" in m


def test_a_none_sample_from_a_worker_process_gets_the_same_message():
    with pytest.raises(flow.ArgumentTypeError, match="sample 1 is None, where sample 0 has a"):
        next(iter(DataLoader([flow.ones(2), None], batch_size=2, num_workers=1)))


def test_collate_of_good_samples_is_unchanged():
    batch = default_collate([(flow.ones(2), 1, "a"), (flow.zeros(2), 0, "b")])
    assert batch[0].shape == (2, 2) and batch[1].tolist() == [1, 0] and batch[2] == ["a", "b"]


# ------------------------------------------------------------------ state dicts
class _Net(flow.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = flow.nn.Linear(2, 1)

    def forward(self, x):
        return self.fc(x)


@pytest.mark.parametrize(
    "value, match",
    [
        (
            [[1.0, 2.0]],
            r"the value for 'fc.weight' is a list, not a flowkit tensor;.*flowkit\.tensor",
        ),
        (1.0, r"is a float, not a flowkit tensor; make it a tensor with flowkit\.tensor"),
        (None, r"is None, not a flowkit tensor; put the tensor there"),
        (np.ones((1, 2), np.float32), r"is a numpy\.ndarray, .*flowkit\.from_numpy\(value\)"),
    ],
)
def test_load_state_dict_with_values_that_are_not_tensors(value, match):
    # PyTorch: "expected torch.Tensor or Tensor-like object from checkpoint but received ..."
    sd = {"fc.weight": value, "fc.bias": flow.zeros(1)}
    with pytest.raises(flow.StateDictError, match=match) as info:
        _Net().load_state_dict(sd)
    assert isinstance(info.value, RuntimeError)
    assert "load_state_dict into _Net" in str(info.value)


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_load_state_dict_with_torch_tensors_says_how_to_convert_them():
    sd = {"fc.weight": torch.ones(1, 2), "fc.bias": torch.zeros(1)}
    with pytest.raises(flow.StateDictError, match=r"is a torch\.Tensor.*flowkit\.tensor\(v\)"):
        _Net().load_state_dict(sd)
    net = _Net()
    net.load_state_dict({k: flow.tensor(v) for k, v in sd.items()})  # the fix works
    assert net.fc.weight.tolist() == [[1.0, 1.0]]


@pytest.mark.parametrize("sd", [[1, 2], None, "weights.safetensors"])
def test_load_state_dict_of_something_else_than_a_dict(sd):
    with pytest.raises(flow.ArgumentTypeError, match="expected a dict of tensors"):
        _Net().load_state_dict(sd)


def test_load_state_dict_with_a_key_that_is_not_a_string():
    sd = dict(_Net().state_dict())
    sd[3] = flow.ones(1)
    with pytest.raises(flow.StateDictError, match="unexpected keys: 3"):
        _Net().load_state_dict(sd)
    _Net().load_state_dict(sd, strict=False)


# ------------------------------------------------------------------ other arrays in flowkit ops
def _foreign_kinds():
    kinds = [pytest.param(lambda shape: np.ones(shape, np.float32), "numpy.ndarray", id="numpy")]
    if torch is not None:
        kinds.append(pytest.param(lambda shape: torch.ones(shape), "torch.Tensor", id="torch"))
    return kinds


OPS = {
    "t + x": lambda t, x: t + x,
    "x + t": lambda t, x: x + t,
    "t - x": lambda t, x: t - x,
    "x - t": lambda t, x: x - t,
    "t * x": lambda t, x: t * x,
    "x * t": lambda t, x: x * t,
    "t / x": lambda t, x: t / x,
    "t ** x": lambda t, x: t**x,
    "t // x": lambda t, x: t // x,
    "t % x": lambda t, x: t % x,
    "x % t": lambda t, x: x % t,
    "t == x": lambda t, x: t == x,
    "x == t": lambda t, x: x == t,
    "t != x": lambda t, x: t != x,
    "t < x": lambda t, x: t < x,
    "x < t": lambda t, x: x < t,
    "t @ x": lambda t, x: t @ x,
    "x @ t": lambda t, x: x @ t,
    "flow.matmul(t, x)": lambda t, x: flow.matmul(t, x),
    "flow.matmul(x, t)": lambda t, x: flow.matmul(x, t),
    "flow.add(t, x)": lambda t, x: flow.add(t, x),
    "t.add(x)": lambda t, x: t.add(x),
    "flow.maximum(t, x)": lambda t, x: flow.maximum(t, x),
    "t.clamp(x)": lambda t, x: t.clamp(x),
    "t.pow(x)": lambda t, x: t.pow(x),
    "flow.where(t > 0, t, x)": lambda t, x: flow.where(t > 0, t, x),
    "flow.cat([t, x])": lambda t, x: flow.cat([t, x]),
    "flow.stack([t, x])": lambda t, x: flow.stack([t, x]),
    "flow.sum(x)": lambda t, x: flow.sum(x),
    "F.relu(x)": lambda t, x: F.relu(x),
    "F.mse_loss(t, x)": lambda t, x: F.mse_loss(t, x),
}


@pytest.mark.parametrize("make, name", _foreign_kinds())
@pytest.mark.parametrize("op", list(OPS), ids=str)
def test_another_librarys_array_in_an_op_names_it_and_the_fix(op, make, name):
    t = flow.ones(2, 2)
    with pytest.raises(flow.ArgumentTypeError) as info:
        OPS[op](t, make((2, 2)))
    m = str(info.value)
    assert "cannot be mixed" in m and f"is a {name}" in m and "flowkit.tensor(x)" in m, m
    if name == "numpy.ndarray":
        assert "flowkit.from_numpy(x)" in m


def test_the_mixing_message_is_one_text():
    with pytest.raises(flow.ArgumentTypeError) as info:
        flow.ones(2) + np.ones(2)
    assert str(info.value) == (
        "add: a flowkit tensor and a numpy array cannot be mixed (an operand is a "
        "numpy.ndarray); convert it first with flowkit.from_numpy(x) (shares its memory) or "
        "flowkit.tensor(x) (a copy)"
    )
    with pytest.raises(flow.ArgumentTypeError, match=r"\(element 1 is a numpy\.ndarray\)"):
        flow.cat([flow.ones(2), np.ones(2)])
    with pytest.raises(flow.ArgumentTypeError, match=r"\(the first operand is a numpy"):
        np.ones((2, 2)) @ flow.ones(2, 2)


def test_numbers_lists_and_numpy_scalars_keep_their_behaviour():
    t = flow.ones(2)
    assert (t + np.float32(1)).tolist() == [2.0, 2.0]  # numpy scalars are numbers
    assert (np.float64(2) * t).dtype is flow.float32
    assert (t == [1.0, 1.0]) is False  # Python's answer for a list, as in PyTorch
    with pytest.raises(TypeError, match="unsupported operand"):
        t + [1, 2]
    assert [1, 2] * flow.tensor(2) == [1, 2, 1, 2]  # a one-element int tensor is an index


@pytest.mark.parametrize("kind", ["bitwise_and", "bitwise_or", "bitwise_xor"])
def test_a_numpy_array_on_the_left_of_a_bitwise_operator(kind):
    # (numpy computed these itself and returned an array)
    op = {"bitwise_and": "__and__", "bitwise_or": "__or__", "bitwise_xor": "__xor__"}[kind]
    with pytest.raises(flow.ArgumentTypeError, match=NUMPY_ARRAY):
        getattr(np.ones(2, np.int64), op)(flow.ones(2, dtype=flow.int64))
    assert getattr(np.int64(1), op)(flow.ones(2, dtype=flow.int64)).dtype is flow.int64


# ------------------------------------------------------------------ shapes and dims
@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda t: t.reshape(-1, -1),
            flow.ShapeError,
            exact("reshape: only one dimension can be -1 (inferred), got shape (-1, -1)"),
        ),
        (lambda t: t.view(-1, -1), flow.ShapeError, "only one dimension can be -1"),
        (lambda t: t.reshape(2.0, 2), flow.ArgumentTypeError, r"got 2\.0 \(float\)"),
        (lambda t: t.reshape("a"), flow.ArgumentTypeError, "sizes must be integers"),
        (lambda t: t.view(3), flow.ShapeError, r"cannot view a tensor of shape \(4,\)"),
        (lambda t: t.sum(1.0), flow.ArgumentTypeError, r"dim must be an int.*1\.0 \(float\)"),
        (lambda t: t.sum("a"), flow.ArgumentTypeError, "dim must be an int"),
        (lambda t: t.mean(1.5), flow.ArgumentTypeError, "dim must be an int"),
        (lambda t: t.sum(1), IndexError, "dimension 1 is out of range for a 1-d tensor"),
        (lambda t: flow.cat(t), flow.ArgumentTypeError, r"got one tensor; pass a list"),
    ],
)
def test_shape_and_dim_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call(flow.ones(4))


def test_reshape_of_an_empty_tensor_with_an_inferred_size():
    with pytest.raises(flow.ShapeError, match="the -1 could be any size"):
        flow.ones(0).reshape(0, -1)


# ------------------------------------------------------------------ optimizers
def _params():
    return flow.nn.Linear(2, 1).parameters()


@pytest.mark.parametrize(
    "make, error, match",
    [
        (
            lambda: flow.optim.SGD(None, lr=0.1),
            flow.ArgumentTypeError,
            "params must be an iterable of tensors .* got NoneType",
        ),
        (
            lambda: flow.optim.SGD([{"lr": 0.1}], lr=0.1),
            flow.ArgumentValueError,
            "a parameter group needs a 'params' key",
        ),
        (
            lambda: flow.optim.Adam(_params(), betas=0.9),
            flow.ArgumentTypeError,
            r"betas must be a pair \(beta1, beta2\), got 0\.9",
        ),
        (
            lambda: flow.optim.AdamW(_params(), betas=(0.9,)),
            flow.ArgumentTypeError,
            r"betas must be a pair",
        ),
    ],
)
def test_optimizer_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_a_parameter_listed_twice_is_named():
    w = flow.nn.Parameter(flow.ones(2))
    with pytest.raises(ValueError, match="parameters 0 and 2 are the same tensor"):
        flow.optim.SGD([w, flow.nn.Parameter(flow.ones(1)), w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        flow.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)


def test_a_used_up_generator_of_parameters():
    params = _params()
    flow.optim.SGD(params, lr=0.1)
    with pytest.raises(ValueError, match="generator used up already"):
        flow.optim.SGD(params, lr=0.1)


def test_batch_norm_of_an_input_without_channels():
    # (the message said "expected more than 1 value per channel" of a batch of 2)
    with pytest.raises(flow.ShapeError, match=r"has no channels \(dimension 1 is 0\)"):
        flow.nn.BatchNorm1d(0)(flow.ones(2, 0))


# ------------------------------------------------------------------ in-place ops and grad mode
@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda t: t.add_(np.ones(2)), flow.ArgumentTypeError, r"add_: .* numpy array"),
        (lambda t: t.mul_([1.0, 2.0]), flow.ArgumentTypeError, r"mul_: .* got list"),
        (lambda t: t.fill_(None), flow.ArgumentTypeError, r"fill_: .* got NoneType"),
        (lambda t: t.fill_("a"), flow.ArgumentTypeError, r"fill_: .* got str"),
        (
            lambda t: t.to(flow.uint8).fill_(300),
            flow.ArgumentValueError,
            r"fill_: 300 does not fit in flowkit\.uint8",
        ),
    ],
    ids=["add_-ndarray", "mul_-list", "fill_-None", "fill_-str", "fill_-uint8-300"],
)
def test_in_place_ops_refuse_what_pytorch_refuses(call, error, match):
    t = flow.ones(2)
    with pytest.raises(error, match=match):
        call(t)
    assert t.tolist() == [1.0, 1.0]  # nothing was written


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_an_in_place_op_with_a_raw_torch_tensor_is_refused():
    with pytest.raises(flow.ArgumentTypeError, match=r"add_: .* torch tensor"):
        flow.ones(2).add_(torch.ones(2))


def test_fill_takes_numbers_and_one_element_tensors_as_in_pytorch():
    u = flow.zeros(2, dtype=flow.uint8)
    u.fill_(-1)  # wraps, as in PyTorch
    assert u.tolist() == [255, 255]
    t = flow.zeros(2)
    t.fill_(flow.tensor(3.0))
    assert t.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("mode", ["no", 1, None])
def test_set_grad_enabled_takes_a_bool(mode):
    with pytest.raises(flow.ArgumentTypeError, match="mode must be a bool"):
        flow.set_grad_enabled(mode)
    assert flow.is_grad_enabled()

"""Elementwise math, comparisons and creation of issue 12 (part 1), where the conformance kit
cannot say it: the accuracy of the numpy backend's own erf/erfc/erfinv over the whole line,
second derivatives, ``arange`` with 0-d tensor bounds, ``where`` with a non-bool condition,
the default dtype, ``flowkit.Generator``. Written to pass on every backend."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

import flowkit as flow


@pytest.fixture(autouse=True)
def _default_dtype_restored():
    yield
    flow.set_default_dtype(flow.float32)


# ------------------------------------------------------------------------------ error functions
def test_erf_and_erfc_match_the_math_module_over_the_line():
    xs = np.concatenate(
        [np.linspace(-7.0, 7.0, 2801), [0.0, -0.0, 1e-300, 1.5, 2.5, 26.0, -26.0, 30.0]]
    )
    t = flow.tensor(xs, dtype=flow.float64)
    erf, erfc = t.erf().numpy(), t.erfc().numpy()
    want_erf = np.array([math.erf(v) for v in xs])
    want_erfc = np.array([math.erfc(v) for v in xs])
    np.testing.assert_allclose(erf, want_erf, rtol=1e-14, atol=1e-15)
    # erfc keeps its relative accuracy in the tail, where 1 - erf would be 0
    np.testing.assert_allclose(erfc, want_erfc, rtol=1e-13, atol=0)


def test_erf_special_values():
    t = flow.tensor([math.inf, -math.inf, math.nan], dtype=flow.float64)
    assert t.erf().tolist()[:2] == [1.0, -1.0] and math.isnan(t.erf().tolist()[2])
    assert t.erfc().tolist()[:2] == [0.0, 2.0] and math.isnan(t.erfc().tolist()[2])


def test_erfinv_inverts_erf():
    ys = np.concatenate([np.linspace(-0.999999, 0.999999, 2001), [1e-20, -1e-20, 0.0]])
    x = flow.tensor(ys, dtype=flow.float64).erfinv().numpy()
    want = np.array(
        [statistics.NormalDist().inv_cdf((1 + y) / 2) / math.sqrt(2) if y else 0.0 for y in ys]
    )
    np.testing.assert_allclose(x, want, rtol=1e-9, atol=1e-15)
    back = flow.tensor(x, dtype=flow.float64).erf().numpy()
    np.testing.assert_allclose(back, ys, rtol=0, atol=1e-15)
    edge = flow.tensor([1.0, -1.0, 1.5, -2.0], dtype=flow.float64).erfinv().tolist()
    assert edge[:2] == [math.inf, -math.inf] and all(math.isnan(v) for v in edge[2:])


def test_float32_error_functions_stay_float32():
    x = flow.tensor([0.25, -0.5])
    for op in ("erf", "erfc", "erfinv"):
        assert getattr(x, op)().dtype == flow.float32
    assert flow.tensor([1, 2]).erf().dtype == flow.float32  # integers give float32


# ------------------------------------------------------------------------------ gradients
@pytest.mark.parametrize(
    "op, x, d2",
    [
        ("tan", 0.3, lambda v: 2 * math.tan(v) / math.cos(v) ** 2),
        ("sinh", 0.3, math.sinh),
        ("cosh", 0.3, math.cosh),
        ("atan", 0.3, lambda v: -2 * v / (1 + v * v) ** 2),
        ("asin", 0.3, lambda v: v / (1 - v * v) ** 1.5),
        ("erf", 0.3, lambda v: -4 * v / math.sqrt(math.pi) * math.exp(-v * v)),
        ("erfinv", 0.3, None),
    ],
)
def test_second_derivatives(op, x, d2):
    t = flow.tensor([x], dtype=flow.float64, requires_grad=True)
    (g,) = flow.autograd.grad(getattr(t, op)().sum(), t, create_graph=True)
    (gg,) = flow.autograd.grad(g.sum(), t)
    if d2 is None:  # erfinv: y'' = 2 y y'^2, with y' = sqrt(pi)/2 exp(y^2)
        y = t.detach().erfinv().item()
        d1 = math.sqrt(math.pi) / 2 * math.exp(y * y)
        assert g.item() == pytest.approx(d1, rel=1e-12)
        assert gg.item() == pytest.approx(2 * y * d1 * d1, rel=1e-10)
    else:
        assert gg.item() == pytest.approx(d2(x), rel=1e-10)


def test_binary_gradients():
    a = flow.tensor([1.0, -2.0], dtype=flow.float64, requires_grad=True)
    b = flow.tensor([0.7, 0.9], dtype=flow.float64, requires_grad=True)
    ga, gb = flow.autograd.grad(flow.atan2(a, b).sum(), (a, b))
    r = (a * a + b * b).detach()
    assert np.allclose(ga.numpy(), (b.detach() / r).numpy())
    assert np.allclose(gb.numpy(), (-a.detach() / r).numpy())
    ga, gb = flow.autograd.grad(flow.fmod(a, b).sum(), (a, b))
    assert ga.tolist() == [1.0, 1.0] and gb.tolist() == [-1.0, 2.0]  # -trunc(a / b)


# ------------------------------------------------------------------------------ values
def test_fmod_takes_the_dividends_sign_remainder_the_divisors():
    x = flow.tensor([-3, 3])
    assert flow.fmod(x, 2).tolist() == [-1, 1]
    assert flow.remainder(x, 2).tolist() == [1, 1]
    assert flow.fmod(flow.tensor([-3.5, 3.5]), -2).tolist() == [-1.5, 1.5]
    with pytest.raises(ZeroDivisionError, match="fmod: integer division by zero"):
        flow.fmod(x, 0)


def test_logaddexp_does_not_overflow():
    out = flow.logaddexp(flow.tensor([1000.0, -1000.0]), flow.tensor([1000.0, -1000.0]))
    assert out.tolist() == pytest.approx([1000 + math.log(2), -1000 + math.log(2)])
    with pytest.raises(flow.DTypeError, match="logaddexp needs floating-point operands"):
        flow.logaddexp(flow.tensor([1]), flow.tensor([2]))


def test_trunc_frac_and_the_numpy_names():
    x = flow.tensor([-1.75, 1.75])
    assert x.trunc().tolist() == [-1.0, 1.0] and x.frac().tolist() == [-0.75, 0.75]
    assert flow.tensor([3, -3]).trunc().dtype == flow.int64
    with pytest.raises(flow.DTypeError, match=r"frac\(\) needs a floating-point tensor"):
        flow.tensor([1, 2]).frac()
    u = flow.tensor([0.5])
    assert flow.arcsin(u).item() == flow.asin(u).item() == u.arcsin().item()
    assert flow.arctan2(u, u).item() == pytest.approx(math.pi / 4)


def test_clamp_min_max_in_place():
    x = flow.tensor([-1.0, 0.5, 2.0])
    assert x.clamp_min_(0.0) is x and x.tolist() == [0.0, 0.5, 2.0]
    assert x.clamp_max_(1.0) is x and x.tolist() == [0.0, 0.5, 1.0]
    assert flow.clamp_min(flow.tensor([-2, 3]), flow.tensor([0, 5])).tolist() == [0, 5]


def test_isclose_allclose_equal():
    a, b = flow.tensor([1.0, math.nan]), flow.tensor([1.0 + 1e-7, math.nan])
    assert a.isclose(b).tolist() == [True, False]
    assert flow.isclose(a, b, equal_nan=True).tolist() == [True, True]
    assert a.allclose(b, equal_nan=True) is True
    assert flow.equal(flow.tensor([1, 2]), flow.tensor([1, 2])) is True
    assert flow.tensor([1, 2]).equal(flow.tensor([1, 2, 3])) is False
    with pytest.raises(flow.DTypeError, match="isclose: the tensors have different dtypes"):
        flow.isclose(flow.tensor([1.0]), flow.tensor([1]))


# ------------------------------------------------------------------------------ where
def test_where_takes_a_non_bool_condition_as_oneflow_does():
    c = flow.tensor([2, 0, -1])
    x = flow.tensor([1.0, 2.0, 3.0])
    assert flow.where(c, x, 0.0).tolist() == [1.0, 0.0, 3.0]
    assert x.where(flow.tensor([0.0, 0.5, 0.0]), -1.0).tolist() == [-1.0, 2.0, -1.0]


# ------------------------------------------------------------------------------ creation
def test_arange_with_0d_tensor_bounds_follows_their_dtype():
    out = flow.arange(flow.tensor(0.0), flow.tensor(5.0))
    assert out.dtype == flow.float32 and out.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert flow.arange(flow.tensor(3)).dtype == flow.int64
    assert flow.arange(0, flow.tensor(1.0), 0.5).tolist() == [0.0, 0.5]


def test_default_dtype_applies_to_creation():
    assert flow.get_default_dtype() == flow.float32
    flow.set_default_dtype(flow.float64)
    assert flow.get_default_dtype() == flow.float64
    for t in (
        flow.tensor([0.1]),
        flow.zeros(2),
        flow.ones(1),
        flow.empty(1),
        flow.full((1,), 0.5),
        flow.eye(2),
        flow.arange(0.0, 1.0),
        flow.arange(flow.tensor(0.0), flow.tensor(1.0)),
        flow.linspace(0, 1, 3),
        flow.rand(2),
        flow.randn(2),
    ):
        assert t.dtype == flow.float64
    assert flow.tensor([0.1]).item() == 0.1  # made in float64, not rounded through float32
    assert flow.tensor([1]).dtype == flow.int64 and flow.full((1,), 2).dtype == flow.int64
    with pytest.raises(flow.DTypeError, match="flowkit.float32 or flowkit.float64"):
        flow.set_default_dtype(flow.int32)
    assert flow.get_default_dtype() == flow.float64  # unchanged by the refused call


def test_generator_gives_its_own_reproducible_stream():
    flow.manual_seed(0)
    expected = flow.rand(4).tolist()
    flow.manual_seed(0)
    g = flow.Generator().manual_seed(123)
    a = flow.randn(3, generator=g)
    state = g.get_state()
    b = flow.randint(0, 100, (5,), generator=g)
    p = flow.randperm(6, generator=g)
    assert flow.rand(4).tolist() == expected  # the global generator did not move
    g.set_state(state)
    assert flow.randint(0, 100, (5,), generator=g).tolist() == b.tolist()
    assert flow.randperm(6, generator=g).tolist() == p.tolist()
    g2 = flow.Generator()
    assert g2.initial_seed() == 67280421310721
    assert flow.randn(3, generator=g2.manual_seed(123)).tolist() == a.tolist()
    s = g2.seed()
    assert g2.initial_seed() == s
    x = flow.randint_like(flow.zeros(2, 2), 5, 9, generator=flow.Generator().manual_seed(1))
    y = flow.randint_like(flow.zeros(2, 2), 5, 9, generator=flow.Generator().manual_seed(1))
    assert x.dtype == flow.float32 and x.tolist() == y.tolist()
    with pytest.raises(TypeError, match="generator must be a flowkit.Generator"):
        flow.rand(2, generator=0)


def test_generator_same_numbers_as_a_fresh_numpy_pcg64():
    # the numbers every backend draws: numpy's PCG64 on the host
    got = flow.rand(3, dtype=flow.float64, generator=flow.Generator().manual_seed(5)).numpy()
    want = np.random.Generator(np.random.PCG64(5)).random(3)
    assert np.array_equal(got, want)


def test_generator_for_data_loading():
    data = list(range(8))
    parts = [
        [len(s) for s in flow.utils.data.random_split(data, [5, 3], generator=g)]
        for g in (flow.Generator().manual_seed(2), flow.Generator().manual_seed(2))
    ]
    assert parts[0] == parts[1] == [5, 3]
    orders = [
        [b.tolist() for b in flow.utils.data.DataLoader(data, 4, shuffle=True, generator=g)]
        for g in (flow.Generator().manual_seed(3), flow.Generator().manual_seed(3))
    ]
    assert orders[0] == orders[1]


def test_nn_init_draws_from_a_generator_and_leaves_the_global_stream_alone():
    flow.manual_seed(0)
    expected_next = flow.rand(3).tolist()
    flow.manual_seed(0)
    g = flow.Generator().manual_seed(5)
    a = flow.nn.init.kaiming_uniform_(flow.empty(4, 6), nonlinearity="relu", generator=g)
    b = flow.nn.init.xavier_normal_(flow.empty(3, 3), generator=g)
    assert flow.rand(3).tolist() == expected_next  # the global generator did not move
    g.manual_seed(5)
    assert flow.equal(
        a, flow.nn.init.kaiming_uniform_(flow.empty(4, 6), nonlinearity="relu", generator=g)
    )
    assert flow.equal(b, flow.nn.init.xavier_normal_(flow.empty(3, 3), generator=g))
    with pytest.raises(TypeError, match="flowkit.Generator"):
        flow.nn.init.normal_(flow.empty(2), generator=7)

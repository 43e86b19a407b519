"""Findings: bugs and backend disagreements this suite found, each pinned as one exact case
(`finding`), and the kink/tie/special-value edges whose
subgradients finite differences cannot decide (the backends must agree on them)."""

from __future__ import annotations

from typing import Any

import numpy as np

import flowkit as flow

from ..core import EDGE, Case, edge, finding

F = flow.nn.functional


# ============================================================================ findings
# Each is one exact case; the property strategies above step around it (marked "pinned").
finding(
    "inplace-view-under-grad",
    "both backends: an in-place op through a view (v = y[0]; v.add_(10)) of a tensor in a "
    "graph goes through to y, as in PyTorch (the base moves onto a node that writes the view's "
    "new value, so gradients stay right), with grad mode on or off; item assignment into such a "
    "view (v[0] = 100) with grad mode on still raises AutogradError",
    lambda: Case(
        lambda x: _write_through_views(x),
        [np.array([[1.0, 2.0], [3.0, 4.0]])],
        lambda x: (
            np.array([[2.0, 0.0], [6.0, 0.0]]) * [[2.0], [1.0]],
            np.array([False, True, False, False, False]),
        ),
    ),
    "forward_with_grad",
    cross=False,
)


def _write_through_views(x):
    y = x * 1
    v = y[0]
    with flow.no_grad():  # written through to y
        v.add_(10)  # an in-place op on a view
        v[1] = 100.0  # item assignment into a view
    raised = []
    for write in (
        lambda: v.add_(1.0),
        lambda: v.__setitem__(1, 0.0),
        lambda: v.clamp_(0.0, 1.0),
        lambda: y.reshape(4).mul_(2.0),
        lambda: y.transpose(0, 1).masked_fill_(y > 5, 0.0),
    ):
        try:
            write()
            raised.append(False)
        except flow.AutogradError:
            raised.append(True)
    return y * flow.tensor([[2.0], [1.0]], dtype=y.dtype), flow.tensor(raised)


def _number_ok(fn) -> Any:
    """``fn`` as PyTorch takes it: a number where the declaration says Tensor."""
    return fn


# kinks, ties and special values: PyTorch's subgradients cannot be checked by finite
# differences, so the backends must agree on them (forward values and gradients)
edge("kink.relu0", lambda x: x.relu(), np.array([-1.0, 0.0, 2.0]))
edge("kink.abs0", lambda x: x.abs(), np.array([-1.0, 0.0, 2.0]))
edge("kink.leaky_relu0", lambda x: F.leaky_relu(x, 0.2), np.array([-1.0, 0.0, 2.0]))
edge("tie.max_all", lambda x: x.max(), np.array([1.0, 3.0, 3.0]))
edge("tie.min_dim", lambda x: x.min(1).values, np.array([[1.0, 1.0, 2.0], [0.5, 3.0, 0.5]]))
edge("tie.amax_keepdim", lambda x: x.max(0, keepdim=True)[0], np.array([[2.0, 1.0], [2.0, 1.0]]))
edge("tie.maximum", lambda x, y: x.maximum(y), np.array([1.0, 2.0]), np.array([1.0, 3.0]))
edge("tie.minimum", lambda x, y: flow.minimum(x, y), np.array([1.0, 2.0]), np.array([1.0, 3.0]))
edge("tie.clamp_bounds", lambda x: x.clamp(0.0, 1.0), np.array([0.0, 0.5, 1.0, 1.5]))
edge(
    "tie.clamp_tensor_bounds",
    lambda x, lo, hi: x.clamp(lo, hi),
    np.array([0.0, 1.0, 2.0]),
    np.array([0.0, 0.5, 3.0]),
    np.array([1.0, 1.0, 2.5]),
)
edge(
    "tie.argmax", lambda x: (x.argmax(), x.argmax(1), x.argmin(0)), np.array([[1, 3, 3], [2, 2, 0]])
)
edge("tie.max_pool2d", lambda x: F.max_pool2d(x, 2, 1), np.ones((1, 1, 3, 3)))
edge("tie.max_dim_bool", lambda x: x.max(0), np.array([[True, False], [True, True]]))
edge("zero.norm2", lambda x: x.norm(), np.zeros(3))
edge("zero.norm1", lambda x: x.norm(1), np.array([0.0, 1.0, -2.0]))
edge("zero.norm_inf_tie", lambda x: x.norm(float("inf")), np.array([2.0, -2.0, 1.0]))
edge("zero.prod_one", lambda x: x.prod(), np.array([2.0, 0.0, 3.0]))
edge("zero.prod_two", lambda x: x.prod(0), np.array([[0.0, 1.0], [0.0, 2.0]]))
edge("zero.sqrt", lambda x: x.sqrt(), np.array([0.0, 4.0]))
edge("zero.pow_half", lambda x: x**0.5, np.array([0.0, 4.0]))
edge("zero.rpow_base0", lambda x: 0.0**x, np.array([0.0, 1.0, 2.0]))
edge("zero.div", lambda x, y: x / y, np.array([1.0, 0.0, -1.0]), np.array([0.0, 0.0, 0.0]))
edge("inf.softmax", lambda x: F.softmax(x, 0), np.array([0.0, -np.inf, 1.0]))
edge("inf.log_softmax", lambda x: F.log_softmax(x, 0), np.array([0.0, -np.inf, 1.0]))
edge("large.softmax", lambda x: (F.softmax(x, 0), F.log_softmax(x, 0)), np.array([1e4, 0.0, -1e4]))
edge(
    "large.cross_entropy",
    lambda x: F.cross_entropy(x, flow.tensor([0, 2])),
    np.array([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0]]),
)
edge(
    "ignored.cross_entropy_all",
    lambda x: F.cross_entropy(x, flow.tensor([-100, -100])),
    np.array([[1.0, 2.0], [0.0, 1.0]]),
)
edge(
    "ignored.nll_all",
    lambda x: F.nll_loss(x, flow.tensor([-100]), reduction="sum"),
    np.array([[-1.0, -2.0]]),
)
edge("nan.max", lambda x: (x.max(), x.max(0), x.argmax(), x.sum()), np.array([1.0, np.nan, 3.0]))
edge(
    "nan.maximum",
    lambda x, y: (x.maximum(y), x.minimum(y)),
    np.array([1.0, np.nan]),
    np.array([np.nan, 0.0]),
)
edge("nan.clamp", lambda x: x.clamp(0.0, 0.5), np.array([1.0, np.nan, -1.0]))
edge("nan.compare", lambda x: (x == x, x < 1, x.isnan()), np.array([np.nan, 1.0]))
edge("nan.sign", lambda x: (x.sign(), flow.sign(x)), np.array([np.nan, -2.0, 0.0]))
edge("zero.std_grad", lambda x: (x.std(), x.std(0, keepdim=True)), np.array([2.0, 2.0, 2.0]))
edge("zero.pow_grad", lambda x, y: x**y, np.array([0.0, 0.0, 2.0]), np.array([0.0, 2.0, 0.0]))
edge(
    "round.half_even",
    lambda x: (x.round(), x.round(1)),
    np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.25, 0.35]),
)
edge(
    "remainder.exact",
    lambda x: (x % 1.5, x % -1.5, flow.remainder(x, -1.0)),
    np.array([3.0, -3.0, 0.0, 1.0]),
)
edge("floor_divide.signs", lambda x: (x // 2, x // -2, 7 // x), np.array([-7, 7, -1, 3]))
edge("int.sum_int32_overflow", lambda x: (x.sum(), x.prod()), np.array([2**30, 2**30], np.int32))
edge(
    "bool.sum_mean_any",
    lambda x: (x.sum(), x.any(), x.all(), x.int().sum(0)),
    np.array([[True, False], [True, True]]),
)
edge(
    "uint8.promote_int8",
    lambda x, y: (x + y, x * y, x.maximum(y)),
    np.array([200], np.uint8),
    np.array([-100], np.int8),
)
edge("getitem.bool_scalar", lambda x: (x[True], x[False], x[None, ..., None]), np.array([1.0, 2.0]))
edge(
    "getitem.neg_step_2d",
    lambda x: (x[::-1, ::2], x[1:, ::-2], x[..., ::-1]),
    np.arange(12.0).reshape(3, 4),
)
edge("setitem.neg_step", lambda x: _setitem_neg_step(x), np.arange(6.0))
edge("setitem.bool_fraction", lambda x: _setitem_value(x, 0.25), np.array([False, False]))
edge(
    "masked_fill.bool_fraction",
    lambda x, m: (x.masked_fill(m, 0.25), x.clone().masked_fill_(m, -0.5)),
    np.array([False, False]),
    np.array([True, False]),
)
edge(
    "maximum.0d_int_number",
    lambda x: (x.maximum(2), _number_ok(flow.minimum)(x, -1)),
    np.array(3, np.int32),
)
edge("fill.bool_fraction", lambda x: x.clone().fill_(0.25), np.array([False, False]))
edge("full.bool_fraction", lambda: flow.full((2,), 0.25, dtype=flow.bool))
edge("expand.write", lambda x: x.expand(2, 3).add_(1.0), np.array([[1.0], [2.0]]))
edge(
    "reduce.empty_dim_tuple",
    lambda x: (
        x.sum(dim=()),
        x.mean(()),
        x.any(dim=()),
        x.norm(dim=()),
        x.var(dim=()),
        x.sum((), True),
    ),
    np.arange(6.0).reshape(2, 3),
)
edge("reduce.duplicate_dims", lambda x: x.sum(dim=(0, -2)), np.ones((2, 3)))
edge("transpose.0d", lambda x: (x.transpose(0, 0), flow.transpose(x, -1, 0)), np.array(2.5))
edge("split.empty", lambda x: (x.split(0), x.chunk(2), x.split([0, 0])), np.zeros((0, 2)))
edge(
    "inplace.int_float_alpha",
    lambda x, y: x.clone().add_(y, alpha=0.5),
    np.array([1, 2]),
    np.array([1, 1]),
)
edge("inplace.int_clamp_float", lambda x: x.clone().clamp_(min=0.5), np.array([0, 2]))
edge(
    "cross_entropy.int32_target",
    lambda x: F.cross_entropy(x, flow.tensor(np.array([0, 1], np.int32))),
    np.array([[1.0, 2.0], [0.5, 0.1]]),
)
edge(
    "embedding.int32_padding",
    lambda w: F.embedding(flow.tensor(np.array([0, 2], np.int32)), w, padding_idx=0),
    np.ones((3, 2)),
)


def _setitem_neg_step(x):
    y = x * 1
    y[::-2] = flow.tensor([10.0, 20.0, 30.0], dtype=y.dtype)
    return y


def _setitem_value(x, v):
    y = x.clone()
    y[0] = v
    return y


# dtype edges where the backends disagree (cross-backend only: EDGE cases have no reference),
# each with the reason (the bool subtraction/rounding/relu/neg and negative-power edges above raise
# PyTorch's errors, or compute its values, on every backend: see the invalid cases of sub, pow
# and the dtype-keeping unary ops)
CROSS_EDGES: dict[str, str] = {
    "bool.pow_bool": "bool tensor ** bool tensor (also 0-d): an int8 result on numpy, torch's "
    "untranslated NotImplementedError ('\"pow\" not implemented for Bool'), "
    "as PyTorch raises",
    "bool.pow_bool_number": "bool tensor ** True: int8 on numpy, bool on torch (PyTorch: bool)",
    "bool.rpow_bool": "True ** bool tensor: int8 on numpy, torch's untranslated "
    "NotImplementedError (PyTorch raises)",
}
for _name in CROSS_EDGES:
    assert _name in EDGE, _name

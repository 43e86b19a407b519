"""Shape and indexing ops of issue 12 (part 2) beyond what the conformance kit expresses: in-place
writes through views of tensors in a graph, flatten's gradients, in-place scatter forms.
Runs on the backend FLOWKIT_BACKEND selects."""

from __future__ import annotations

import numpy as np
import pytest

import flowkit as flow

M = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def _through(write):
    x = flow.tensor(M, requires_grad=True)
    w = flow.tensor([2.0, 3.0], requires_grad=True)
    y = x * 2
    write(y, w)
    (y * flow.tensor(M)).sum().backward()
    return y.tolist(), x.grad.tolist(), None if w.grad is None else w.grad.tolist()


@pytest.mark.parametrize(
    "write, y, gx, gw",
    [
        (lambda y, w: y[0].add_(1), [[3, 5, 7], [8, 10, 12]], [[2, 4, 6], [8, 10, 12]], None),
        (lambda y, w: y[:, 1].mul_(3), [[2, 12, 6], [8, 30, 12]], [[2, 12, 6], [8, 30, 12]], None),
        (lambda y, w: y[1].sub_(1), [[2, 4, 6], [7, 9, 11]], [[2, 4, 6], [8, 10, 12]], None),
        (lambda y, w: y[:, 2].div_(2), [[2, 4, 3], [8, 10, 6]], [[2, 4, 3], [8, 10, 6]], None),
        (
            lambda y, w: y[:, 1].mul_(w),
            [[2, 8, 6], [8, 30, 12]],
            [[2, 8, 6], [8, 30, 12]],
            [8, 50],
        ),
        (lambda y, w: y.T[0].add_(w), [[4, 4, 6], [11, 10, 12]], [[2, 4, 6], [8, 10, 12]], [1, 4]),
        (
            lambda y, w: y[1][1:].mul_(10),
            [[2, 4, 6], [8, 100, 120]],
            [[2, 4, 6], [8, 100, 120]],
            None,
        ),
        (
            lambda y, w: y.reshape(3, 2)[0].mul_(w),
            [[4, 12, 6], [8, 10, 12]],
            [[4, 12, 6], [8, 10, 12]],
            [2, 8],
        ),
        (lambda y, w: y[0].clamp_(max=3), [[2, 3, 3], [8, 10, 12]], [[2, 0, 0], [8, 10, 12]], None),
    ],
)
def test_in_place_arithmetic_into_a_view_of_a_graph_tensor(write, y, gx, gw):
    got_y, got_gx, got_gw = _through(write)
    assert got_y == y
    assert got_gx == gx
    assert got_gw == gw


def test_in_place_into_a_view_of_a_leaf_that_requires_grad_is_refused():
    x = flow.tensor(M, requires_grad=True)
    with pytest.raises(flow.AutogradError):
        x[0].add_(1)


def test_view_write_then_view_write_again():
    x = flow.tensor(M, requires_grad=True)
    y = x * 1
    v = y[0]
    v.add_(1)
    v.mul_(2)  # v is still the view of y
    assert y.tolist() == [[4, 6, 8], [4, 5, 6]]
    y.sum().backward()
    assert x.grad.tolist() == [[2, 2, 2], [1, 1, 1]]


@pytest.mark.parametrize(
    "shape, s, e, transposed",
    [
        ((3,), 0, -1, False),
        ((1,), 0, 0, False),
        ((), 0, -1, False),
        ((2, 3), 0, -1, False),
        ((2, 3), 0, -1, True),
        ((2, 3), 1, 1, False),
        ((2, 3, 4), 1, -1, False),
        ((2, 3, 4), 0, 1, True),
    ],
)
@pytest.mark.parametrize("how", ["method", "function", "module"])
def test_flatten_gives_the_input_its_gradient(shape, s, e, transposed, how):
    x = flow.tensor(np.arange(float(np.prod(shape))).reshape(shape), requires_grad=True)
    y = x.transpose(0, 1) if transposed else x
    if how == "method":
        out = y.flatten(s, e)
    elif how == "function":
        out = flow.flatten(y, s, e)
    else:
        out = flow.nn.Flatten(s, e)(y)
    (out * out).sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())


def test_scatter_in_place_forms_inside_a_graph():
    x = flow.tensor(M, requires_grad=True)
    src = flow.tensor([[10.0, 20.0]], requires_grad=True)
    y = x * 1
    y.scatter_(1, flow.tensor([[2, 0]]), src)
    y.scatter_add_(0, flow.tensor([[1, 1, 1]]), flow.ones(1, 3))
    y.index_add_(1, flow.tensor([1]), flow.ones(2, 1), alpha=2)
    assert y.tolist() == [[20, 4, 10], [5, 8, 7]]
    (y * flow.tensor(M)).sum().backward()
    assert x.grad.tolist() == [[0, 2, 0], [4, 5, 6]]
    assert src.grad.tolist() == [[3, 1]]


def test_gather_gradient_accumulates_repeated_indices():
    x = flow.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.gather(0, flow.tensor([0, 0, 2])).sum().backward()
    assert x.grad.tolist() == [2, 0, 1]


def test_one_hot_is_int64_and_infers_num_classes():
    out = flow.nn.functional.one_hot(flow.tensor([[1], [3]]))
    assert out.dtype == flow.int64
    assert tuple(out.shape) == (2, 1, 4)


def test_stride_reports_the_contiguous_layout():
    assert flow.zeros(2, 3, 4).stride() == (12, 4, 1)
    assert flow.zeros(2, 3).T.stride() == (2, 1)
    assert flow.zeros(()).stride() == ()

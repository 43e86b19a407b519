"""The Tensors page's API on every backend: shape ops, indexing, reductions, elementwise ops and
conversions, with their values, dtypes, shapes, reprs and error messages (exact strings: a docs
page has one expected output for every backend).

The last section compares each op with raw PyTorch (values, dtypes, shapes and gradients), the
semantics flowkit follows.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import flowkit as flow


def exact(msg: str) -> str:
    return "^" + re.escape(msg) + "$"


def arr(t):
    return t.numpy()


# ------------------------------------------------------------------------------------ joining
def test_cat_values_dims_and_alias():
    a = flow.tensor([[1, 2], [3, 4]])
    b = flow.tensor([[5, 6]])
    c = flow.cat([a, b])
    assert c.tolist() == [[1, 2], [3, 4], [5, 6]] and c.dtype == flow.int64
    assert flow.cat((a, a), dim=1).tolist() == [[1, 2, 1, 2], [3, 4, 3, 4]]
    assert flow.cat([a, a], -1).shape == flow.Size([2, 4])
    assert flow.concat([a, b], 0).shape == flow.Size([3, 2])
    assert flow.cat([a]).tolist() == a.tolist()
    # 1-d empty tensors are skipped, as in PyTorch: the usual accumulator start
    acc = flow.tensor([])
    for _ in range(2):
        acc = flow.cat([acc, flow.ones(1, 2)])
    assert acc.shape == flow.Size([2, 2]) and acc.dtype == flow.float32


@pytest.mark.parametrize(
    "da,db,expected",
    [
        (flow.int64, flow.float32, flow.float32),
        (flow.float32, flow.float64, flow.float64),
        (flow.uint8, flow.int8, flow.int16),
        (flow.int32, flow.bool, flow.int32),
        (flow.bool, flow.bool, flow.bool),
    ],
)
def test_cat_and_stack_promote_dtypes_as_pytorch(da, db, expected):
    a, b = flow.ones(2, dtype=da), flow.zeros(2, dtype=db)
    assert flow.cat([a, b]).dtype == expected
    assert flow.stack([a, b]).dtype == expected


def test_stack_values_and_dims():
    a, b = flow.tensor([1.0, 2.0]), flow.tensor([3.0, 4.0])
    assert flow.stack([a, b]).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert flow.stack([a, b], dim=1).tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert flow.stack([a, b], dim=-1).shape == flow.Size([2, 2])
    assert flow.stack([flow.tensor(1.0), flow.tensor(2.0)]).tolist() == [1.0, 2.0]


def test_cat_and_stack_gradients():
    a = flow.tensor([[1.0, 2.0]], requires_grad=True)
    b = flow.tensor([[3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    c = flow.cat([a, b])
    assert c._grad_fn_name() == "CatBackward"
    (c * flow.tensor([[1.0], [2.0], [3.0]])).sum().backward()
    assert a.grad.tolist() == [[1.0, 1.0]]
    assert b.grad.tolist() == [[2.0, 2.0], [3.0, 3.0]]
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    s = flow.stack([x, x * 2, flow.ones(2)], dim=1)
    assert s._grad_fn_name() == "StackBackward"
    s.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_cat_errors():
    a = flow.zeros(2, 3)
    with pytest.raises(
        flow.ShapeError,
        match=exact(
            "cat: tensor 1 has shape (2, 4) but tensor 0 has shape (2, 3); sizes must match in "
            "every dimension except the one joined (dimension 0)"
        ),
    ):
        flow.cat([a, flow.zeros(2, 4)])
    with pytest.raises(
        flow.ShapeError,
        match=exact(
            "cat: tensors must have the same number of dimensions, but tensor 0 has shape "
            "(2, 3) and tensor 1 has shape (3,)"
        ),
    ):
        flow.cat([a, flow.zeros(3)])
    with pytest.raises(flow.ShapeError, match="tensor 0 is 0-d and cannot be concatenated"):
        flow.cat([flow.tensor(1.0), flow.tensor(2.0)])
    with pytest.raises(IndexError, match=exact("dimension 2 is out of range for a 2-d tensor")):
        flow.cat([a, a], dim=2)
    with pytest.raises(ValueError, match=exact("cat: expected a non-empty sequence of tensors")):
        flow.cat([])
    with pytest.raises(TypeError, match="cat: element 1 is a list, not a flowkit tensor"):
        flow.cat([a, [1, 2, 3]])
    with pytest.raises(TypeError, match="expected a sequence"):
        flow.cat(a)


def test_stack_errors():
    with pytest.raises(
        flow.ShapeError,
        match=exact(
            "stack: every tensor must have the same shape, but tensor 0 has shape (2, 3) and "
            "tensor 1 has shape (2, 4)"
        ),
    ):
        flow.stack([flow.zeros(2, 3), flow.zeros(2, 4)])
    with pytest.raises(
        IndexError,
        match=exact(
            "stack: dimension 3 is out of range: tensors of shape (2, 3) stack at a dimension "
            "from -3 to 2"
        ),
    ):
        flow.stack([flow.zeros(2, 3)], dim=3)
    with pytest.raises(ValueError, match="stack: expected a non-empty sequence"):
        flow.stack([])


# ------------------------------------------------------------------------------------ splitting
def test_split_and_chunk():
    x = flow.arange(10).reshape(5, 2)
    parts = x.split(2)
    assert isinstance(parts, tuple) and [p.shape[0] for p in parts] == [2, 2, 1]
    assert parts[2].tolist() == [[8, 9]]
    assert [p.tolist() for p in x.split([1, 4])][0] == [[0, 1]]
    assert [p.shape for p in x.split(1, dim=1)] == [flow.Size([5, 1])] * 2
    assert [p.tolist() for p in flow.split(flow.arange(5), 2)] == [[0, 1], [2, 3], [4]]
    # chunk: pieces of ceil(n / chunks), so 6 into 4 chunks is 3 pieces, as in PyTorch
    assert [p.tolist() for p in flow.arange(6).chunk(4)] == [[0, 1], [2, 3], [4, 5]]
    assert [p.tolist() for p in flow.chunk(flow.arange(5), 3)] == [[0, 1], [2, 3], [4]]
    assert [p.shape for p in x.chunk(2, -1)] == [flow.Size([5, 1])] * 2


def test_split_pieces_are_views_and_carry_gradients():
    x = flow.tensor([1.0, 2.0, 3.0, 4.0, 5.0], requires_grad=True)
    a, b = x.split([2, 3])
    assert a._grad_fn_name() == "SplitBackward"
    (a.sum() * 10 + (b * b).sum()).backward()
    assert x.grad.tolist() == [10.0, 10.0, 6.0, 8.0, 10.0]
    y = flow.arange(4)
    y.split(2)[1][0] = 100  # a view, as in PyTorch
    assert y.tolist() == [0, 1, 100, 3]


def test_split_and_chunk_errors():
    x = flow.arange(5)
    with pytest.raises(
        flow.ShapeError,
        match=exact(
            "split: sections [2, 2] add up to 4, but dimension 0 has size 5; they must add up "
            "to it exactly"
        ),
    ):
        x.split([2, 2])
    with pytest.raises(
        flow.ShapeError, match=exact("split: split_size must be a positive integer, got 0")
    ):
        x.split(0)
    with pytest.raises(
        flow.ShapeError, match=exact("chunk: chunks must be a positive integer, got 0")
    ):
        x.chunk(0)
    with pytest.raises(IndexError, match=exact("dimension 1 is out of range for a 1-d tensor")):
        x.split(2, dim=1)


# ------------------------------------------------------------------------------------ shape
def test_expand():
    x = flow.tensor([[1], [2]])
    e = x.expand(2, 3)
    assert e.tolist() == [[1, 1, 1], [2, 2, 2]] and e.dtype == flow.int64
    assert x.expand(-1, 4).shape == flow.Size([2, 4])
    assert x.expand((3, 2, 2)).shape == flow.Size([3, 2, 2])
    assert x.expand([2, 3]).shape == flow.Size([2, 3])
    assert flow.tensor(7.0).expand(2, 2).tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert flow.ones(3).expand_as(flow.zeros(2, 3)).shape == flow.Size([2, 3])
    w = flow.tensor([[1.0], [2.0]], requires_grad=True)
    out = w.expand(4, 2, 3)
    assert out._grad_fn_name() == "ExpandBackward"
    out.sum().backward()
    assert w.grad.tolist() == [[12.0], [12.0]]


def test_expand_errors_and_writes():
    x = flow.zeros(2, 3)
    with pytest.raises(
        flow.ShapeError,
        match=exact(
            "expand: cannot expand shape (2, 3) to (2, 4): dimension 1 has size 3, and only "
            "dimensions of size 1 can be expanded (to 4)"
        ),
    ):
        x.expand(2, 4)
    with pytest.raises(
        flow.ShapeError,
        match=exact(
            "expand: a tensor of shape (2, 3) needs at least 2 sizes, got 1 (3,); new "
            "dimensions can only be added in front"
        ),
    ):
        x.expand(3)
    with pytest.raises(flow.ShapeError, match="-1 \\(keep the size\\) works only"):
        x.expand(-1, 2, 3)
    e = flow.zeros(2, 1).expand(2, 3)
    msg = (
        "this tensor was made by expand, so several of its elements share one memory "
        "location and cannot be written separately; call .clone() first"
    )
    with pytest.raises(flow.ShapeError, match=exact("add_: " + msg)):
        e.add_(1)
    with pytest.raises(flow.ShapeError, match=exact("item assignment: " + msg)):
        e[0, 0] = 1.0
    c = e.clone()
    c[0, 0] = 1.0
    assert c.tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]


def test_squeeze_unsqueeze_flatten_permute_transpose_view():
    x = flow.zeros(1, 2, 1, 3)
    assert x.squeeze().shape == flow.Size([2, 3])
    assert x.squeeze(0).shape == flow.Size([2, 1, 3])
    assert x.squeeze(1).shape == flow.Size([1, 2, 1, 3])  # not size 1: unchanged
    assert x.squeeze((0, 2)).shape == flow.Size([2, 3])
    assert x.unsqueeze(-1).shape == flow.Size([1, 2, 1, 3, 1])
    assert x.unsqueeze(4).shape == flow.Size([1, 2, 1, 3, 1])
    assert x.flatten(1).shape == flow.Size([1, 6])
    assert x.flatten(1, 2).shape == flow.Size([1, 2, 3])
    assert x.permute(3, 1, 0, 2).shape == flow.Size([3, 2, 1, 1])
    assert x.transpose(1, -1).shape == flow.Size([1, 3, 1, 2])
    assert x.view(6, -1).shape == flow.Size([6, 1])
    assert flow.zeros(2, 3).T.shape == flow.Size([3, 2])
    with pytest.raises(
        IndexError,
        match=exact(
            "unsqueeze: dimension 3 is out of range for a 1-d tensor (a new dimension goes at "
            "-2 .. 1)"
        ),
    ):
        flow.zeros(2).unsqueeze(3)
    with pytest.raises(
        flow.ShapeError, match=exact("flatten: start_dim 1 comes after end_dim 0 in a 2-d tensor")
    ):
        flow.zeros(2, 3).flatten(1, 0)
    with pytest.raises(IndexError, match=exact("dimension 2 is out of range for a 2-d tensor")):
        flow.zeros(2, 3).squeeze(2)


def test_flip():
    x = flow.arange(6).reshape(2, 3)
    assert x.flip(0).tolist() == [[3, 4, 5], [0, 1, 2]]
    assert x.flip(0, 1).tolist() == [[5, 4, 3], [2, 1, 0]]
    assert flow.flip(x, (-1,)).tolist() == [[2, 1, 0], [5, 4, 3]]


# ------------------------------------------------------------------------------------ indexing
def test_basic_indexing():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = flow.tensor(a)
    for key in [
        0,
        -1,
        (1, 2),
        (1, -1, -2),
        slice(1, None),
        (slice(None), 1),
        (Ellipsis, 0),
        (0, Ellipsis, 1),
        (None, 0),
        (slice(None), None, 1),
        (slice(None, None, 2), slice(1, 3)),
        Ellipsis,
    ]:
        np.testing.assert_array_equal(t[key].numpy(), a[key], err_msg=repr(key))
    assert t[1, 2, 3].item() == 23.0 and t[1, 2, 3].shape == flow.Size([])


@pytest.mark.parametrize(
    "key",
    [
        slice(None, None, -1),
        (slice(None), slice(None, None, -2)),
        (slice(2, 0, -1), 1),
        (Ellipsis, slice(None, 1, -1)),
        (slice(None, None, -1), [0, 2, 0]),
    ],
)
def test_negative_step_slices_on_every_backend(key):
    a = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(flow.tensor(a)[key].numpy(), a[key])


def test_advanced_indexing():
    a = np.arange(12).reshape(3, 4)
    t = flow.tensor(a)
    np.testing.assert_array_equal(t[[2, 0, 2]].numpy(), a[[2, 0, 2]])
    np.testing.assert_array_equal(t[[[0, 1], [1, 2]]].numpy(), a[[[0, 1], [1, 2]]])  # an array
    np.testing.assert_array_equal(t[flow.tensor([1, -1])].numpy(), a[[1, -1]])
    np.testing.assert_array_equal(t[[0, 2], [1, 3]].numpy(), a[[0, 2], [1, 3]])
    np.testing.assert_array_equal(t[:, [3, 0]].numpy(), a[:, [3, 0]])
    np.testing.assert_array_equal(t[t % 2 == 0].numpy(), a[a % 2 == 0])
    np.testing.assert_array_equal(t[flow.tensor([True, False, True])].numpy(), a[[0, 2]])
    np.testing.assert_array_equal(t[flow.tensor(1)].numpy(), a[1])
    assert t[[True, False, True]].shape == flow.Size([2, 4])


def test_indexing_gradients():
    x = flow.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (x[[0, 0, 1]] * flow.tensor([[1.0], [2.0], [5.0]])).sum().backward()
    assert x.grad.tolist() == [[3.0, 3.0], [5.0, 5.0]]  # the repeated row accumulates
    x.grad = None
    x[x > 1.5].sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0], [1.0, 1.0]]
    x.grad = None
    x[::-1, 1].sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0], [0.0, 1.0]]


def test_index_errors():
    t = flow.zeros(3, 4)
    with pytest.raises(
        IndexError, match=exact("index 5 is out of range for dimension 0 of size 3 (shape (3, 4))")
    ):
        t[5]
    with pytest.raises(
        IndexError, match=exact("index -5 is out of range for dimension 1 of size 4 (shape (3, 4))")
    ):
        t[0, -5]
    with pytest.raises(
        IndexError, match=exact("index 7 is out of range for dimension 0 of size 3 (shape (3, 4))")
    ):
        t[flow.tensor([0, 7])]
    with pytest.raises(
        IndexError,
        match=exact(
            "too many indices for a tensor of shape (3, 4): 3 dimensions indexed, the tensor has 2"
        ),
    ):
        t[0, 0, 0]
    with pytest.raises(
        IndexError,
        match=exact(
            "a boolean mask of shape (2,) does not match the shape (3,) of the dimensions it "
            "indexes (from dimension 0 of a tensor of shape (3, 4))"
        ),
    ):
        t[flow.tensor([True, False])]
    with pytest.raises(
        IndexError, match="indices must be integers, .* not a tensor or list of float32"
    ):
        t[flow.tensor([0.5])]
    with pytest.raises(IndexError, match="not a float$"):
        t[1.5]


def test_item_assignment_forms():
    t = flow.zeros(3, 4)
    t[0] = 1.0
    t[1, ::2] = flow.tensor([2.0, 3.0])
    t[:, -1] = flow.tensor([7.0, 8.0, 9.0])
    t[2, [0, 1]] = 5.0
    t[..., 2] = flow.tensor(4.0)
    assert t.tolist() == [[1.0, 1.0, 4.0, 7.0], [2.0, 0.0, 4.0, 8.0], [5.0, 5.0, 4.0, 9.0]]
    t[t > 4.5] = 0.0
    assert t.tolist() == [[1.0, 1.0, 4.0, 0.0], [2.0, 0.0, 4.0, 0.0], [0.0, 0.0, 4.0, 0.0]]
    t[:] = flow.tensor([1.0, 2.0, 3.0, 4.0])  # broadcast over the rows
    assert t.tolist() == [[1.0, 2.0, 3.0, 4.0]] * 3
    t[flow.tensor([True, False, True])] = flow.tensor([[0.0, 0.0, 0.0, 0.0]])
    assert t[:, 0].tolist() == [0.0, 1.0, 0.0]
    r = flow.arange(5)
    r[::-2] = flow.tensor([10, 20, 30])  # written backwards on every backend
    assert r.tolist() == [30, 1, 20, 3, 10]
    i = flow.zeros(3, dtype=flow.int64)
    i[1] = 2.7  # cast on write: the tensor keeps its dtype
    i[flow.tensor([0])] = flow.tensor([1.9])
    assert i.tolist() == [1, 2, 0] and i.dtype == flow.int64


def test_item_assignment_errors():
    t = flow.zeros(3, 4)
    with pytest.raises(
        flow.ShapeError,
        match=exact(
            "item assignment: a value of shape (3,) cannot be broadcast to the indexed part of "
            "shape (4,)"
        ),
    ):
        t[0] = flow.tensor([1.0, 2.0, 3.0])
    with pytest.raises(
        IndexError, match=exact("index 3 is out of range for dimension 0 of size 3 (shape (3, 4))")
    ):
        t[3] = 1.0


def test_item_assignment_gradients():
    x = flow.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = flow.tensor([10.0, 20.0], requires_grad=True)
    y = x * 2
    y[[0, 2]] = v
    assert y._grad_fn_name() == "SetitemBackward"
    (y * flow.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 4.0, 0.0] and v.grad.tolist() == [1.0, 3.0]
    buf = flow.zeros(2, 2)
    w = flow.tensor(3.0, requires_grad=True)
    buf[buf == 0] = w  # a plain buffer becomes part of the graph
    buf.sum().backward()
    assert w.grad.item() == 4.0
    leaf = flow.zeros(2, requires_grad=True)
    with pytest.raises(flow.AutogradError, match="leaf tensor that requires grad"):
        leaf[0] = 1.0


# ------------------------------------------------------------------------------------ max / min
def test_max_min_whole_tensor_and_along_a_dim():
    x = flow.tensor([[1, 5, 2], [7, 0, 3]])
    assert x.max().item() == 7 and x.max().shape == flow.Size([]) and x.max().dtype == flow.int64
    assert flow.min(x).item() == 0
    r = x.max(dim=1)
    values, indices = r
    assert values.tolist() == [5, 7] and indices.tolist() == [1, 0]
    assert r.values is values and r.indices is indices and r[0] is values
    assert indices.dtype == flow.int64
    assert isinstance(r, tuple) and isinstance(r, flow.return_types.max)
    m = flow.min(x, 0, keepdim=True)
    assert m.values.tolist() == [[1, 0, 2]] and m.indices.tolist() == [[0, 1, 0]]
    assert x.max(keepdim=True).shape == flow.Size([1, 1])
    assert flow.tensor(2.5).max(0).values.item() == 2.5  # a 0-d tensor has dim 0


def test_max_repr_is_pytorch_style():
    r = flow.tensor([[1.0, 4.0], [3.0, 2.0]]).max(1)
    assert repr(r) == (
        "flowkit.return_types.max(\n"
        "values=tensor([4., 3.], dtype=flowkit.float32),\n"
        "indices=tensor([1, 0], dtype=flowkit.int64))"
    )
    assert repr(flow.tensor([2, 1]).min(0)).startswith("flowkit.return_types.min(\nvalues=")


def test_max_gradients():
    x = flow.tensor([[1.0, 5.0], [5.0, 2.0]], requires_grad=True)
    m = x.max()
    assert m._grad_fn_name() == "MaxBackward"
    m.backward()
    assert x.grad.tolist() == [[0.0, 0.5], [0.5, 0.0]]  # ties share, as in PyTorch
    x.grad = None
    x.min(dim=1).values.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_max_with_a_tensor_is_maximum():
    a, b = flow.tensor([1.0, 5.0]), flow.tensor([3.0, 2.0])
    assert a.max(b).tolist() == [3.0, 5.0] and flow.min(a, b).tolist() == [1.0, 2.0]


def test_max_errors():
    with pytest.raises(
        flow.ShapeError,
        match=exact(
            "max() of an empty tensor (shape (0,)) has no value; pass dim= to reduce a "
            "dimension of non-zero size"
        ),
    ):
        flow.zeros(0).max()
    with pytest.raises(TypeError, match=exact("max(): dim must be a single int, got tuple")):
        flow.zeros(2, 2).max((0, 1))
    with pytest.raises(IndexError, match=exact("dimension 2 is out of range for a 2-d tensor")):
        flow.zeros(2, 2).argmax(2)


def test_argmax_argmin():
    x = flow.tensor([[1.0, 9.0, 2.0], [8.0, 0.0, 8.0]])
    assert x.argmax().item() == 1 and x.argmax().dtype == flow.int64
    assert x.argmin().item() == 4
    assert x.argmax(dim=1).tolist() == [1, 0]  # the first of equal maxima
    assert flow.argmax(x, 0, keepdim=True).tolist() == [[1, 0, 1]]
    assert x.argmax(keepdim=True).shape == flow.Size([1, 1])
    assert flow.argmin(x, dim=-1).tolist() == [0, 1]
    assert flow.tensor([False, True]).argmax().item() == 1


# ------------------------------------------------------------------------------------ reductions
def test_prod():
    x = flow.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.prod().item() == 24.0
    assert x.prod(1).tolist() == [2.0, 12.0] and x.prod(0, keepdim=True).shape == (1, 2)
    assert flow.tensor([2, 3], dtype=flow.int32).prod().dtype == flow.int64
    assert flow.tensor([True, True]).prod().item() == 1
    assert flow.prod(flow.tensor([1, 2]), dtype=flow.float32).dtype == flow.float32
    w = flow.tensor([2.0, 0.0, 5.0], requires_grad=True)
    w.prod().backward()
    assert w.grad.tolist() == [0.0, 10.0, 0.0]  # exact with a zero among the factors


def test_std_var():
    a = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]], np.float32)
    x = flow.tensor(a)
    np.testing.assert_allclose(x.std().item(), a.std(ddof=1), rtol=1e-6)
    np.testing.assert_allclose(x.var(1).numpy(), a.var(1, ddof=1), rtol=1e-6)
    np.testing.assert_allclose(x.var(unbiased=False).item(), a.var(), rtol=1e-6)
    np.testing.assert_allclose(x.std(0, False).numpy(), a.std(0), rtol=1e-6)  # positional
    np.testing.assert_allclose(x.std(dim=(0, 1)).item(), a.std(ddof=1), rtol=1e-6)
    np.testing.assert_allclose(x.var(1, correction=0).numpy(), a.var(1), rtol=1e-6)
    assert x.std(1, keepdim=True).shape == flow.Size([2, 1])
    assert x.std().dtype == flow.float32
    assert flow.std(x, unbiased=False).shape == flow.Size([])
    assert math.isnan(flow.tensor([1.0]).std().item())  # n - 1 = 0, as in PyTorch
    with pytest.raises(
        flow.DTypeError,
        match=exact(
            "std() needs a floating-point tensor, this one is flowkit.int64; call .float() first"
        ),
    ):
        flow.tensor([1, 2]).std()


def test_norm():
    x = flow.tensor([[3.0, -4.0], [0.0, 12.0]])
    assert x.norm().item() == 13.0 and flow.norm(x, p=2).item() == 13.0
    assert x.norm(1).item() == 19.0
    assert x.norm(float("inf")).item() == 12.0
    assert x.norm("fro").item() == 13.0
    assert x.norm(dim=1).tolist() == [5.0, 12.0]
    np.testing.assert_allclose(x.norm(3).item(), (27 + 64 + 1728) ** (1 / 3), rtol=1e-6)
    z = flow.zeros(3, requires_grad=True)
    z.norm().backward()
    assert z.grad.tolist() == [0.0, 0.0, 0.0]  # not nan: PyTorch's subgradient
    with pytest.raises(flow.DTypeError, match="norm\\(\\) needs a floating-point tensor"):
        flow.tensor([1, 2]).norm()
    with pytest.raises(ValueError, match="matrix norms such as 'nuc' are not supported"):
        x.norm("nuc")


def test_any_all():
    x = flow.tensor([[True, False], [False, False]])
    assert x.any().item() is True and x.all().item() is False
    assert x.any(dim=1).tolist() == [True, False] and x.all(0).tolist() == [False, False]
    assert x.any(1, keepdim=True).shape == flow.Size([2, 1])
    assert flow.any(flow.tensor([0, 2])).dtype == flow.bool
    assert flow.all(flow.tensor([1.0, 2.0])).item() is True
    assert flow.tensor([1, 0], dtype=flow.uint8).any().dtype == flow.bool


# ------------------------------------------------------------------------------------ elementwise
def test_rounding_and_sign_keep_integer_dtypes():
    f = flow.tensor([-1.5, -0.5, 0.5, 1.5, 2.5])
    assert f.floor().tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert f.ceil().tolist() == [-1.0, -0.0, 1.0, 2.0, 3.0]
    assert f.round().tolist() == [-2.0, -0.0, 0.0, 2.0, 2.0]  # half to even, as PyTorch
    assert f.sign().tolist() == [-1.0, -1.0, 1.0, 1.0, 1.0]
    assert flow.round(flow.tensor([1.2345]), decimals=2).tolist() == [pytest.approx(1.23)]
    i = flow.tensor([-3, 0, 4])
    for op in ("floor", "ceil", "round", "sign"):
        assert getattr(i, op)().dtype == flow.int64
    assert i.sign().tolist() == [-1, 0, 1] and flow.floor(i).tolist() == [-3, 0, 4]
    assert flow.tensor([True, False]).sign().dtype == flow.bool
    x = flow.tensor([1.3], requires_grad=True)
    y = x.floor()
    assert y.requires_grad and y._grad_fn_name() == "FloorBackward"
    y.sum().backward()
    assert x.grad.tolist() == [0.0]


def test_float_functions():
    i = flow.tensor([1, 2, 4])
    for op, ref in [
        ("reciprocal", lambda a: 1 / a),
        ("rsqrt", lambda a: 1 / np.sqrt(a)),
        ("log1p", np.log1p),
        ("expm1", np.expm1),
        ("log2", np.log2),
        ("log10", np.log10),
    ]:
        out = getattr(i, op)()
        assert out.dtype == flow.float32, op  # integers give float32, as in PyTorch
        np.testing.assert_allclose(out.numpy(), ref(np.array([1.0, 2.0, 4.0])), rtol=1e-6)
        np.testing.assert_allclose(
            getattr(flow, op)(i.double()).numpy(), ref(np.array([1.0, 2.0, 4.0])), rtol=1e-12
        )


def test_maximum_minimum():
    a = flow.tensor([[1.0], [5.0]])
    b = flow.tensor([2.0, 3.0, 6.0])
    assert flow.maximum(a, b).tolist() == [[2.0, 3.0, 6.0], [5.0, 5.0, 6.0]]
    assert flow.minimum(a, b).tolist() == [[1.0, 1.0, 1.0], [2.0, 3.0, 5.0]]
    assert flow.maximum(flow.tensor([1, 4]), flow.tensor([2.5, 0.5])).dtype == flow.float32
    assert flow.maximum(flow.tensor([1, 4], dtype=flow.int32), flow.tensor(2)).dtype == flow.int32
    m = flow.maximum(flow.tensor([float("nan"), 1.0]), flow.tensor([1.0, float("nan")]))
    assert all(math.isnan(v) for v in m.tolist())  # NaN propagates, as in PyTorch
    x = flow.tensor([1.0, 2.0, 3.0], requires_grad=True)
    flow.maximum(x, flow.tensor([2.0, 2.0, 2.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 0.5, 1.0]  # a tie splits the gradient


def test_clamp():
    x = flow.tensor([-2.0, 0.5, 3.0])
    assert x.clamp(0.0, 1.0).tolist() == [0.0, 0.5, 1.0]
    assert x.clamp(min=0).tolist() == [0.0, 0.5, 3.0]
    assert flow.clamp(x, max=0).tolist() == [-2.0, 0.0, 0.0]
    assert flow.clip(x, -1, 1).tolist() == [-1.0, 0.5, 1.0] and x.clip(max=1).tolist()[2] == 1
    assert x.clamp(flow.tensor([0.0, 1.0, 2.0]), 2.5).tolist() == [0.0, 1.0, 2.5]
    i = flow.tensor([1, 5, 9])
    assert i.clamp(2, 6).tolist() == [2, 5, 6] and i.clamp(2, 6).dtype == flow.int64
    assert i.clamp(min=1.5).dtype == flow.float32
    assert math.isnan(flow.tensor([float("nan")]).clamp(0, 1).item())
    y = x.clone()
    view = y[1:]
    assert y.clamp_(0.0, 1.0) is y and y.tolist() == [0.0, 0.5, 1.0]
    assert view.tolist() == [0.5, 1.0]  # written in place
    w = flow.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    c = w.clamp(0.0, 1.0)
    assert c._grad_fn_name() == "ClampBackward"
    c.sum().backward()
    assert w.grad.tolist() == [0.0, 1.0, 0.0]


def test_clamp_errors():
    with pytest.raises(ValueError, match=exact("clamp: at least one of min and max must be given")):
        flow.zeros(2).clamp()
    with pytest.raises(
        flow.DTypeError,
        match=exact(
            "clamp_: cannot write a float32 result into this flowkit.int64 tensor in place; "
            "convert one of them with .to(dtype)"
        ),
    ):
        flow.tensor([1, 2]).clamp_(min=1.5)
    with pytest.raises(flow.DTypeError, match="clamp: not defined for bool tensors"):
        flow.tensor([True]).clamp(0, 1)


def test_where():
    x = flow.tensor([[-1.0, 2.0], [3.0, -4.0]])
    assert flow.where(x > 0, x, flow.zeros(2, 2)).tolist() == [[0.0, 2.0], [3.0, 0.0]]
    assert flow.where(x > 0, x, 0.0).tolist() == [[0.0, 2.0], [3.0, 0.0]]
    assert flow.where(x > 0, 1.0, -1.0).tolist() == [[-1.0, 1.0], [1.0, -1.0]]
    assert x.where(x < 0, flow.tensor([10.0, 20.0])).tolist() == [[-1.0, 20.0], [10.0, -4.0]]
    assert flow.where(flow.tensor([True, False]), flow.tensor([[1], [2]]), 0).tolist() == [
        [1, 0],
        [2, 0],
    ]
    c = flow.tensor([True, False])
    assert flow.where(c, 1, 0).dtype == flow.int64
    assert flow.where(c, 1, 0.5).dtype == flow.float32
    assert flow.where(c, True, False).dtype == flow.bool
    assert flow.where(c, flow.tensor([1, 2]), 2.5).dtype == flow.float32
    assert flow.where(c, flow.ones(2), flow.zeros(2, dtype=flow.float64)).dtype == flow.float64
    a = flow.tensor([1.0, 2.0], requires_grad=True)
    w = flow.where(c, a, a * 10)
    assert w._grad_fn_name() == "WhereBackward"
    w.sum().backward()
    assert a.grad.tolist() == [1.0, 10.0]


def test_where_errors():
    # a non-bool condition is accepted, as in OneFlow (non-zero is true)
    assert flow.where(flow.tensor([1, 0]), 1.0, 0.0).tolist() == [1.0, 0.0]
    with pytest.raises(
        flow.ShapeError,
        match=exact(
            "where: condition of shape (2,), input of shape (3,) and other of shape () cannot "
            "be broadcast together"
        ),
    ):
        flow.where(flow.tensor([True, False]), flow.zeros(3), 0.0)


def test_masked_fill():
    x = flow.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.masked_fill(x > 2, 0.0).tolist() == [[1.0, 2.0], [0.0, 0.0]]
    assert x.masked_fill(flow.tensor([True, False]), -1).tolist() == [[-1.0, 2.0], [-1.0, 4.0]]
    assert flow.masked_fill(x, x < 2, flow.tensor(9.0)).tolist()[0] == [9.0, 2.0]
    i = flow.tensor([1, 2, 3])
    f = i.masked_fill(i > 1, 0.5)
    assert f.dtype == flow.int64 and f.tolist() == [1, 0, 0]  # the tensor keeps its dtype
    y = x.clone()
    assert y.masked_fill_(y == 1, 100.0) is y and y.tolist()[0] == [100.0, 2.0]
    w = flow.tensor([1.0, 2.0], requires_grad=True)
    v = flow.tensor(5.0, requires_grad=True)
    out = w.masked_fill(flow.tensor([True, False]), v)
    assert out._grad_fn_name() == "MaskedFillBackward"
    out.sum().backward()
    assert w.grad.tolist() == [0.0, 1.0] and v.grad.item() == 1.0
    with pytest.raises(
        flow.DTypeError,
        match=exact(
            "masked_fill: the mask must be a bool tensor, got flowkit.int64; make one with a "
            "comparison (x > 0) or .bool()"
        ),
    ):
        x.masked_fill(flow.tensor([1, 0]), 0.0)
    with pytest.raises(
        flow.ShapeError,
        match=exact("masked_fill: the value must be a number or a 0-d tensor, got shape (1,)"),
    ):
        x.masked_fill(x > 0, flow.tensor([1.0]))
    with pytest.raises(
        flow.ShapeError,
        match=exact(
            "masked_fill: a mask of shape (3,) cannot be broadcast with the tensor of shape (2, 2)"
        ),
    ):
        x.masked_fill(flow.tensor([True, False, True]), 0.0)


def test_remainder_and_floor_divide_follow_python():
    a = flow.tensor([-7, -3, 3, 7])
    assert (a % 3).tolist() == [2, 0, 0, 1] and (a % -3).tolist() == [-1, 0, 0, -2]
    assert (a // 2).tolist() == [-4, -2, 1, 3] and (a // 2).dtype == flow.int64
    assert (10 % flow.tensor([3, 4])).tolist() == [1, 2]
    assert (10 // flow.tensor([3, 4])).tolist() == [3, 2]
    f = flow.tensor([-3.5, 3.5])
    assert (f % 2).tolist() == [0.5, 1.5] and (f // 2).tolist() == [-2.0, 1.0]
    assert flow.remainder(f, 2).dtype == flow.float32
    assert flow.floor_divide(flow.tensor([5], dtype=flow.int32), 2.5).dtype == flow.float32
    with pytest.raises(ZeroDivisionError, match=exact("remainder: integer division by zero")):
        a % 0
    with pytest.raises(ZeroDivisionError, match=exact("floor_divide: integer division by zero")):
        a // flow.tensor([1, 0, 1, 1])
    with pytest.raises(ZeroDivisionError, match=exact("floor_divide: integer division by zero")):
        1 // flow.tensor([0])
    x = flow.tensor([5.0, 7.5], requires_grad=True)
    assert not (x // 2).requires_grad  # no gradient, as the brief of //
    r = x % 2
    assert r._grad_fn_name() == "RemainderBackward"
    r.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_bitwise_and_logical_ops():
    p, q = flow.tensor([True, True, False]), flow.tensor([True, False, False])
    assert (p & q).tolist() == [True, False, False] and (p & q).dtype == flow.bool
    assert (p | q).tolist() == [True, True, False]
    assert (p ^ q).tolist() == [False, True, False]
    assert (~p).tolist() == [False, False, True]
    assert (p & True).tolist() == [True, True, False] and (True & p).dtype == flow.bool
    i = flow.tensor([12, 10])
    assert (i & 6).tolist() == [4, 2] and (i | 1).tolist() == [13, 11]
    assert (i ^ flow.tensor([1, 2])).tolist() == [13, 8] and (~i).tolist() == [-13, -11]
    assert (i & flow.tensor([True, False])).dtype == flow.int64
    f = flow.tensor([0.0, 2.0])
    assert flow.logical_and(f, flow.tensor([1, 1])).tolist() == [False, True]
    assert flow.logical_or(f, 0).tolist() == [False, True]
    assert flow.logical_xor(f, f).tolist() == [False, False]
    assert flow.logical_not(f).tolist() == [True, False] and f.logical_not().dtype == flow.bool
    with pytest.raises(
        flow.DTypeError,
        match=exact(
            "bitwise_and (&) needs bool or integer operands, got flowkit.float32 and "
            "flowkit.float32; for truth values of other dtypes use logical_and"
        ),
    ):
        f & f
    with pytest.raises(flow.DTypeError, match="got flowkit.int64 and a Python float"):
        i | 1.5
    with pytest.raises(
        flow.DTypeError,
        match=exact(
            "bitwise_not (~) needs a bool or integer tensor, got flowkit.float32; use "
            "logical_not for truth values of other dtypes"
        ),
    ):
        _ = ~f


def test_isnan_isinf_isfinite():
    x = flow.tensor([1.0, float("nan"), float("inf"), -float("inf")])
    assert x.isnan().tolist() == [False, True, False, False]
    assert flow.isinf(x).tolist() == [False, False, True, True]
    assert flow.isfinite(x).tolist() == [True, False, False, False]
    assert flow.isnan(flow.tensor([1, 2])).tolist() == [False, False]
    assert x.isnan().dtype == flow.bool


def test_zero_d_tensors_promote_like_numbers():
    # PyTorch's rule: a 0-d tensor decides the dtype only when its kind is higher
    f32, i32 = flow.tensor([1.0, 2.0]), flow.tensor([1, 2], dtype=flow.int32)
    assert (f32 + flow.tensor(2.0, dtype=flow.float64)).dtype == flow.float32
    assert (i32 * flow.tensor(3)).dtype == flow.int32
    assert (i32 + flow.tensor(1.5, dtype=flow.float64)).dtype == flow.float64
    assert (flow.tensor(1.0) + flow.tensor(1.0, dtype=flow.float64)).dtype == flow.float64
    assert (f32 + flow.tensor([1.0], dtype=flow.float64)).dtype == flow.float64


# ------------------------------------------------------------------------------------ conversion
def test_type_and_new_tensors():
    x = flow.tensor([1.0, 2.0])
    assert x.type() == "flowkit.FloatTensor"
    assert flow.tensor([1]).type() == "flowkit.LongTensor"
    assert flow.tensor([True]).type() == "flowkit.BoolTensor"
    assert x.type(flow.int64).dtype == flow.int64
    assert x.type("flowkit.DoubleTensor").dtype == flow.float64
    n = x.new_tensor([1, 2])
    assert n.dtype == flow.float32 and n.tolist() == [1.0, 2.0] and n.device == x.device
    assert x.new_zeros(2, 3).shape == flow.Size([2, 3]) and x.new_zeros((2,)).dtype == x.dtype
    assert x.new_ones(2, dtype=flow.int64).tolist() == [1, 1]
    assert flow.tensor([1]).new_full((2,), 2.5).tolist() == [2, 2]
    assert x.new_empty(3).shape == flow.Size([3])
    assert x.new_zeros(2, requires_grad=True).requires_grad


def test_conversions():
    x = flow.tensor([[1.5, 2.5]])
    assert x.tolist() == [[1.5, 2.5]] and x.T.tolist() == [[1.5], [2.5]]
    assert x.to(flow.int64).tolist() == [[1, 2]] and x.to(dtype=flow.float64).dtype == flow.float64
    assert x.to("cpu").device.type == "cpu" or x.device.type == "cuda"
    z = flow.zeros(2, 3, dtype=flow.int64)
    assert z.dtype == flow.int64 and z.tolist() == [[0, 0, 0], [0, 0, 0]]
    assert flow.ones((2,), dtype=flow.bool).tolist() == [True, True]
    assert flow.full((2,), 7).dtype == flow.int64 and flow.full((1,), 0.5).dtype == flow.float32
    a = np.arange(3)
    assert flow.from_numpy(a).numpy().tolist() == [0, 1, 2]


# ------------------------------------------------------------------------------------ reprs
def test_reprs_of_new_ops():
    x = flow.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    assert repr(x.std()) == "tensor(2.6458, dtype=flowkit.float32, grad_fn=<StdBackward>)"
    assert repr(x.clamp(0, 1)) == (
        "tensor([[1., 0.],\n        [1., 1.]], dtype=flowkit.float32, grad_fn=<ClampBackward>)"
    )
    assert repr(x.argmax()) == "tensor(3, dtype=flowkit.int64)"
    assert repr(x > 0) == ("tensor([[ True, False],\n        [ True,  True]], dtype=flowkit.bool)")
    names = {
        "NormBackward": x.norm(),
        "ProdBackward": x.prod(),
        "VarBackward": x.var(),
        "MinBackward": x.min(),
        "SignBackward": x.sign(),
        "CeilBackward": x.ceil(),
        "RoundBackward": x.round(),
        "ReciprocalBackward": x.reciprocal(),
        "RsqrtBackward": x.abs().rsqrt(),
        "Log1pBackward": x.abs().log1p(),
        "Expm1Backward": x.expm1(),
        "Log2Backward": x.abs().log2(),
        "Log10Backward": x.abs().log10(),
        "MaximumBackward": x.maximum(x * 2),
        "MinimumBackward": flow.minimum(x, 0.0),
        "FlipBackward": x.flip(0),
        "GetitemBackward": x[::-1],
    }
    for name, t in names.items():
        assert t._grad_fn_name() == name, name


def test_function_forms_match_the_methods():
    x = flow.tensor([[1.5, -2.5], [3.0, 0.0]])
    for name in ("sign", "floor", "ceil", "round", "isnan", "isinf", "isfinite", "logical_not"):
        assert getattr(flow, name)(x).tolist() == getattr(x, name)().tolist(), name
    for name in ("argmax", "argmin", "prod", "any", "all", "std", "var", "norm"):
        assert getattr(flow, name)(x).tolist() == getattr(x, name)().tolist(), name
    assert flow.max(x, 1).values.tolist() == x.max(1).values.tolist()


# ------------------------------------------------------------------------------------ torch oracle
# Each op is written once against `lib`, run on flowkit (this backend) and on raw PyTorch, and
# compared: values, dtype, shape, and the gradient of every float input.
_ORACLE = {
    "cat": (lambda lib, a, b: lib.cat([a, b.reshape(1, 3)], 0), "ff"),
    "stack": (lambda lib, a, b: lib.stack([a[0], b], 1), "ff"),
    "split": (lambda lib, a, b: a.split([1, 1], 0)[1] * b, "ff"),
    "chunk": (lambda lib, a, b: a.chunk(2, 1)[0] + 1, "ff"),
    "expand": (lambda lib, a, b: b.reshape(3, 1).expand(3, 2) * a.T, "ff"),
    "flip": (lambda lib, a, b: a.flip((0, 1)), "f"),
    "getitem_mask": (lambda lib, a, b: a[a > 0], "f"),
    "getitem_ints": (lambda lib, a, b: a[lib.tensor(np.array([1, 0, 1]))], "f"),
    "getitem_neg_step": (
        lambda lib, a, b: a[:, ::-2] if lib.name == "flowkit" else a.flip(1)[:, ::2],
        "f",
    ),
    "max": (lambda lib, a, b: a.max(), "f"),
    "max_dim": (lambda lib, a, b: a.max(1, keepdim=True)[0], "f"),
    "min_dim": (lambda lib, a, b: a.min(dim=0).values, "f"),
    "argmax": (lambda lib, a, b: a.argmax(1), "f"),
    "argmin_all": (lambda lib, a, b: a.argmin(), "f"),
    "prod": (lambda lib, a, b: a.prod(1), "f"),
    "prod_int": (lambda lib, a, b: a.prod(), "i"),
    "std": (lambda lib, a, b: a.std(1), "f"),
    "var": (lambda lib, a, b: a.var(unbiased=False), "f"),
    "norm": (lambda lib, a, b: a.norm(), "f"),
    "any": (lambda lib, a, b: a.any(1), "i"),
    "all": (lambda lib, a, b: a.all(), "i"),
    "sign": (lambda lib, a, b: a.sign(), "f"),
    "sign_int": (lambda lib, a, b: a.sign(), "i"),
    "floor_int": (lambda lib, a, b: a.floor(), "i"),
    "reciprocal_int": (lambda lib, a, b: a.reciprocal(), "i"),
    "log2_int": (lambda lib, a, b: (a.abs() + 1).log2(), "i"),
    "maximum": (lambda lib, a, b: a.maximum(b), "ff"),
    "minimum": (lambda lib, a, b: a.minimum(b), "ff"),
    "maximum_promote": (lambda lib, a, b: a.maximum(b), "if"),
    "clamp": (lambda lib, a, b: a.clamp(-0.5, 0.5), "f"),
    "clamp_int_float": (lambda lib, a, b: a.clamp(min=1.5), "i"),
    "clip": (lambda lib, a, b: a.clip(b, b + 1), "ff"),
    "where": (lambda lib, a, b: lib.where(a > 0, a, b), "ff"),
    "where_scalar": (lambda lib, a, b: lib.where(a > 0, a, 0.5), "i"),
    "remainder": (lambda lib, a, b: a % 0.7, "f"),
    "remainder_int": (lambda lib, a, b: a % 3, "i"),
    "rremainder_int": (lambda lib, a, b: 7 % (a.abs() + 1), "i"),
    "floor_divide": (lambda lib, a, b: a // 0.3, "f"),
    "floor_divide_int": (lambda lib, a, b: a // -2, "i"),
    "and": (lambda lib, a, b: a & b, "ii"),
    "xor_bool": (lambda lib, a, b: (a > 0) ^ (b > 0), "ii"),
    "invert": (lambda lib, a, b: ~a, "i"),
    "logical_or": (lambda lib, a, b: a.logical_or(b), "fi"),
    "masked_fill": (lambda lib, a, b: a.masked_fill(b > 0, 2.0), "fi"),
    "masked_fill_int": (lambda lib, a, b: a.masked_fill(b > 0, 2.7), "ii"),
    "isfinite": (lambda lib, a, b: (a / (a - a)).isfinite(), "f"),
    "add_0d_f64": (lambda lib, a, b: a + b.sum().double(), "ff"),
}


@pytest.mark.torch_oracle
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # numpy's, for isfinite's inf
@pytest.mark.parametrize("name", sorted(_ORACLE))
def test_against_torch(name):
    import torch

    fn, kinds = _ORACLE[name]
    rng = np.random.default_rng(0)
    raw = [
        rng.uniform(-2, 2, (2, 3)).astype(np.float32) if k == "f" else rng.integers(-3, 4, (2, 3))
        for k in kinds
    ]
    if len(raw) == 1:
        raw.append(raw[0])
    raw[1] = raw[1][0]  # the second operand is 1-d: broadcasting on every op

    lib_f = type(
        "L",
        (),
        {
            "name": "flowkit",
            "cat": staticmethod(flow.cat),
            "stack": staticmethod(flow.stack),
            "where": staticmethod(flow.where),
            "tensor": staticmethod(flow.tensor),
        },
    )
    lib_t = type(
        "L",
        (),
        {
            "name": "torch",
            "cat": staticmethod(torch.cat),
            "stack": staticmethod(torch.stack),
            "where": staticmethod(torch.where),
            "tensor": staticmethod(torch.from_numpy),
        },
    )
    fl = [flow.tensor(a, requires_grad=a.dtype.kind == "f") for a in raw]
    tl = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in raw]
    fo, to = fn(lib_f, *fl), fn(lib_t, *tl)
    assert fo.dtype.name == str(to.dtype).removeprefix("torch."), name
    assert tuple(fo.shape) == tuple(to.shape)
    np.testing.assert_allclose(fo.numpy(), to.detach().numpy(), rtol=1e-6, atol=1e-6)
    if name == "floor_divide":  # torch records a grad_fn that cannot run; flowkit records none
        assert not fo.requires_grad
        return
    assert fo.requires_grad == to.requires_grad
    if fo.requires_grad:
        fo.sum().backward()
        to.sum().backward()
        for f, t in zip(fl, tl, strict=True):
            if t.requires_grad:
                tg = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
                fg = np.zeros(t.shape) if f.grad is None else f.grad.numpy()
                np.testing.assert_allclose(fg, tg, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "name", ["maximum", "minimum", "remainder", "floor_divide", "bitwise_and", "logical_or"]
)
def test_named_binary_methods_reject_other_operands(name):
    with pytest.raises(
        TypeError, match=exact(f"{name}: expected a flowkit tensor or a number, got list")
    ):
        getattr(flow.tensor([1, 2]), name)([1, 2])


def test_softmax_methods_are_the_functional_ops():
    x = flow.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    s = x.softmax(dim=1)
    np.testing.assert_allclose(s.numpy(), flow.nn.functional.softmax(x, dim=1).numpy())
    np.testing.assert_allclose(s.sum(1).numpy(), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(x.log_softmax(1).exp().numpy(), s.numpy(), rtol=1e-6)

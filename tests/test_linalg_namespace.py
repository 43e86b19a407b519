"""``flowkit.linalg`` against ``torch.linalg``: values and gradients (float64) of ``norm``,
``vector_norm``, ``matrix_norm``, ``inv`` and ``cross`` for each ``ord``, ``dim`` and
``keepdim``; and the errors for what it does not compute (nuclear and spectral norms)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import flowkit as flow

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch_oracle

RNG = np.random.default_rng(11)
A = RNG.standard_normal((3, 4, 5))  # a batch of 3 matrices 4 x 5


def _both(fn, tfn, a):
    x = flow.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    y, ty = fn(x), tfn(t)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert tuple(y.shape) == tuple(ty.shape)
    w = RNG.standard_normal(tuple(ty.shape))
    (y * flow.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ord", [2, 1, 3.5, math.inf, -math.inf])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_vector_norm(ord, dim, keepdim):
    _both(
        lambda x: flow.linalg.vector_norm(x, ord, dim, keepdim),
        lambda t: torch.linalg.vector_norm(t, ord, dim, keepdim),
        A,
    )


@pytest.mark.parametrize("ord", ["fro", 1, -1, math.inf, -math.inf])
@pytest.mark.parametrize("dim", [(-2, -1), (2, 0)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_matrix_norm(ord, dim, keepdim):
    _both(
        lambda x: flow.linalg.matrix_norm(x, ord, dim, keepdim),
        lambda t: torch.linalg.matrix_norm(t, ord, dim, keepdim),
        A,
    )


@pytest.mark.parametrize(
    ("shape", "ord", "dim"),
    [
        ((3, 4, 5), None, None),
        ((5,), None, None),
        ((5,), 1, None),
        ((4, 5), None, None),
        ((4, 5), "fro", None),
        ((4, 5), math.inf, None),
        ((3, 4, 5), None, 2),
        ((3, 4, 5), 1, (1, 2)),
    ],
)
def test_norm_picks_a_vector_or_a_matrix_norm_as_torch(shape, ord, dim):
    a = A.reshape(-1)[: int(np.prod(shape))].reshape(shape)
    _both(
        lambda x: flow.linalg.norm(x, ord, dim),
        lambda t: torch.linalg.norm(t, ord, dim),
        a,
    )


def test_inv_and_cross():
    m = np.eye(3) * 3 + RNG.uniform(-0.5, 0.5, (2, 3, 3))
    _both(flow.linalg.inv, torch.linalg.inv, m)
    b = RNG.standard_normal((4, 3))
    _both(
        lambda x: flow.linalg.cross(x, flow.tensor(b)),
        lambda t: torch.linalg.cross(t, torch.tensor(b)),
        RNG.standard_normal((4, 3)),
    )


def test_what_needs_singular_values_says_so():
    x = flow.tensor(A)
    for ord in ("nuc", 2, -2):
        with pytest.raises(flow.ArgumentValueError, match="singular values"):
            flow.linalg.matrix_norm(x, ord)
    with pytest.raises(flow.ShapeError, match="vector_norm"):
        flow.linalg.matrix_norm(flow.ones(3))
    with pytest.raises(flow.ShapeError, match="1-d or 2-d"):
        flow.linalg.norm(x, ord=1)
    with pytest.raises(flow.ArgumentValueError, match="matrix_norm"):
        flow.linalg.vector_norm(x, "fro")

"""Activation modules: ``ReLU``, ``LeakyReLU``, ``GELU``, ``Sigmoid``, ``Tanh``, ``Softmax``,
``LogSoftmax``."""

from __future__ import annotations

from .. import functional as F
from ..module import Module


class ReLU(Module):
    """``max(x, 0)`` elementwise. (``inplace`` is kept for PyTorch code and its repr; flowkit
    always returns a new tensor.)

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.ReLU()(flow.tensor([-1.0, 2.0]))
        tensor([0., 2.], dtype=flowkit.float32)
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` where positive, ``negative_slope * x`` elsewhere.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.LeakyReLU(0.2)
        LeakyReLU(negative_slope=0.2)
    """

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """Gaussian error linear unit, exact (``approximate='none'``) or with tanh.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.GELU(approximate="tanh")
        GELU(approximate='tanh')
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """``1 / (1 + exp(-x))`` elementwise.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.Sigmoid()(flow.tensor([0.0]))
        tensor([0.5000], dtype=flowkit.float32)
    """

    def forward(self, input):
        return input.sigmoid()


class Tanh(Module):
    """Hyperbolic tangent, elementwise.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.Tanh()(flow.tensor([0.0]))
        tensor([0.], dtype=flowkit.float32)
    """

    def forward(self, input):
        return input.tanh()


class Softmax(Module):
    """Softmax along ``dim`` (numerically stable: the max is subtracted first).

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.Softmax(dim=1)(flow.tensor([[0.0, 0.0]]))
        tensor([[0.5000, 0.5000]], dtype=flowkit.float32)
    """

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``log(softmax(x))`` along ``dim``, computed as ``x - logsumexp(x)``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.LogSoftmax(dim=1)
        LogSoftmax(dim=1)
    """

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

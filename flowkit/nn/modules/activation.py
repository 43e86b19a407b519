"""Activation modules: ``ReLU``, ``LeakyReLU``, ``GELU``, ``Sigmoid``, ``Tanh``, ``Softmax``,
``LogSoftmax``, ``SiLU``, ``SELU``, ``CELU``, ``ELU``, ``Mish``, ``Softplus``, ``Hardswish``,
``Hardsigmoid``, ``PReLU``."""

from __future__ import annotations

from ..._creation import full
from .. import functional as F
from ..module import Module
from ..parameter import Parameter


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


# ------------------------------------------------ activations of issue 12, part 4
class _Inplace(Module):
    """An activation with PyTorch's ``inplace`` flag (kept for its repr; flowkit always
    returns a new tensor)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class SiLU(_Inplace):
    """``x * sigmoid(x)`` (swish).

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.SiLU()(flow.tensor([0.0, 2.0]))
        tensor([0.0000, 1.7616], dtype=flowkit.float32)
    """

    def forward(self, input):
        return F.silu(input)


class SELU(_Inplace):
    """Scaled exponential linear unit, PyTorch's constants.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.SELU()(flow.tensor([1.0]))
        tensor([1.0507], dtype=flowkit.float32)
    """

    def forward(self, input):
        return F.selu(input)


class Mish(_Inplace):
    """``x * tanh(softplus(x))``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.Mish()(flow.tensor([1.0]))
        tensor([0.8651], dtype=flowkit.float32)
    """

    def forward(self, input):
        return F.mish(input)


class Hardswish(_Inplace):
    """``x * min(max(x + 3, 0), 6) / 6``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.Hardswish()(flow.tensor([1.0]))
        tensor([0.6667], dtype=flowkit.float32)
    """

    def forward(self, input):
        return F.hardswish(input)


class Hardsigmoid(_Inplace):
    """``min(max(x + 3, 0), 6) / 6``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.Hardsigmoid()(flow.tensor([1.5]))
        tensor([0.7500], dtype=flowkit.float32)
    """

    def forward(self, input):
        return F.hardsigmoid(input)


class ELU(_Inplace):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.ELU(alpha=0.5)
        ELU(alpha=0.5)
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.CELU(alpha=2.0)(flow.tensor([-1.0]))
        tensor([-0.7869], dtype=flowkit.float32)
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        if alpha == 0:
            raise ValueError("CELU: alpha must not be 0 (the input is divided by it)")
        super().__init__(alpha, inplace)

    def forward(self, input):
        return F.celu(input, self.alpha)


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.Softplus(beta=2.0)
        Softplus(beta=2.0, threshold=20.0)
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class PReLU(Module):
    """``x`` where positive, ``weight * x`` elsewhere, with a learnt ``weight``: one slope
    (``num_parameters=1``) or one per channel (dimension 1 of the input), all ``init``.

    Examples:
        >>> import flowkit as flow
        >>> m = flow.nn.PReLU(num_parameters=2)
        >>> m
        PReLU(num_parameters=2)
        >>> m(flow.tensor([[-1.0, -2.0]]))
        tensor([[-0.2500, -0.5000]], dtype=flowkit.float32, grad_fn=<WhereBackward>)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        if num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be at least 1, got {num_parameters}")
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(full((num_parameters,), float(init), dtype=dtype, device=device))

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"

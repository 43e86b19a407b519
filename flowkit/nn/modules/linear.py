"""``Linear`` and ``Identity``."""

from __future__ import annotations

import math

from ..._creation import empty
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


class Identity(Module):
    """Returns its input unchanged (a placeholder layer); any arguments are ignored.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.Identity(54, unused=True)(flow.tensor([1.0, 2.0]))
        tensor([1., 2.], dtype=flowkit.float32)
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``; weight ``(out_features, in_features)``, initialised as in
    PyTorch (uniform in ``±1/sqrt(in_features)``) from flowkit's generator.

    Examples:
        >>> import flowkit as flow
        >>> layer = flow.nn.Linear(2, 1)
        >>> layer
        Linear(in_features=2, out_features=1, bias=True)
        >>> layer(flow.ones(4, 2)).shape
        flowkit.Size([4, 1])
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # = U(±1/sqrt(fan_in)), PyTorch's
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )

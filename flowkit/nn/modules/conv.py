"""``Conv2d``, ``Conv1d`` and ``ConvTranspose2d``."""

from __future__ import annotations

import math

from ..._creation import empty
from .. import functional as F
from .. import init
from ..common_types import _size_1_t, _size_2_t
from ..module import Module
from ..parameter import Parameter


class Conv2d(Module):
    """2-d convolution over ``(N, C, H, W)`` (or unbatched ``(C, H, W)``) input.

    Weight ``(out_channels, in_channels // groups, kh, kw)`` and bias are initialised as in
    PyTorch (``kaiming_uniform_(a=sqrt(5))``, bias ``U(±1/sqrt(fan_in))``) from flowkit's
    generator. ``padding``: an int, a pair, ``"valid"`` or ``"same"``.

    Examples:
        >>> import flowkit as flow
        >>> conv = flow.nn.Conv2d(1, 8, 3, padding=1)
        >>> conv
        Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
        >>> conv(flow.zeros(2, 1, 8, 8)).shape
        flowkit.Size([2, 8, 8, 8])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError(f"in_channels={in_channels} must be divisible by groups={groups}")
        if out_channels % groups != 0:
            raise ValueError(f"out_channels={out_channels} must be divisible by groups={groups}")
        kernel_size = F._pair("Conv2d", "kernel_size", kernel_size)
        stride = F._pair("Conv2d", "stride", stride)
        dilation = F._pair("Conv2d", "dilation", dilation)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'same', 'valid'}}"
                )
            if padding == "same" and stride != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = F._pair("Conv2d", "padding", padding)
        if padding_mode != "zeros":
            if padding_mode in ("reflect", "replicate", "circular"):
                raise NotImplementedError(
                    f"Conv2d: padding_mode={padding_mode!r} is not "
                    "supported by flowkit yet; only 'zeros'"
                )
            raise ValueError(
                "padding_mode must be one of {'zeros', 'reflect', 'replicate', "
                f"'circular'}}, but got padding_mode='{padding_mode}'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = False
        self.output_padding = (0, 0)
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = Parameter(
            empty(out_channels, in_channels // groups, *kernel_size, dtype=dtype, device=device)
        )
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # = U(±1/sqrt(fan_in)), PyTorch's
        if self.bias is not None:
            fan_in = self.weight.shape[1] * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.conv2d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


# ---------------------------------------------------- Conv1d, ConvTranspose2d (issue 12, part 5)
def _init_conv(weight, bias, fan_in: int) -> None:
    """PyTorch's default: ``kaiming_uniform_(a=sqrt(5))`` weight, bias ``U(±1/sqrt(fan_in))``."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


def _check_groups(in_channels: int, out_channels: int, groups: int) -> None:
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups != 0:
        raise ValueError(f"in_channels={in_channels} must be divisible by groups={groups}")
    if out_channels % groups != 0:
        raise ValueError(f"out_channels={out_channels} must be divisible by groups={groups}")


def _check_padding_mode(layer: str, padding_mode: str) -> None:
    if padding_mode == "zeros":
        return
    if padding_mode in ("reflect", "replicate", "circular"):
        raise NotImplementedError(
            f"{layer}: padding_mode={padding_mode!r} is not supported by flowkit yet; only 'zeros'"
        )
    raise ValueError(
        "padding_mode must be one of {'zeros', 'reflect', 'replicate', "
        f"'circular'}}, but got padding_mode='{padding_mode}'"
    )


class Conv1d(Module):
    """1-d convolution over ``(N, C, L)`` (or unbatched ``(C, L)``) input.

    Weight ``(out_channels, in_channels // groups, k)`` and bias are initialised as in PyTorch.
    ``padding``: an int, ``"valid"`` or ``"same"``.

    Examples:
        >>> import flowkit as flow
        >>> conv = flow.nn.Conv1d(2, 4, 3, padding=1)
        >>> conv
        Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=(1,))
        >>> conv(flow.zeros(5, 2, 10)).shape
        flowkit.Size([5, 4, 10])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _size_1_t,
        stride: _size_1_t = 1,
        padding: str | _size_1_t = 0,
        dilation: _size_1_t = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        _check_groups(in_channels, out_channels, groups)
        kernel = (F._single("Conv1d", "kernel_size", kernel_size),)
        stride_ = (F._single("Conv1d", "stride", stride),)
        dilation_ = (F._single("Conv1d", "dilation", dilation),)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'same', 'valid'}}"
                )
            if padding == "same" and stride_ != (1,):
                raise ValueError("padding='same' is not supported for strided convolutions")
            padding_: str | tuple[int] = padding
        else:
            padding_ = (F._single("Conv1d", "padding", padding),)
        _check_padding_mode("Conv1d", padding_mode)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel
        self.stride = stride_
        self.padding = padding_
        self.dilation = dilation_
        self.transposed = False
        self.output_padding = (0,)
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = Parameter(
            empty(out_channels, in_channels // groups, *kernel, dtype=dtype, device=device)
        )
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _init_conv(self.weight, self.bias, self.weight.shape[1] * self.kernel_size[0])

    def forward(self, input):
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return F.conv1d(
            input,
            self.weight,
            self.bias,
            self.stride[0],
            padding,
            self.dilation[0],
            self.groups,
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,):
            s += (
                f", padding={self.padding!r}"
                if isinstance(self.padding, str)
                else (f", padding={self.padding}")
            )
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class ConvTranspose2d(Module):
    """2-d transposed convolution over ``(N, C, H, W)`` (or ``(C, H, W)``) input: the gradient
    of ``Conv2d`` with respect to its input, used to upsample. Weight ``(in_channels,
    out_channels // groups, kh, kw)``, initialised as in PyTorch. ``forward(input,
    output_size=None)``: ``output_size`` picks the ``output_padding`` that gives that size.

    Examples:
        >>> import flowkit as flow
        >>> up = flow.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
        >>> up.extra_repr()
        '4, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1)'
        >>> up(flow.zeros(1, 4, 5, 5)).shape
        flowkit.Size([1, 2, 10, 10])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _size_2_t,
        stride: _size_2_t = 1,
        padding: _size_2_t = 0,
        output_padding: _size_2_t = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: _size_2_t = 1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        _check_groups(in_channels, out_channels, groups)
        if isinstance(padding, str):
            raise ValueError(f"ConvTranspose2d: padding must be an int or a pair, got {padding!r}")
        _check_padding_mode("ConvTranspose2d", padding_mode)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = F._pair("ConvTranspose2d", "kernel_size", kernel_size)
        self.stride = F._pair("ConvTranspose2d", "stride", stride)
        self.padding = F._pair("ConvTranspose2d", "padding", padding)
        self.output_padding = F._pair("ConvTranspose2d", "output_padding", output_padding)
        self.dilation = F._pair("ConvTranspose2d", "dilation", dilation)
        self.transposed = True
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = Parameter(
            empty(
                in_channels, out_channels // groups, *self.kernel_size, dtype=dtype, device=device
            )
        )
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        k = self.kernel_size
        _init_conv(self.weight, self.bias, self.weight.shape[1] * k[0] * k[1])

    def _output_padding(self, input, output_size) -> tuple[int, int]:
        if output_size is None:
            return self.output_padding
        size = [int(s) for s in output_size][-2:]
        if len(size) != 2:
            raise ValueError(
                f"ConvTranspose2d: output_size must hold 2 (or 4) sizes, got {output_size!r}"
            )
        pads = []
        for i in range(2):
            lo = (
                (input.shape[-2 + i] - 1) * self.stride[i]
                - 2 * self.padding[i]
                + self.dilation[i] * (self.kernel_size[i] - 1)
                + 1
            )
            hi = lo + max(self.stride[i], self.dilation[i]) - 1
            if not lo <= size[i] <= hi:
                raise ValueError(
                    f"ConvTranspose2d: requested an output size of {tuple(size)}, but valid "
                    f"sizes for dimension {i} range from {lo} to {hi} (for an input of "
                    f"shape {tuple(input.shape)})"
                )
            pads.append(size[i] - lo)
        return pads[0], pads[1]

    def forward(self, input, output_size=None):
        return F.conv_transpose2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self._output_padding(input, output_size),
            self.groups,
            self.dilation,
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s

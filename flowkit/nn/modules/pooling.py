"""Pooling layers: ``MaxPool2d``, ``MaxPool1d``, ``AvgPool1d``, ``AvgPool2d`` and the adaptive
pools."""

from __future__ import annotations

from .. import functional as F
from ..common_types import _size_1_t, _size_2_opt_t, _size_2_t
from ..module import Module


class MaxPool2d(Module):
    """The maximum over ``kernel_size`` windows of ``(N, C, H, W)`` (or ``(C, H, W)``) input;
    ``stride`` defaults to ``kernel_size``.

    Examples:
        >>> import flowkit as flow
        >>> pool = flow.nn.MaxPool2d(2)
        >>> pool
        MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        >>> pool(flow.zeros(1, 3, 8, 8)).shape
        flowkit.Size([1, 3, 4, 4])
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ):
        super().__init__()
        if return_indices:
            raise NotImplementedError("MaxPool2d: return_indices=True is not supported by flowkit")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return F.max_pool2d(
            input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


# ------------------------------------------------------------- more pooling (issue 12, part 5)
class MaxPool1d(Module):
    """The maximum over ``kernel_size`` windows of ``(N, C, L)`` (or ``(C, L)``) input;
    ``stride`` defaults to ``kernel_size``.

    Examples:
        >>> import flowkit as flow
        >>> pool = flow.nn.MaxPool1d(2)
        >>> pool
        MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        >>> pool(flow.zeros(1, 3, 8)).shape
        flowkit.Size([1, 3, 4])
    """

    def __init__(
        self,
        kernel_size: _size_1_t,
        stride: _size_1_t | None = None,
        padding: _size_1_t = 0,
        dilation: _size_1_t = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ):
        super().__init__()
        if return_indices:
            raise NotImplementedError("MaxPool1d: return_indices=True is not supported by flowkit")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return F.max_pool1d(
            input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


def _one(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


class AvgPool1d(Module):
    """The mean over ``kernel_size`` windows of ``(N, C, L)`` (or ``(C, L)``) input (see
    [`flowkit.nn.functional.avg_pool1d`][flowkit.nn.functional.avg_pool1d]).

    Examples:
        >>> import flowkit as flow
        >>> pool = flow.nn.AvgPool1d(3, stride=2)
        >>> pool
        AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))
        >>> pool(flow.ones(1, 2, 7))
        tensor([[[1., 1., 1.],
                 [1., 1., 1.]]], dtype=flowkit.float32)
    """

    def __init__(
        self,
        kernel_size: _size_1_t,
        stride: _size_1_t | None = None,
        padding: _size_1_t = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ):
        super().__init__()
        self.kernel_size = _one(kernel_size)
        self.stride = _one(stride if stride is not None and stride != [] else kernel_size)
        self.padding = _one(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return F.avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """The mean over ``kernel_size`` windows of ``(N, C, H, W)`` (or ``(C, H, W)``) input;
    ``stride`` defaults to ``kernel_size`` (see
    [`flowkit.nn.functional.avg_pool2d`][flowkit.nn.functional.avg_pool2d]).

    Examples:
        >>> import flowkit as flow
        >>> pool = flow.nn.AvgPool2d(2)
        >>> pool
        AvgPool2d(kernel_size=2, stride=2, padding=0)
        >>> pool(flow.ones(1, 3, 8, 8)).shape
        flowkit.Size([1, 3, 4, 4])
    """

    def __init__(
        self,
        kernel_size: _size_2_t,
        stride: _size_2_t | None = None,
        padding: _size_2_t = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None and stride != [] else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling of ``(N, C, L)`` (or ``(C, L)``) input to length ``output_size``.

    Examples:
        >>> import flowkit as flow
        >>> pool = flow.nn.AdaptiveAvgPool1d(2)
        >>> pool
        AdaptiveAvgPool1d(output_size=2)
        >>> pool(flow.tensor([[[1.0, 2.0, 3.0, 4.0]]]))
        tensor([[[1.5000, 3.5000]]], dtype=flowkit.float32)
    """

    def __init__(self, output_size: _size_1_t):
        super().__init__(output_size)

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average pooling of ``(N, C, H, W)`` (or ``(C, H, W)``) input to ``output_size`` (an int,
    a pair; ``None`` keeps that dimension's size) -- ``AdaptiveAvgPool2d(1)`` is global average
    pooling.

    Examples:
        >>> import flowkit as flow
        >>> pool = flow.nn.AdaptiveAvgPool2d((1, 1))
        >>> pool
        AdaptiveAvgPool2d(output_size=(1, 1))
        >>> pool(flow.ones(2, 3, 7, 5)).shape
        flowkit.Size([2, 3, 1, 1])
    """

    def __init__(self, output_size: _size_2_opt_t):
        super().__init__(output_size)

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveMaxPool2d(_AdaptivePool):
    """Max pooling of ``(N, C, H, W)`` (or ``(C, H, W)``) input to ``output_size``.

    Examples:
        >>> import flowkit as flow
        >>> pool = flow.nn.AdaptiveMaxPool2d(1)
        >>> pool
        AdaptiveMaxPool2d(output_size=1)
        >>> pool(flow.arange(16, dtype=flow.float32).reshape(1, 1, 4, 4))
        tensor([[[[15.]]]], dtype=flowkit.float32)
    """

    def __init__(self, output_size: _size_2_opt_t, return_indices: bool = False):
        super().__init__(output_size)
        if return_indices:
            raise NotImplementedError(
                "AdaptiveMaxPool2d: return_indices=True is not supported by flowkit"
            )
        self.return_indices = return_indices

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size)

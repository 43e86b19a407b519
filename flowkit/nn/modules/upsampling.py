"""``Upsample``: ``flowkit.nn.functional.interpolate`` as a layer."""

from __future__ import annotations

from .. import functional as F
from ..common_types import _ratio_any_t, _size_any_t
from ..module import Module


class Upsample(Module):
    """Resamples ``(N, C, L)`` or ``(N, C, H, W)`` input to ``size`` or by ``scale_factor``:
    ``mode`` ``"nearest"`` (default), ``"linear"``, ``"bilinear"`` (``align_corners``) or
    ``"area"`` (see [`flowkit.nn.functional.interpolate`][flowkit.nn.functional.interpolate]).

    Examples:
        >>> import flowkit as flow
        >>> up = flow.nn.Upsample(scale_factor=2)
        >>> up
        Upsample(scale_factor=2.0, mode='nearest')
        >>> up(flow.tensor([[[[1.0, 2.0]]]]))
        tensor([[[[1., 1., 2., 2.],
                  [1., 1., 2., 2.]]]], dtype=flowkit.float32)
    """

    def __init__(
        self,
        size: _size_any_t | None = None,
        scale_factor: _ratio_any_t | None = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor: _ratio_any_t | None = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"

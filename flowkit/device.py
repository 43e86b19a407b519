"""``flowkit.device``: where a tensor lives (``cpu:0``, ``cuda:1``)."""

from __future__ import annotations

from .errors import DeviceError

_KNOWN_TYPES = ("cpu", "cuda")


class device:  # noqa: N801 - named like torch.device / oneflow.device
    """A device: a type (``"cpu"`` or ``"cuda"``) and an index (0 when not given).

    Examples:
        >>> import flowkit as flow
        >>> d = flow.device("cuda:1")
        >>> d.type, d.index, str(d)
        ('cuda', 1, 'cuda:1')
        >>> flow.device("cpu")
        device(type='cpu', index=0)
    """

    __slots__ = ("type", "index")
    type: str  # declared for mypy: the slots are the only storage
    index: int

    def __init__(self, type: str | device, index: int | None = None):  # noqa: A002
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"flowkit.device expects a string like 'cpu' or 'cuda:0', got {type!r}")
        kind, _, idx = type.partition(":")
        if kind not in _KNOWN_TYPES:
            raise DeviceError(
                f"unknown device {type!r}; flowkit knows {', '.join(_KNOWN_TYPES)} "
                "(written 'cpu', 'cuda' or 'cuda:N')"
            )
        if idx:
            if index is not None:
                raise DeviceError(f"device {type!r} names an index twice (index={index})")
            if not idx.isdigit():
                raise DeviceError(f"device index in {type!r} must be a non-negative integer")
            index = int(idx)
        self.type = kind
        self.index = 0 if index is None else int(index)

    def __repr__(self) -> str:
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except DeviceError:
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def as_device(value) -> device:
    """Accept a device, a string or an int (a CUDA index, as torch does)."""
    if isinstance(value, device):
        return value
    if isinstance(value, int):
        return device("cuda", value)
    return device(value)


def mismatch_error(op: str, a: str, b: str) -> DeviceError:
    """Two operands of ``op`` on different devices (``a`` and ``b``: their names).

    Examples:
        >>> from flowkit.device import mismatch_error
        >>> print(mismatch_error("add", "cuda:0", "cpu:0"))
        add: the tensors are on different devices, cuda:0 and cpu:0; move one of them with
        .to(device), e.g. other.to('cuda:0')
    """
    return DeviceError(
        f"{op}: the tensors are on different devices, {a} and {b}; move one of "
        f"them with .to(device), e.g. other.to('{a}')"
    )


def cpu_only_error(backend: str, dev) -> DeviceError:
    """A CPU-only backend asked for another device.

    Examples:
        >>> from flowkit.device import cpu_only_error
        >>> print(cpu_only_error("numpy", "cuda:0"))
        the numpy backend has only the cpu device, not cuda:0; for CUDA run with ...
    """
    return DeviceError(
        f"the {backend} backend has only the cpu device, not {dev}; for CUDA run "
        "with FLOWKIT_BACKEND=torch on a machine with a GPU"
    )

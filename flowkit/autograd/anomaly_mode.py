"""Anomaly detection: find the op whose backward made a NaN (or an infinity).

A NaN made in backward spreads to every ``.grad`` it reaches, and the ``.grad`` says nothing of
where it came from. With anomaly detection on, every op records where the forward pass ran it,
and backward checks each op's gradients as it computes them: the first op that returns a NaN or
an infinity stops the backward with an [`AutogradError`][flowkit.errors.AutogradError] naming its
backward function, the shapes of its inputs and the line of the forward program that ran it. Any
other error inside backward (a changed saved tensor, say) gets that line too.

It costs time (a stack trace per op, a check per gradient): switch it on to debug, as in
PyTorch. Off, it costs nothing. The switch is process-wide, as PyTorch's is.

The text of the error is `nonfinite_gradient_error`'s on every backend; the forward call is
the user's own frames (flowkit's and the backends' frames are left out, so both backends print
the same lines).
"""

from __future__ import annotations

import functools
import os
import traceback

from .. import _plugins
from ..errors import AutogradError, shape_str

_enabled = False
_check_nan = True


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on.

    Examples:
        >>> import flowkit as flow
        >>> flow.autograd.is_anomaly_enabled()
        False
        >>> with flow.autograd.detect_anomaly():
        ...     print(flow.autograd.is_anomaly_enabled())
        True
    """
    return _enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection also checks every gradient for NaN and infinity (it can be on
    for the forward traces alone: ``detect_anomaly(check_nan=False)``).

    Examples:
        >>> import flowkit as flow
        >>> with flow.autograd.detect_anomaly(check_nan=False):
        ...     print(flow.autograd.is_anomaly_check_nan_enabled())
        False
    """
    return _check_nan


def _set(mode: bool, check_nan: bool) -> None:
    global _enabled, _check_nan
    _enabled, _check_nan = bool(mode), bool(check_nan)
    _plugins.get().set_detect_anomaly(_enabled, _check_nan)


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Context manager and decorator that switches anomaly detection on for a block.

    Args:
        check_nan: also stop at the first gradient with a NaN or an infinity (default). With
            ``False`` only the forward traces are recorded: other errors in backward name the
            forward line of their op.

    Examples:
        >>> import flowkit as flow
        >>> a = flow.tensor([1.0, 0.0], requires_grad=True)
        >>> with flow.autograd.detect_anomaly():
        ...     y = (a.sqrt() * 0).sum()  # sqrt's gradient at 0 is inf; * 0 makes it nan
        ...     try:
        ...         y.backward()
        ...     except flow.AutogradError as e:
        ...         print(str(e).splitlines()[0])
        Function 'SqrtBackward' returned nan values in its 0th output.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self._check_nan = check_nan

    def __enter__(self) -> detect_anomaly:
        self._prev = (_enabled, _check_nan)
        _set(True, self._check_nan)
        return self

    def __exit__(self, *exc) -> None:
        _set(*self._prev)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self._check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Switch anomaly detection on or off: at once as a call, or for a block as a context
    manager (the previous setting comes back at its end).

    Args:
        mode: on or off.
        check_nan: with ``mode`` on, also check every gradient for NaN and infinity.

    Examples:
        >>> import flowkit as flow
        >>> _ = flow.autograd.set_detect_anomaly(True)
        >>> flow.autograd.is_anomaly_enabled()
        True
        >>> _ = flow.autograd.set_detect_anomaly(False)
        >>> flow.autograd.is_anomaly_enabled()
        False
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (_enabled, _check_nan)
        _set(mode, check_nan)

    def __enter__(self) -> set_detect_anomaly:
        return self

    def __exit__(self, *exc) -> None:
        _set(*self._prev)


# ------------------------------------------------------------------ what backends call
_FLOWKIT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def user_frames(frames: list[str], skip: tuple[str, ...] = ()) -> list[str]:
    """The entries of a formatted stack (``traceback.format_list``'s strings) that lie outside
    flowkit and the directories in ``skip`` (a backend's own package, its framework): the lines
    the user wrote."""
    own = (_FLOWKIT_DIR, *skip)
    keep = []
    for entry in frames:  # '  File "/path/x.py", line 5, in f\n    code\n'
        parts = entry.split('"', 2)
        path = os.path.abspath(parts[1]) if len(parts) == 3 else ""
        if not path.startswith(own):
            keep.append(entry)
    return keep


def forward_trace(skip: tuple[str, ...] = ()) -> list[str]:
    """Where the forward pass is now (the user's frames, formatted): a backend records it on
    each op while anomaly detection is on."""
    return user_frames(traceback.format_list(traceback.extract_stack()[:-1]), skip)


def with_trace(message: str, trace: list[str] | None) -> str:
    """``message`` and the forward call of the op (as recorded by `forward_trace`)."""
    if not trace:
        return (
            message + "\nNo forward trace for this op: it ran before anomaly detection was "
            "switched on (wrap the forward pass in flowkit.autograd.detect_anomaly() too)"
        )
    return message + "\nForward call of the op (most recent call last):\n" + "".join(trace).rstrip()


def nonfinite_gradient_error(
    backward_fn: str, what: str, index: int, input_shapes: list, trace: list[str] | None
) -> AutogradError:
    """The first gradient with a NaN or an infinity, stopped in backward by anomaly detection.

    ``backward_fn`` is the op's grad_fn name, ``what`` ``"nan"`` or ``"inf"``, ``index`` the
    position of the bad gradient among the op's inputs, ``input_shapes`` one shape per input
    (``None`` for an input that needs no gradient), ``trace`` the forward call.

    Examples:
        >>> from flowkit.autograd.anomaly_mode import nonfinite_gradient_error
        >>> print(nonfinite_gradient_error("DivBackward", "nan", 1, [(2,), (2,)], None))
        Function 'DivBackward' returned nan values in its 1th output.
        Its inputs have shapes (2,), (2,); output 1 is the gradient for the input of shape (2,).
        No forward trace for this op: it ran before anomaly detection was switched on (wrap the forward pass in flowkit.autograd.detect_anomaly() too)
    """  # noqa: E501 - a doctest output is one line
    shapes = ", ".join("(needs no gradient)" if s is None else shape_str(s) for s in input_shapes)
    bad = input_shapes[index] if index < len(input_shapes) else None
    message = (
        f"Function '{backward_fn}' returned {what} values in its {index}th output.\n"
        f"Its inputs have shapes {shapes}; output {index} is the gradient for the input of shape "
        f"{shape_str(bad) if bad is not None else '?'}."
    )
    return AutogradError(with_trace(message, trace))

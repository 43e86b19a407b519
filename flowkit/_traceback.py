"""Tracebacks of flowkit's own errors end at the user's line.

When a program dies of a [`FlowkitError`][flowkit.errors.FlowkitError] (a bad shape, an unknown
backend...), the frames inside flowkit, its backends and pluggy below the user's last line say
nothing the message does not, and push the message out of sight: PyTorch's errors, raised in C++,
end at the user's call. So, as Python prints an uncaught flowkit error, the trailing run of
flowkit-internal frames is left out and a line says how many; ``FLOWKIT_TRACEBACK=full`` prints them
all. Nothing changes for other exceptions, for errors that are caught, or where another tool has
already replaced ``sys.excepthook`` (IPython, a debugger, an error reporter).
"""

from __future__ import annotations

import os
import sys
import traceback
from types import TracebackType

_INTERNAL = ("flowkit", "pluggy")  # module-name prefixes: flowkit, flowkit_numpy, ..., pluggy


def _internal(tb: TracebackType) -> bool:
    name = tb.tb_frame.f_globals.get("__name__") or ""
    return name.startswith(_INTERNAL) and name != "__main__"


def trim(tb: TracebackType | None) -> tuple[TracebackType | None, int]:
    """``tb`` without its trailing flowkit-internal frames, and how many were left out (none
    when every frame is internal: then there is no user line to end at)."""
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    keep = len(frames)
    while keep > 0 and _internal(frames[keep - 1]):
        keep -= 1
    if keep == 0 or keep == len(frames):
        return (frames[0] if frames else None), 0
    frames[keep - 1].tb_next = None
    return frames[0], len(frames) - keep


def _hook(etype, value, tb) -> None:
    from .errors import FlowkitError

    if isinstance(value, FlowkitError) and os.environ.get("FLOWKIT_TRACEBACK") != "full":
        tb, hidden = trim(tb)
        chained = value.__cause__ is not None or (
            value.__context__ is not None and not value.__suppress_context__
        )
        if hidden and not chained:
            # the frames, a line for the ones left out, then the error last, as Python prints
            out = ["Traceback (most recent call last):\n", *traceback.format_tb(tb)]
            out.append(
                f"  ({hidden} frame{'s' if hidden > 1 else ''} inside flowkit left out; "
                "FLOWKIT_TRACEBACK=full shows them)\n"
            )
            out += traceback.format_exception_only(etype, value)
            sys.stderr.write("".join(out))
            return
        sys.__excepthook__(etype, value.with_traceback(tb), tb)
        return
    sys.__excepthook__(etype, value, tb)


def install() -> None:
    """Print uncaught flowkit errors this way, unless something else owns the hook."""
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = _hook

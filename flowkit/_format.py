"""Tensor repr, written once for every backend (PyTorch's layout, OneFlow's always-shown dtype).

The printing works on a numpy copy of the data, so numpy and torch tensors with the same values
print the same text: a docs page has one expected output for every backend.
"""

from __future__ import annotations

import math

import numpy as np

PRECISION = 4
LINEWIDTH = 80
THRESHOLD = 1000  # more elements than this are summarised with "..."
EDGEITEMS = 3


class _Formatter:
    def __init__(self, values: np.ndarray, floating: bool):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        absv = np.abs(finite)
        vmin, vmax = float(absv.min()), float(absv.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        wide = vmax / vmin > 1000.0 or vmax > 1.0e8
        if self.int_mode:
            self.sci_mode = wide
        else:
            self.sci_mode = wide or vmin < 1.0e-4
        for v in finite.tolist():
            if self.sci_mode:
                w = len(f"{v:.{PRECISION}e}")
            elif self.int_mode:
                w = len(f"{v:.0f}") + 1
            else:
                w = len(f"{v:.{PRECISION}f}")
            self.max_width = max(self.max_width, w)

    def format(self, v) -> str:
        if self.floating:
            if self.sci_mode:
                s = f"{v:{self.max_width}.{PRECISION}e}"
            elif self.int_mode:
                s = f"{v:.0f}"
                if not (math.isinf(v) or math.isnan(v)):
                    s += "."
            else:
                s = f"{v:.{PRECISION}f}"
        else:
            s = str(v)
        return " " * (self.max_width - len(s)) + s


def _summarized(a: np.ndarray) -> np.ndarray:
    """The values that a summarised print shows (for the column widths)."""
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        if a.shape[0] > 2 * EDGEITEMS:
            return np.concatenate([a[:EDGEITEMS], a[-EDGEITEMS:]])
        return a
    if a.shape[0] > 2 * EDGEITEMS:
        parts = [_summarized(a[i]) for i in range(EDGEITEMS)]
        parts += [_summarized(a[i]) for i in range(a.shape[0] - EDGEITEMS, a.shape[0])]
    else:
        parts = [_summarized(x) for x in a]
    return np.stack(parts) if parts else a


def _vector(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, (LINEWIDTH - indent) // (fmt.max_width + 2))
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        data = [fmt.format(v) for v in a[:EDGEITEMS].tolist()] + [" ..."]
        data += [fmt.format(v) for v in a[-EDGEITEMS:].tolist()]
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    n = a.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        rows = [_nested(a[i], indent + 1, summarize, fmt) for i in range(EDGEITEMS)] + ["..."]
        rows += [_nested(a[i], indent + 1, summarize, fmt) for i in range(n - EDGEITEMS, n)]
    else:
        rows = [_nested(a[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def array_str(a: np.ndarray, floating: bool, indent: int) -> str:
    """The bracketed body of a tensor print, e.g. ``[[2.0000],\\n        [3.0000]]``."""
    if a.size == 0:
        return "[]"
    summarize = a.size > THRESHOLD
    fmt = _Formatter(_summarized(a) if summarize else a, floating)
    return _nested(a, indent, summarize, fmt)


def tensor_repr(
    values: np.ndarray,
    dtype,
    device,
    grad_fn_name: str | None,
    requires_grad: bool,
    extra: tuple[str, ...] = (),
) -> str:
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if values.size == 0 and values.ndim != 1:
        suffixes.append("size=" + str(tuple(values.shape)))
    body = array_str(values, dtype.is_floating_point, indent)
    if device is not None and device.type != "cpu":
        suffixes.append(f"device='{device}'")
    suffixes.extend(extra)  # a global tensor's placement= and sbp=
    suffixes.append(f"dtype={dtype!r}")
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    out = prefix + body
    last = len(body) - body.rfind("\n") + indent  # PyTorch's line-length rule, kept exactly
    for s in suffixes:
        if last + len(s) + 2 > LINEWIDTH:
            out += ",\n" + " " * indent + s
            last = indent + len(s)
        else:
            out += ", " + s
            last += len(s) + 2
    return out + ")"

"""The rules of the fused nn ops a backend implements (``linear``, ``mse_loss``, the class and
embedding indices, pooling sizes): the normalisers and error texts both backends use.

The ops themselves are declared on [`flowkit.backend.Backend`][flowkit.backend.Backend] (they are
not tensor methods), and their function forms are [`flowkit.nn.functional`][flowkit.nn.functional],
which checks and normalises the arguments before it calls the backend. What needs the data (indices
in range) is checked by the backend, with the messages here.
"""

from __future__ import annotations

from ..errors import DTypeError, ShapeError, shape_str

__all__: list[str] = []  # the function forms are flowkit.nn.functional's


def class_index_error(value: int, classes: int, input_shape, ignore_index: int) -> IndexError:
    """A class index outside ``[0, classes)`` in ``cross_entropy``/``nll_loss``."""
    return IndexError(
        f"class index {value} is out of range for an input of shape {shape_str(input_shape)} "
        f"with {classes} classes: class indices must be in [0, {classes - 1}] (or equal "
        f"ignore_index={ignore_index} to skip a sample)"
    )


def embedding_index_error(value: int, rows: int) -> IndexError:
    """An embedding index outside ``[0, rows)``."""
    return IndexError(
        f"embedding: index {value} is out of range for a table of {rows} rows "
        f"(num_embeddings={rows}); indices must be in [0, {rows - 1}]"
    )


def pool_out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output length; in ceil_mode the last window must start inside the
    input or its left padding.

    Examples:
        >>> from flowkit.ops.nn import pool_out_size
        >>> pool_out_size(5, 2, 2, 0, 1, False), pool_out_size(5, 2, 2, 0, 1, True)
        (2, 3)
    """
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def loss_shape_error(op: str, input_shape, target_shape) -> ShapeError:
    """A loss whose input and target shapes differ (it does not broadcast them)."""
    return ShapeError(
        f"{op}: input has shape {shape_str(input_shape)} but target has shape "
        f"{shape_str(target_shape)}; they must match (broadcasting them would silently "
        "compare every prediction with every target). Reshape one of them"
    )


def loss_dtype_error(op: str, input_dtype, target_dtype) -> DTypeError | None:
    """Why a loss refuses these dtypes (they must be one floating-point dtype), or ``None``."""
    if input_dtype != target_dtype:
        return DTypeError(
            f"{op}: input is {input_dtype!r} but target is {target_dtype!r}; "
            f"convert the target with .to({input_dtype!r})"
        )
    if not input_dtype.is_floating_point:
        return DTypeError(f"{op}: needs floating-point tensors, got {input_dtype!r}; call .float()")
    return None


def linear_error(x_shape, x_dtype, w_shape, w_dtype, bias_dtype=None) -> Exception | None:
    """Why ``linear`` cannot take these operands (checked in this order), or ``None``.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.ops.nn import linear_error
        >>> print(linear_error((4, 3), flow.float32, (1, 2), flow.float32))
        linear: input of shape (4, 3) does not fit a weight of shape (1, 2): the input's ...
    """
    if x_dtype != w_dtype:
        return DTypeError(
            f"linear: input is {x_dtype!r} but the weight is {w_dtype!r}; "
            f"convert the input with .to({w_dtype!r})"
        )
    if len(x_shape) == 0 or x_shape[-1] != w_shape[1]:
        return ShapeError(
            f"linear: input of shape {shape_str(x_shape)} does not fit a weight of shape "
            f"{shape_str(w_shape)}: the input's last dimension must be in_features={w_shape[1]}"
        )
    if bias_dtype is not None and bias_dtype != x_dtype:
        return DTypeError(
            f"linear: the bias is {bias_dtype!r} but the input and weight are "
            f"{x_dtype!r}; convert the bias with .to({x_dtype!r})"
        )
    return None

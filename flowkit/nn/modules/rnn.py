"""Recurrent layers: ``RNN`` (tanh/relu), ``LSTM``, ``GRU`` and their one-step cells
``RNNCell``, ``LSTMCell``, ``GRUCell``, with PyTorch's arguments, parameter names, shapes and
initialisation.

Each layer and direction is one call of the backend's ``rnn_layer`` op over the whole sequence:
a fused time loop with a hand-written backward pass on numpy, torch's own kernels
(``torch.lstm``...) on torch. Stacking layers, both directions, dropout between layers, batch
order and ``PackedSequence`` inputs are handled here, once, for every backend.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ... import _plugins
from ..._creation import empty, zeros
from ...errors import ArgumentValueError, DTypeError, ShapeError, shape_str
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _packed_lengths, pad_packed_sequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "RNN", "rnn_relu": "RNN"}


def _check_sizes(name: str, input_size, hidden_size) -> None:
    for arg, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise TypeError(f"{name}: {arg} should be of type int, got {type(v).__name__}")
    if hidden_size <= 0:
        raise ArgumentValueError(
            f"{name}: hidden_size must be greater than zero, got {hidden_size}"
        )
    if input_size < 0:
        raise ArgumentValueError(f"{name}: input_size must not be negative, got {input_size}")


def _mode_of(nonlinearity: str, name: str) -> str:
    if nonlinearity == "tanh":
        return "rnn_tanh"
    if nonlinearity == "relu":
        return "rnn_relu"
    raise ArgumentValueError(
        f"{name}: unknown nonlinearity {nonlinearity!r}; choose 'tanh' or 'relu'"
    )


def _check_input(name: str, x: Tensor, input_size: int, dtype, dims: tuple[int, ...]) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")
    if x.dim() not in dims:
        want = " or ".join(f"{d}-d" for d in dims)
        raise ShapeError(f"{name}: expected a {want} input, got shape {shape_str(tuple(x.shape))}")
    if x.shape[-1] != input_size:
        raise ShapeError(
            f"{name}: input of shape {shape_str(tuple(x.shape))} does not fit input_size="
            f"{input_size}: its last dimension must be {input_size}"
        )
    if x.dtype != dtype:
        raise DTypeError(
            f"{name}: input is {x.dtype!r} but the parameters are {dtype!r}; convert the "
            f"input with .to({dtype!r}) (or the module with .to(...))"
        )


def _check_hidden(name: str, what: str, h: Tensor, expected: tuple[int, ...], dtype) -> None:
    if not isinstance(h, Tensor):
        raise TypeError(f"{name}: {what} must be a Tensor, got {type(h).__name__}")
    if tuple(h.shape) != expected:
        raise ShapeError(
            f"{name}: {what} has shape {shape_str(tuple(h.shape))} but this input needs "
            f"{shape_str(expected)}"
        )
    if h.dtype != dtype:
        raise DTypeError(
            f"{name}: {what} is {h.dtype!r} but the parameters are {dtype!r}; convert it "
            f"with .to({dtype!r})"
        )


class RNNBase(Module):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: the parameters of every layer and direction
    (``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``, with a
    ``_reverse`` suffix for the backward direction) and the loop over them."""

    mode: str
    input_size: int
    hidden_size: int
    num_layers: int
    bias: bool
    batch_first: bool
    dropout: float
    bidirectional: bool
    proj_size: int

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = _NAMES[mode]
        _check_sizes(name, input_size, hidden_size)
        if not isinstance(num_layers, numbers.Integral) or num_layers <= 0:
            raise ArgumentValueError(
                f"{name}: num_layers must be a positive integer, got {num_layers!r}"
            )
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ArgumentValueError(
                f"{name}: dropout should be a number in range [0, 1] representing the "
                f"probability of an element being zeroed, got {dropout!r}"
            )
        if proj_size:
            raise ArgumentValueError(
                f"{name}: proj_size={proj_size} (LSTM with projections) is not supported by "
                "flowkit; use proj_size=0 and a Linear layer on the output"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=3,
            )
        self.mode = mode
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = 0
        gates = _GATES[mode] * self.hidden_size
        dirs = 2 if self.bidirectional else 1
        self._flat_weights_names: list[str] = []
        for layer in range(self.num_layers):
            in_size = self.input_size if layer == 0 else self.hidden_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [
                    ("weight_ih" + sfx, (gates, in_size)),
                    ("weight_hh" + sfx, (gates, self.hidden_size)),
                ]
                if self.bias:
                    shapes += [("bias_ih" + sfx, (gates,)), ("bias_hh" + sfx, (gates,))]
                for pname, shp in shapes:
                    setattr(self, pname, Parameter(empty(*shp, dtype=dtype, device=device)))
                    self._flat_weights_names.append(pname)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter uniform in ``±1/sqrt(hidden_size)`` (PyTorch's initialisation, in
        its parameter order), from flowkit's generator."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def _layer_params(self, layer: int, d: int) -> tuple:
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        w_ih = getattr(self, "weight_ih" + sfx)
        w_hh = getattr(self, "weight_hh" + sfx)
        if self.bias:
            return w_ih, w_hh, getattr(self, "bias_ih" + sfx), getattr(self, "bias_hh" + sfx)
        return w_ih, w_hh, None, None

    def forward(self, input, hx=None):
        name = type(self).__name__
        lstm = self.mode == "lstm"
        w0 = self.weight_ih_l0
        dtype = w0.dtype
        dirs = 2 if self.bidirectional else 1
        packed = isinstance(input, PackedSequence)
        lengths = None
        if packed:
            lengths = _packed_lengths(input)
            x, _ = pad_packed_sequence(input)  # (T, B, I)
            _check_input(name, x, self.input_size, dtype, (3,))
            unbatched = False
        else:
            _check_input(name, input, self.input_size, dtype, (2, 3))
            unbatched = input.dim() == 2
            if unbatched:
                x = input.unsqueeze(1)
            else:
                x = input.transpose(0, 1) if self.batch_first else input
        t_len, batch = x.shape[0], x.shape[1]
        if t_len == 0:
            raise ShapeError(
                f"{name}: the input has no time steps (shape {shape_str(tuple(input.shape))}); "
                "a sequence needs at least one"
            )
        hshape = (self.num_layers * dirs, batch, self.hidden_size)
        h0: Any
        c0: Any = None
        if hx is None:
            h0 = zeros(*hshape, dtype=dtype, device=x.device)
            c0 = zeros(*hshape, dtype=dtype, device=x.device) if lstm else None
        else:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{name}: hx must be a tuple (h_0, c_0) of tensors")
                h0, c0 = hx
            else:
                h0 = hx
            want = hshape[::2] if unbatched else hshape
            parts = [("h_0", h0)] + ([("c_0", c0)] if lstm else [])
            for what, h in parts:
                _check_hidden(name, what, h, want, dtype)
            if unbatched:
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if lstm else None
        backend = _plugins.get()
        layer_in = x
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                w_ih, w_hh, b_ih, b_hh = self._layer_params(layer, d)
                out, h, c = backend.rnn_layer(
                    self.mode,
                    layer_in,
                    h0[k],
                    c0[k] if lstm else None,
                    w_ih,
                    w_hh,
                    b_ih,
                    b_hh,
                    bool(d),
                    None if lengths is None else tuple(lengths),
                )
                outs.append(out)
                hs.append(h)
                cs.append(c)
            layer_in = outs[0] if dirs == 1 else _cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        output = layer_in
        h_n = _stack(hs, 0)
        c_n = _stack(cs, 0) if lstm else None
        if packed:
            output = _repack(output, input)
        elif unbatched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, ((h_n, c_n) if lstm else h_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.mode == "rnn_relu":
            s += ", nonlinearity='relu'"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


def _cat(ts, dim):
    import flowkit as flow

    return flow.cat(ts, dim)


def _stack(ts, dim):
    import flowkit as flow

    return flow.stack(ts, dim)


def _repack(output: Tensor, like: PackedSequence) -> PackedSequence:
    """The padded ``(T, B, H)`` output as a PackedSequence laid out as ``like``."""
    import numpy as np

    from ... import _creation
    from ..utils.rnn import _packed_index

    lens = _packed_lengths(like)
    order = (
        list(range(len(lens)))
        if like.sorted_indices is None
        else [int(v) for v in like.sorted_indices.tolist()]
    )
    t_idx, b_idx = _packed_index([lens[i] for i in order], order)
    dev = output.device
    ti = _creation.tensor(np.asarray(t_idx, np.int64), device=dev)
    bi = _creation.tensor(np.asarray(b_idx, np.int64), device=dev)
    return PackedSequence(
        output[ti, bi], like.batch_sizes, like.sorted_indices, like.unsorted_indices
    )


class RNN(RNNBase):
    """An Elman RNN, ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (``relu`` with
    ``nonlinearity='relu'``), over ``num_layers`` stacked layers, optionally bidirectional.

    Input ``(T, B, input_size)`` (``(B, T, input_size)`` with ``batch_first``; ``(T,
    input_size)`` unbatched; or a `flowkit.nn.utils.rnn.PackedSequence`) and an optional
    ``h_0`` ``(num_layers * num_directions, B, hidden_size)`` (zeros); returns ``(output,
    h_n)`` as PyTorch. Parameters and initialisation are PyTorch's (``weight_ih_l0``...,
    uniform in ``±1/sqrt(hidden_size)``, drawn from flowkit's generator: one seed gives the same
    weights on every backend).

    Examples:
        >>> import flowkit as flow
        >>> rnn = flow.nn.RNN(4, 3, num_layers=2, batch_first=True)
        >>> rnn
        RNN(4, 3, num_layers=2, batch_first=True)
        >>> out, h_n = rnn(flow.ones(2, 5, 4))
        >>> out.shape, h_n.shape
        (flowkit.Size([2, 5, 3]), flowkit.Size([2, 2, 3]))
    """

    def __init__(self, *args, **kwargs):
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if len(args) > 3:  # (input_size, hidden_size, num_layers, nonlinearity, bias, ...)
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        super().__init__(_mode_of(nonlinearity, "RNN"), *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """A long short-term memory network (PyTorch's gates ``i, f, g, o``; ``c_t = f * c_{t-1} +
    i * g``, ``h_t = o * tanh(c_t)``), over ``num_layers`` layers, optionally bidirectional.

    Input as `RNN`; ``hx`` an optional ``(h_0, c_0)``; returns ``(output, (h_n, c_n))``.
    ``proj_size`` is not supported (a clear error).

    Examples:
        >>> import flowkit as flow
        >>> lstm = flow.nn.LSTM(4, 3, bidirectional=True)
        >>> [n for n, _ in lstm.named_parameters()][:4]
        ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
        >>> lstm.weight_ih_l0_reverse.shape
        flowkit.Size([12, 4])
        >>> out, (h_n, c_n) = lstm(flow.ones(5, 2, 4))
        >>> out.shape, h_n.shape, c_n.shape
        (flowkit.Size([5, 2, 6]), flowkit.Size([2, 2, 3]), flowkit.Size([2, 2, 3]))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("lstm", *args, **kwargs)


class GRU(RNNBase):
    """A gated recurrent unit network (PyTorch's gates ``r, z, n``; ``n = tanh(x W_in^T +
    b_in + r * (h W_hn^T + b_hn))``, ``h_t = (1 - z) * n + z * h_{t-1}``).

    Input and outputs as `RNN`.

    Examples:
        >>> import flowkit as flow
        >>> gru = flow.nn.GRU(4, 3, num_layers=2)
        >>> gru.weight_hh_l1.shape
        flowkit.Size([9, 3])
        >>> out, h_n = gru(flow.ones(5, 4))  # unbatched
        >>> out.shape, h_n.shape
        (flowkit.Size([5, 3]), flowkit.Size([2, 3]))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("gru", *args, **kwargs)


class RNNCellBase(Module):
    """What the cells share: ``weight_ih`` ``(gates * hidden, input)``, ``weight_hh``,
    ``bias_ih``, ``bias_hh``, uniform in ``±1/sqrt(hidden_size)``; one step of the backend's
    ``rnn_layer``."""

    mode: str
    input_size: int
    hidden_size: int
    bias: bool

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = _NAMES[mode] + "Cell"
        _check_sizes(name, input_size, hidden_size)
        self.mode = mode
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.bias = bool(bias)
        gates = _GATES[mode] * self.hidden_size
        self.weight_ih = Parameter(empty(gates, self.input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(empty(gates, self.hidden_size, dtype=dtype, device=device))
        if self.bias:
            self.bias_ih = Parameter(empty(gates, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(gates, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def _step(self, input, hx):
        name = type(self).__name__
        lstm = self.mode == "lstm"
        dtype = self.weight_ih.dtype
        _check_input(name, input, self.input_size, dtype, (1, 2))
        unbatched = input.dim() == 1
        x = input.unsqueeze(0) if unbatched else input
        hshape = (x.shape[0], self.hidden_size)
        if hx is None:
            h0 = zeros(*hshape, dtype=dtype, device=x.device)
            c0 = zeros(*hshape, dtype=dtype, device=x.device) if lstm else None
        else:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{name}: hx must be a tuple (h_0, c_0) of tensors")
                h0, c0 = hx
            else:
                h0, c0 = hx, None
            want = hshape[1:] if unbatched else hshape
            parts = [("h_0", h0)] + ([("c_0", c0)] if lstm else [])
            for what, h in parts:
                _check_hidden(name, what, h, want, dtype)
            if unbatched:
                h0 = h0.unsqueeze(0)
                c0 = c0.unsqueeze(0) if lstm else None
        _, h, c = _plugins.get().rnn_layer(
            self.mode,
            x.unsqueeze(0),
            h0,
            c0,
            self.weight_ih,
            self.weight_hh,
            self.bias_ih,
            self.bias_hh,
            False,
            None,
        )
        if unbatched:
            h = h.squeeze(0)
            c = c.squeeze(0) if lstm else None
        return (h, c) if lstm else h

    def forward(self, input, hx=None):
        return self._step(input, hx)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self.mode == "rnn_relu":
            s += ", nonlinearity='relu'"
        return s


class RNNCell(RNNCellBase):
    """One step of `RNN`: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ``relu``).
    Input ``(B, input_size)`` or ``(input_size,)``, optional ``hx`` (zeros); returns ``h'``.

    Examples:
        >>> import flowkit as flow
        >>> cell = flow.nn.RNNCell(4, 3, nonlinearity="relu")
        >>> cell
        RNNCell(4, 3, nonlinearity='relu')
        >>> cell(flow.ones(2, 4)).shape
        flowkit.Size([2, 3])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ):
        super().__init__(
            _mode_of(nonlinearity, "RNNCell"), input_size, hidden_size, bias, device, dtype
        )
        self.nonlinearity = nonlinearity


class LSTMCell(RNNCellBase):
    """One step of `LSTM`; ``hx`` an optional ``(h, c)``; returns ``(h', c')``.

    Examples:
        >>> import flowkit as flow
        >>> cell = flow.nn.LSTMCell(4, 3)
        >>> h, c = cell(flow.ones(2, 4))
        >>> h.shape, c.shape, cell.weight_ih.shape
        (flowkit.Size([2, 3]), flowkit.Size([2, 3]), flowkit.Size([12, 4]))
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ):
        super().__init__("lstm", input_size, hidden_size, bias, device, dtype)


class GRUCell(RNNCellBase):
    """One step of `GRU`; returns ``h'``.

    Examples:
        >>> import flowkit as flow
        >>> cell = flow.nn.GRUCell(4, 3)
        >>> cell(flow.ones(4)).shape
        flowkit.Size([3])
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ):
        super().__init__("gru", input_size, hidden_size, bias, device, dtype)

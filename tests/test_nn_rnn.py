"""Recurrent layers (``nn.RNN``/``LSTM``/``GRU``, the cells, ``nn.utils.rnn``) on the backend of
this process (``FLOWKIT_BACKEND``).

* the backend op ``rnn_layer`` through the conformance kit: forward against the numpy reference
  (``cases.nn_functional.ref_rnn_layer``), float64 gradients against finite differences;
* the modules against ``torch.nn`` with the same weights: outputs, hidden states and every
  gradient, batched/unbatched, batch_first, stacked, bidirectional, packed sequences;
* parameters (PyTorch's names, shapes, seeded initialisation) and the errors.
"""

from __future__ import annotations

import numpy as np
import pytest

import flowkit as flow
from flowkit.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pad_packed_sequence,
    pad_sequence,
)
from flowkit.testing.conformance.cases.nn_functional import rnn_layer_case
from flowkit.testing.conformance.core import RngDraw, check_forward, check_gradients

torch = pytest.importorskip("torch")


# ------------------------------------------------------------------- the backend op, by the kit
@pytest.mark.parametrize("seed", range(24))
def test_rnn_layer_forward(seed):
    check_forward(rnn_layer_case(RngDraw(1000 + seed)))


@pytest.mark.parametrize("seed", range(24))
def test_rnn_layer_gradient(seed):
    check_gradients(rnn_layer_case(RngDraw(2000 + seed, for_grad=True)))


# ------------------------------------------------------------------- the modules against torch
def _to_torch(x):
    return torch.from_numpy(np.array(x.numpy(), copy=True))


def _copy_weights(fm, tm):
    with torch.no_grad():
        for name, p in fm.named_parameters():
            getattr(tm, name).copy_(_to_torch(p))


def _grads_close(fm, tm, atol=1e-9):
    for name, p in fm.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), getattr(tm, name).grad.numpy(), atol=atol, err_msg=name
        )


CONFIGS: list[tuple[str, dict]] = [
    ("RNN", dict(nonlinearity="tanh")),
    ("RNN", dict(nonlinearity="relu", bias=False)),
    ("LSTM", dict()),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(batch_first=True, bias=False)),
    ("GRU", dict()),
    ("GRU", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("RNN", dict(num_layers=3, bidirectional=True)),
]


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{sorted(k.items())}" for n, k in CONFIGS])
@pytest.mark.parametrize("with_hx", [False, True])
def test_module_matches_torch(name, kw, with_hx):
    flow.manual_seed(0)
    fm = getattr(flow.nn, name)(3, 4, dtype=flow.float64, **kw)
    tm = getattr(torch.nn, name)(3, 4, dtype=torch.float64, **kw)
    _copy_weights(fm, tm)
    rng = np.random.default_rng(0)
    shape = (2, 5, 3) if kw.get("batch_first") else (5, 2, 3)
    xa = rng.standard_normal(shape)
    dirs = 2 if kw.get("bidirectional") else 1
    hshape = (kw.get("num_layers", 1) * dirs, 2, 4)
    ha, ca = rng.standard_normal(hshape) * 0.5, rng.standard_normal(hshape) * 0.5
    fx = flow.tensor(xa, requires_grad=True)
    tx = torch.tensor(xa, requires_grad=True)
    lstm = name == "LSTM"
    if with_hx:
        fh, th = flow.tensor(ha, requires_grad=True), torch.tensor(ha, requires_grad=True)
        fc, tc = flow.tensor(ca, requires_grad=True), torch.tensor(ca, requires_grad=True)
        fo, fs = fm(fx, (fh, fc) if lstm else fh)
        to, ts = tm(tx, (th, tc) if lstm else th)
    else:
        fo, fs = fm(fx)
        to, ts = tm(tx)
    np.testing.assert_allclose(fo.numpy(), to.detach().numpy(), atol=1e-12)
    fs_l = list(fs) if lstm else [fs]
    ts_l = list(ts) if lstm else [ts]
    for a, b in zip(fs_l, ts_l):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=1e-12)
    # one cotangent per output
    cot = rng.standard_normal(tuple(fo.shape))
    floss = (fo * flow.tensor(cot)).sum()
    tloss = (to * torch.tensor(cot)).sum()
    for a, b in zip(fs_l, ts_l):
        c = rng.standard_normal(tuple(a.shape))
        floss = floss + (a * flow.tensor(c)).sum()
        tloss = tloss + (b * torch.tensor(c)).sum()
    floss.backward()
    tloss.backward()
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), atol=1e-9)
    _grads_close(fm, tm)
    if with_hx:
        np.testing.assert_allclose(fh.grad.numpy(), th.grad.numpy(), atol=1e-9)
        if lstm:
            np.testing.assert_allclose(fc.grad.numpy(), tc.grad.numpy(), atol=1e-9)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_input(name):
    flow.manual_seed(1)
    fm = getattr(flow.nn, name)(3, 4, num_layers=2, dtype=flow.float64)
    tm = getattr(torch.nn, name)(3, 4, num_layers=2, dtype=torch.float64)
    _copy_weights(fm, tm)
    xa = np.random.default_rng(1).standard_normal((6, 3))
    fo, fs = fm(flow.tensor(xa))
    to, ts = tm(torch.tensor(xa))
    np.testing.assert_allclose(fo.numpy(), to.detach().numpy(), atol=1e-12)
    if name == "LSTM":
        assert tuple(fs[0].shape) == tuple(fs[1].shape) == (2, 4)
        np.testing.assert_allclose(fs[1].numpy(), ts[1].detach().numpy(), atol=1e-12)
    else:
        assert tuple(fs.shape) == (2, 4)
        np.testing.assert_allclose(fs.numpy(), ts.detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_sequence_matches_torch(name, enforce_sorted, bidirectional):
    flow.manual_seed(2)
    kw = dict(num_layers=2, bidirectional=bidirectional, batch_first=True)
    fm = getattr(flow.nn, name)(3, 4, dtype=flow.float64, **kw)
    tm = getattr(torch.nn, name)(3, 4, dtype=torch.float64, **kw)
    _copy_weights(fm, tm)
    lengths = [5, 3, 3, 1] if enforce_sorted else [2, 5, 1, 4]
    xa = np.random.default_rng(2).standard_normal((4, 5, 3))
    fx = flow.tensor(xa, requires_grad=True)
    tx = torch.tensor(xa, requires_grad=True)
    fp = pack_padded_sequence(fx, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    tp = torch.nn.utils.rnn.pack_padded_sequence(
        tx, torch.tensor(lengths), batch_first=True, enforce_sorted=enforce_sorted
    )
    assert isinstance(fp, PackedSequence)
    np.testing.assert_array_equal(fp.data.numpy(), tp.data.detach().numpy())
    assert fp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    fo, fs = fm(fp)
    to, ts = tm(tp)
    assert isinstance(fo, PackedSequence)
    np.testing.assert_allclose(fo.data.numpy(), to.data.detach().numpy(), atol=1e-12)
    fh = fs[0] if name == "LSTM" else fs
    th = ts[0] if name == "LSTM" else ts
    np.testing.assert_allclose(fh.numpy(), th.detach().numpy(), atol=1e-12)
    fpad, flens = pad_packed_sequence(fo, batch_first=True)
    tpad, tlens = torch.nn.utils.rnn.pad_packed_sequence(to, batch_first=True)
    np.testing.assert_allclose(fpad.numpy(), tpad.detach().numpy(), atol=1e-12)
    assert flens.tolist() == tlens.tolist()
    (fpad.sum() + fh.sum()).backward()
    (tpad.sum() + th.sum()).backward()
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), atol=1e-9)
    _grads_close(fm, tm)


def test_pad_sequence_and_total_length():
    seqs = [flow.tensor([[1.0], [2.0]]), flow.tensor([[3.0]]), flow.tensor([[4.0], [5.0], [6.0]])]
    ts = [torch.tensor(s.numpy()) for s in seqs]
    for bf in (False, True):
        got = pad_sequence(seqs, batch_first=bf, padding_value=-1.0)
        exp = torch.nn.utils.rnn.pad_sequence(ts, batch_first=bf, padding_value=-1.0)
        np.testing.assert_array_equal(got.numpy(), exp.numpy())
    p = pack_padded_sequence(pad_sequence(seqs), [2, 1, 3], enforce_sorted=False)
    y, lens = pad_packed_sequence(p, total_length=4)
    assert tuple(y.shape) == (4, 3, 1) and lens.tolist() == [2, 1, 3]
    with pytest.raises(ValueError, match="total_length"):
        pad_packed_sequence(p, total_length=2)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch(name):
    flow.manual_seed(3)
    fm = getattr(flow.nn, name)(3, 4, dtype=flow.float64)
    tm = getattr(torch.nn, name)(3, 4, dtype=torch.float64)
    _copy_weights(fm, tm)
    rng = np.random.default_rng(3)
    xa, ha, ca = (
        rng.standard_normal((2, 3)),
        rng.standard_normal((2, 4)),
        rng.standard_normal((2, 4)),
    )
    fx, tx = flow.tensor(xa, requires_grad=True), torch.tensor(xa, requires_grad=True)
    if name == "LSTMCell":
        fh, fc = fm(fx, (flow.tensor(ha), flow.tensor(ca)))
        th, tc = tm(tx, (torch.tensor(ha), torch.tensor(ca)))
        np.testing.assert_allclose(fc.numpy(), tc.detach().numpy(), atol=1e-12)
        (fh.sum() + 2 * fc.sum()).backward()
        (th.sum() + 2 * tc.sum()).backward()
    else:
        fh, th = fm(fx, flow.tensor(ha)), tm(tx, torch.tensor(ha))
        fh.sum().backward()
        th.sum().backward()
    np.testing.assert_allclose(fh.numpy(), th.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), atol=1e-9)
    _grads_close(fm, tm)
    # unbatched, no hx
    out = fm(flow.tensor(xa[0]))
    exp = tm(torch.tensor(xa[0]))
    if name == "LSTMCell":
        out, exp = out[0], exp[0]
    np.testing.assert_allclose(out.numpy(), exp.detach().numpy(), atol=1e-12)


# ------------------------------------------------------------------- parameters
def test_parameter_names_shapes_and_seeded_init():
    flow.manual_seed(0)
    m = flow.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    t = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in t.named_parameters()
    ]
    # PyTorch's initialisation, every parameter in its order, from flowkit's generator: the
    # same draws as uniform_ in that order (so the same on every backend)
    flow.manual_seed(0)
    expected = [
        flow.nn.init.uniform_(flow.empty(*p.shape), -0.5, 0.5).numpy() for p in m.parameters()
    ]
    for p, e in zip(m.parameters(), expected):
        np.testing.assert_array_equal(p.numpy(), e)
    flow.manual_seed(0)
    again = flow.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    assert all(
        np.array_equal(a.numpy(), b.numpy()) for a, b in zip(m.parameters(), again.parameters())
    )
    g = flow.nn.GRU(3, 4, bias=False)
    assert [n for n, _ in g.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    c = flow.nn.GRUCell(3, 4)
    assert [n for n, _ in c.named_parameters()] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]


def test_dropout_between_layers_and_eval():
    flow.manual_seed(0)
    m = flow.nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = flow.randn(5, 2, 3)
    m.eval()
    a, _ = m(x)
    b, _ = m(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    m.train()
    flow.manual_seed(5)
    c, _ = m(x)
    flow.manual_seed(5)
    d, _ = m(x)
    np.testing.assert_array_equal(c.numpy(), d.numpy())
    assert not np.allclose(a.numpy(), c.numpy())
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        flow.nn.LSTM(3, 4, dropout=0.2)


def test_float32_training_step_matches_torch():
    flow.manual_seed(4)
    fm = flow.nn.LSTM(3, 4, batch_first=True)
    tm = torch.nn.LSTM(3, 4, batch_first=True)
    _copy_weights(fm, tm)
    xa = np.random.default_rng(4).standard_normal((2, 6, 3)).astype(np.float32)
    fo, _ = fm(flow.tensor(xa))
    to, _ = tm(torch.tensor(xa))
    np.testing.assert_allclose(fo.numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert fo.dtype == flow.float32
    fo.pow(2).mean().backward()
    to.pow(2).mean().backward()
    _grads_close(fm, tm, atol=1e-5)


def test_repr():
    assert repr(flow.nn.LSTM(3, 4, num_layers=2, bidirectional=True)) == (
        "LSTM(3, 4, num_layers=2, bidirectional=True)"
    )
    assert repr(flow.nn.RNN(3, 4, 2, "relu")) == "RNN(3, 4, nonlinearity='relu', num_layers=2)"
    assert repr(flow.nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"


# ------------------------------------------------------------------- errors
def test_errors():
    with pytest.raises(ValueError, match="proj_size"):
        flow.nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="nonlinearity"):
        flow.nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size"):
        flow.nn.GRU(3, 0)
    with pytest.raises(ValueError, match="dropout"):
        flow.nn.GRU(3, 4, num_layers=2, dropout=1.5)
    m = flow.nn.LSTM(3, 4)
    with pytest.raises(flow.ShapeError, match="input_size=3"):
        m(flow.zeros(5, 2, 2))
    with pytest.raises(flow.ShapeError, match="2-d or 3-d"):
        m(flow.zeros(3))
    with pytest.raises(flow.DTypeError, match="float64"):
        m(flow.zeros(5, 2, 3, dtype=flow.float64))
    with pytest.raises(flow.ShapeError, match="h_0"):
        m(flow.zeros(5, 2, 3), (flow.zeros(1, 3, 4), flow.zeros(1, 2, 4)))
    with pytest.raises(TypeError, match="tuple"):
        m(flow.zeros(5, 2, 3), flow.zeros(1, 2, 4))
    with pytest.raises(ValueError, match="enforce_sorted"):
        pack_padded_sequence(flow.zeros(4, 2, 3), [2, 4])
    with pytest.raises(ValueError, match="outside"):
        pack_padded_sequence(flow.zeros(4, 2, 3), [5, 4])
    with pytest.raises(flow.ShapeError, match="lengths"):
        pack_padded_sequence(flow.zeros(4, 2, 3), [4])
    with pytest.raises(flow.ShapeError, match="input_size=3"):
        flow.nn.GRUCell(3, 4)(flow.zeros(2, 5))

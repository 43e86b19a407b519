"""Global tensors (placement + SBP) on two and four processes, on the backend under test.

Each launch runs one program whose ranks compute many checks against the same computation done
in one process (every rank computes that too: the ranks share the seed) and print one JSON line;
the tests below assert on those lines. A launch costs seconds, so there are two: two processes
(1-D placement) and four (the 2×2 placement of the docs).
"""

from __future__ import annotations

import json
import os

import pytest

from flowkit.testing.distributed import launch

BACKEND = os.environ.get("FLOWKIT_BACKEND", "numpy")

pytest.importorskip("torch.distributed")

COMMON = r"""
import json
import numpy as np
import flowkit as flow

rank = flow.distributed.get_rank()
S0, S1, B, PS = flow.sbp.split(0), flow.sbp.split(1), flow.sbp.broadcast, flow.sbp.partial_sum
checks = {}
info = {}


def close(a, b, tol=1e-12):
    a = a.numpy() if isinstance(a, flow.Tensor) else np.asarray(a)
    b = b.numpy() if isinstance(b, flow.Tensor) else np.asarray(b)
    return a.shape == b.shape and (a.size == 0 or float(np.abs(a - b).max()) <= tol)


def check(name, ok):
    checks[name] = bool(ok)


def randn(*shape, seed=0, **kw):
    flow.manual_seed(seed)
    return flow.randn(*shape, dtype=flow.float64, **kw)
"""

TWO = (
    COMMON
    + r"""
P = flow.placement("cpu", [0, 1])

# ---- creation: every rank draws the whole tensor and keeps its piece
ref = randn(4, 6)
for s in (S0, S1, B, PS):
    x = randn(4, 6, placement=P, sbp=s)
    check(f"randn {s}", close(x, ref) and x.sbp == (s,) and x.is_global and x.placement == P)
    piece = {"split": None, "broadcast": ref.numpy(), "partial_sum": ref.numpy() * (rank == 0)}
    want = piece[s.kind] if not s.is_split() else np.split(ref.numpy(), 2, axis=s.dim)[rank]
    check(f"randn {s} piece", close(x.to_local(), want) and not x.to_local().is_global)
flow.manual_seed(1)
check("rand", close(flow.rand(4, 2, dtype=flow.float64, placement=P, sbp=S1),
                    (flow.manual_seed(1), flow.rand(4, 2, dtype=flow.float64))[1]))
check("zeros", close(flow.zeros(2, 4, placement=P, sbp=S1), np.zeros((2, 4))))
check("ones", close(flow.ones(4, placement=P, sbp=S0), np.ones(4)))
check("full", close(flow.full((2, 2), 3.0, placement=P, sbp=PS), np.full((2, 2), 3.0)))
t = flow.tensor([[1.0, 2.0], [3.0, 4.0]], placement=P, sbp=S0)
check("tensor", close(t, [[1.0, 2.0], [3.0, 4.0]]))
check("tensor piece", t.to_local().tolist() == [[[1.0, 2.0]], [[3.0, 4.0]]][rank])
info["shape"] = repr(randn(4, 6, placement=P, sbp=S0).shape)
info["repr"] = repr(flow.tensor([1.0, 2.0], placement=P, sbp=S0))
info["local"] = (flow.zeros(1).is_global, flow.zeros(1).placement, flow.zeros(1).sbp)
info["local"] = [repr(v) for v in info["local"]]

# ---- local -> global (from_local): split pieces join, broadcast equal, partial summed
loc = flow.tensor([float(rank + 1), 10.0 * (rank + 1)], dtype=flow.float64)
check("from_local S0", close(loc.to_global(P, S0), [1.0, 10.0, 2.0, 20.0]))
check("from_local P", close(loc.to_global(P, PS), [3.0, 30.0]))
check("from_local B", close(flow.ones(2).to_global(P, B), [1.0, 1.0]))

# ---- boxing: every pair of S(0), S(1), B, P, values and pieces
for a in (S0, S1, B, PS):
    for b in (S0, S1, B, PS):
        y = randn(4, 6, placement=P, sbp=a).to_global(sbp=b)
        if b.is_split():
            want = np.split(ref.numpy(), 2, axis=b.dim)[rank]
        else:
            want = ref.numpy() if b == B or rank == 0 else np.zeros((4, 6))
        check(f"box {a}->{b}", close(y, ref) and y.sbp == (b,) and close(y.to_local(), want))

# ---- elementwise rules
r2 = randn(4, 6, seed=2)
row = randn(6, seed=3)
part = randn(4, 6, placement=P, sbp=S1) @ randn(6, 6, placement=P, sbp=S0)  # partial_sum
pref = ref @ randn(6, 6)
g = lambda s, seed=0, shape=(4, 6): randn(*shape, seed=seed, placement=P, sbp=s)
cases = {
    "S0+S0": (g(S0) + g(S0, 2), ref + r2),
    "S0*B": (g(S0) * g(B, 2), ref * r2),
    "S0+Brow": (g(S0) + g(B, 3, (6,)), ref + row),
    "S0+S1": (g(S0) + g(S1, 2), ref + r2),
    "S0*P": (g(S0) * part, ref * pref),
    "P+P": (part + part, pref + pref),
    "P+B": (part + g(B, 2), pref + r2),
    "P*B": (part * g(B, 2), pref * r2),
    "P*2": (part * 2, pref * 2),
    "P/2": (part / 2, pref / 2),
    "P+1": (part + 1, pref + 1),
    "relu(P)": (part.relu(), pref.relu()),
    "-P": (-part, -pref),
    "B-S1": (g(B, 2) - g(S1), r2 - ref),
    "1-S0": (1 - g(S0), 1 - ref),
    "S0**2": (g(S0) ** 2, ref**2),
}
for name, (got, want) in cases.items():
    check(f"elementwise {name}", close(got, want))
    info[f"elementwise {name}"] = repr(got.sbp)

# ---- matmul rules
A, Bm = randn(4, 6, seed=4), randn(6, 8, seed=5)
ga = lambda s: randn(4, 6, seed=4, placement=P, sbp=s)
gb = lambda s: randn(6, 8, seed=5, placement=P, sbp=s)
pa = ga(S1) @ randn(6, 6, seed=6, placement=P, sbp=S0)
paref = A @ randn(6, 6, seed=6)
for name, (x, w, want) in {
    "S0xB": (ga(S0), gb(B), A @ Bm),
    "BxS1": (ga(B), gb(S1), A @ Bm),
    "S1xS0": (ga(S1), gb(S0), A @ Bm),
    "BxB": (ga(B), gb(B), A @ Bm),
    "PxB": (pa, gb(B), paref @ Bm),
    "S1xB": (ga(S1), gb(B), A @ Bm),
    "BxS0": (ga(B), gb(S0), A @ Bm),
    "S0xS1": (ga(S0), gb(S1), A @ Bm),
}.items():
    y = x @ w
    check(f"matmul {name}", close(y, want))
    info[f"matmul {name}"] = repr(y.sbp)

# ---- reductions
for name, (got, want) in {
    "S0.sum()": (g(S0).sum(), ref.sum()),
    "S0.sum(0)": (g(S0).sum(0), ref.sum(0)),
    "S0.sum(1)": (g(S0).sum(1), ref.sum(1)),
    "S1.sum(1, keepdim)": (g(S1).sum(1, keepdim=True), ref.sum(1, keepdim=True)),
    "S0.mean()": (g(S0).mean(), ref.mean()),
    "B.mean(0)": (g(B).mean(0), ref.mean(0)),
    "P.sum()": (part.sum(), pref.sum()),
}.items():
    check(f"reduce {name}", close(got, want))
    info[f"reduce {name}"] = repr(got.sbp)
check("item", abs(g(S0).sum().item() - ref.sum().item()) < 1e-12)

# ---- autograd through global tensors
x = randn(4, 6, placement=P, sbp=S0, requires_grad=True)
w = randn(6, 3, seed=7, placement=P, sbp=B, requires_grad=True)
(x @ w).relu().sum().backward()
xr = randn(4, 6, requires_grad=True)
wr = randn(6, 3, seed=7, requires_grad=True)
(xr @ wr).relu().sum().backward()
check("grad x S0", close(x.grad, xr.grad) and x.grad.sbp == (S0,))
check("grad w B", close(w.grad, wr.grad) and w.grad.sbp == (B,))
check("grad w B piece", close(w.grad.to_local(), wr.grad))
a = randn(4, 6, seed=4, placement=P, sbp=S1, requires_grad=True)
b = randn(6, 8, seed=5, placement=P, sbp=S0, requires_grad=True)
((a @ b) * (a @ b)).sum().backward()
ar, br = randn(4, 6, seed=4, requires_grad=True), randn(6, 8, seed=5, requires_grad=True)
((ar @ br) * (ar @ br)).sum().backward()
check("grad S1xS0", close(a.grad, ar.grad) and close(b.grad, br.grad)
      and a.grad.sbp == (S1,) and b.grad.sbp == (S0,))
xb = randn(4, 6, placement=P, sbp=B, requires_grad=True)
(xb.to_global(sbp=PS) * 3.0).to_global(sbp=S1).sum().backward()
check("grad B->P->S1", close(xb.grad, np.full((4, 6), 3.0)) and xb.grad.sbp == (B,))
xs = randn(4, 6, placement=P, sbp=S0, requires_grad=True)
(xs.to_global(sbp=B) * g(B, 2)).mean().backward()
check("grad S0->B", close(xs.grad, r2.numpy() / 24) and xs.grad.sbp == (S0,))
ys = randn(4, 6, placement=P, sbp=S1, requires_grad=True)
(ys * g(B, 3, (6,))).sum().backward()
check("grad S1*Brow", close(ys.grad, np.broadcast_to(row.numpy(), (4, 6))))
xm = randn(4, 6, placement=P, sbp=S0, requires_grad=True)
(xm * xm).mean().backward()
check("grad S0.mean", close(xm.grad, ref.numpy() / 12) and xm.grad.sbp == (S0,))
xm = randn(4, 6, placement=P, sbp=S1, requires_grad=True)
xm.mean(0).sum().backward()
check("grad S1.mean(0)", close(xm.grad, np.full((4, 6), 0.25)) and xm.grad.sbp == (S1,))
lb = randn(6, seed=3, placement=P, sbp=B, requires_grad=True)
(g(S0) * lb).sum().backward()
check("grad Brow (f)", close(lb.grad, ref.sum(0)) and lb.grad.sbp == (B,))

# ---- a Linear/ReLU net, data parallel, trained with SGD and Adam = the one-process run
def net():
    flow.manual_seed(11)
    return flow.nn.Sequential(
        flow.nn.Linear(6, 8), flow.nn.ReLU(), flow.nn.Linear(8, 1)
    ).double()

for opt_name in ("SGD", "Adam"):
    model, ref_model = net().to_global(P, B), net()
    assert all(p.is_global and p.sbp == (B,) for p in model.parameters())
    make = lambda params: getattr(flow.optim, opt_name)(params, lr=0.05)
    opt, ref_opt = make(model.parameters()), make(ref_model.parameters())
    losses = []
    for step in range(3):
        X = randn(8, 6, seed=20 + step, placement=P, sbp=S0)
        Y = randn(8, 1, seed=30 + step, placement=P, sbp=S0)
        loss = flow.nn.functional.mse_loss(model(X), Y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        Xr, Yr = randn(8, 6, seed=20 + step), randn(8, 1, seed=30 + step)
        ref_loss = flow.nn.functional.mse_loss(ref_model(Xr), Yr)
        ref_opt.zero_grad()
        ref_loss.backward()
        ref_opt.step()
        losses.append(abs(loss.item() - ref_loss.item()))
    check(f"train {opt_name} loss", max(losses) < 1e-12)
    check(f"train {opt_name} params", all(
        close(p, q) and close(p.to_local(), q) and p.sbp == (B,)
        for p, q in zip(model.parameters(), ref_model.parameters())
    ))
    info[f"loss sbp {opt_name}"] = repr(loss.sbp)
    info[f"pred sbp {opt_name}"] = repr(model(X).sbp)

# ---- an op the numpy backend does not support on global tensors
try:
    g(S0).softmax(1)
    info["unsupported"] = "ok"
except flow.BackendNotImplementedError as exc:
    info["unsupported"] = str(exc)

print(json.dumps({"rank": rank, "checks": checks, "info": info}))
"""
)

FOUR = (
    COMMON
    + r"""
P = flow.placement("cpu", [[0, 1], [2, 3]])
row, col = divmod(rank, 2)
ref = randn(4, 6)
x = randn(4, 6, placement=P, sbp=(B, S0))
check("2d create", close(x, ref) and x.sbp == (B, S0) and x.placement.hierarchy == (2, 2))
check("2d piece", close(x.to_local(), ref.numpy()[2 * col: 2 * col + 2]))
info["repr"] = repr(flow.ones(2, placement=P, sbp=(B, S0)))
sbps = [(B, S0), (S0, S1), (S1, B), (PS, B), (B, PS), (S0, S0), (PS, S1), (S1, PS), (B, B)]
for a in sbps:
    for b in sbps:
        y = randn(4, 6, placement=P, sbp=a).to_global(sbp=b)
        check(f"2d box {a}->{b}", close(y, ref) and y.sbp == b)
y = randn(4, 6, placement=P, sbp=(S0, S0)).to_global(sbp=(S0, S1))
want = ref.numpy()[2 * row : 2 * row + 2, 3 * col : 3 * col + 3]
check("2d pieces (S0, S1)", close(y.to_local(), want))
W = randn(6, 3, seed=1)
for a, w in (((B, S0), (B, B)), ((S0, S1), (B, S0)), ((S0, B), (B, S1))):
    z = randn(4, 6, placement=P, sbp=a) @ randn(6, 3, seed=1, placement=P, sbp=w)
    check(f"2d matmul {a}x{w}", close(z, ref @ W))
    info[f"2d matmul {a}x{w}"] = repr(z.sbp)
s = randn(4, 6, placement=P, sbp=(B, S0)).sum()
check("2d sum", close(s, ref.sum()))
info["2d sum"] = repr(s.sbp)
xg = randn(4, 6, placement=P, sbp=(S1, S0), requires_grad=True)
wg = randn(6, 3, seed=1, placement=P, sbp=(B, B), requires_grad=True)
(xg @ wg).relu().sum().backward()
xr, wr = randn(4, 6, requires_grad=True), randn(6, 3, seed=1, requires_grad=True)
(xr @ wr).relu().sum().backward()
check("2d grads", close(xg.grad, xr.grad) and close(wg.grad, wr.grad) and wg.grad.sbp == (B, B))


def net():
    flow.manual_seed(11)
    return flow.nn.Sequential(flow.nn.Linear(6, 8), flow.nn.ReLU(), flow.nn.Linear(8, 1)).double()


model, ref_model = net().to_global(P, (B, B)), net()
opt = flow.optim.SGD(model.parameters(), lr=0.1)
ref_opt = flow.optim.SGD(ref_model.parameters(), lr=0.1)
for step in range(3):
    X = randn(8, 6, seed=20 + step, placement=P, sbp=(S0, S0))
    Y = randn(8, 1, seed=30 + step, placement=P, sbp=(S0, S0))
    loss = flow.nn.functional.mse_loss(model(X), Y)
    opt.zero_grad(); loss.backward(); opt.step()
    Xr, Yr = randn(8, 6, seed=20 + step), randn(8, 1, seed=30 + step)
    ref_loss = flow.nn.functional.mse_loss(ref_model(Xr), Yr)
    ref_opt.zero_grad(); ref_loss.backward(); ref_opt.step()
    check(f"2d train loss {step}", abs(loss.item() - ref_loss.item()) < 1e-12)
pairs = zip(model.parameters(), ref_model.parameters())
check("2d train params", all(close(p, q) and p.sbp == (B, B) for p, q in pairs))
print(json.dumps({"rank": rank, "checks": checks, "info": info}))
"""
)


def _run(program: str, nproc: int) -> dict[int, dict]:
    res = launch(program, nproc, timeout=150).check()
    out = {}
    for r, text in res.rank_stdout.items():
        lines = [ln for ln in text.splitlines() if ln.startswith("{")]
        assert lines, f"rank {r} printed no result:\n{res.output}"
        out[r] = json.loads(lines[-1])
    assert sorted(out) == list(range(nproc)), res.output
    return out


@pytest.fixture(scope="module")
def two():
    return _run(TWO, 2)


@pytest.fixture(scope="module")
def four():
    return _run(FOUR, 4)


def _failed(results: dict) -> dict:
    return {r: [k for k, ok in v["checks"].items() if not ok] for r, v in results.items()}


def test_two_processes_every_check_passes(two):
    assert all(not f for f in _failed(two).values()), _failed(two)
    assert len(two[0]["checks"]) > 60


def test_printing_follows_oneflow(two):
    info = two[0]["info"]
    assert info["shape"] == "flowkit.Size([4, 6])"
    assert info["repr"] == (
        'tensor([1., 2.], placement=flowkit.placement(type="cpu", ranks=[0, 1]),\n'
        "       sbp=(flowkit.sbp.split(dim=0),), dtype=flowkit.float32)"
    )
    assert info["local"] == ["False", "None", "None"]


SPLIT0, SPLIT1 = "(flowkit.sbp.split(dim=0),)", "(flowkit.sbp.split(dim=1),)"
BCAST, PSUM = "(flowkit.sbp.broadcast,)", "(flowkit.sbp.partial_sum,)"


def test_sbp_rules(two):
    info = two[1]["info"]
    expected = {
        "matmul S0xB": SPLIT0,
        "matmul BxS1": SPLIT1,
        "matmul S1xS0": PSUM,
        "matmul BxB": BCAST,
        "matmul PxB": PSUM,
        "matmul S1xB": PSUM,
        "matmul BxS0": PSUM,
        "elementwise S0+S0": SPLIT0,
        "elementwise S0*B": SPLIT0,
        "elementwise S0+Brow": SPLIT0,
        "elementwise S0+S1": SPLIT0,
        "elementwise S0*P": SPLIT0,
        "elementwise P+P": PSUM,
        "elementwise P+B": PSUM,
        "elementwise P*B": PSUM,
        "elementwise P*2": PSUM,
        "elementwise P/2": PSUM,
        "elementwise P+1": BCAST,
        "elementwise relu(P)": BCAST,
        "elementwise -P": PSUM,
        "elementwise B-S1": SPLIT1,
        "elementwise 1-S0": SPLIT0,
        "reduce S0.sum()": PSUM,
        "reduce S0.sum(0)": PSUM,
        "reduce S0.sum(1)": SPLIT0,
        "reduce S1.sum(1, keepdim)": PSUM,
        "reduce S0.mean()": PSUM,
        "reduce B.mean(0)": BCAST,
        "reduce P.sum()": PSUM,
        "loss sbp SGD": PSUM,
        "pred sbp SGD": SPLIT0,
    }
    got = {k: info[k] for k in expected}
    assert got == expected
    assert two[0]["info"] == two[1]["info"] or BACKEND == "torch"


def test_unsupported_op_on_numpy(two):
    msg = two[0]["info"]["unsupported"]
    if BACKEND == "numpy":
        assert "softmax is not implemented for global tensors" in msg
        assert "FLOWKIT_BACKEND=torch" in msg and "matmul" in msg
    else:
        assert msg == "ok"


def test_two_by_two_placement_on_four_processes(four):
    assert all(not f for f in _failed(four).values()), _failed(four)
    info = four[0]["info"]
    assert info["repr"] == (
        "tensor([1., 1.],\n"
        '       placement=flowkit.placement(type="cpu", ranks=[[0, 1], [2, 3]]),\n'
        "       sbp=(flowkit.sbp.broadcast, flowkit.sbp.split(dim=0)),\n"
        "       dtype=flowkit.float32)"
    )
    assert info["2d sum"] == "(flowkit.sbp.broadcast, flowkit.sbp.partial_sum)"
    mm = "2d matmul (flowkit.sbp.broadcast, flowkit.sbp.split(dim=0))x"
    mm += "(flowkit.sbp.broadcast, flowkit.sbp.broadcast)"
    assert info[mm] == "(flowkit.sbp.broadcast, flowkit.sbp.split(dim=0))"

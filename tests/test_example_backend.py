"""The example third-party backend, ``examples/flowkit-mini``, installed as pip would make it
discoverable and checked against the numpy backend.

No network and no build: each test writes a ``flowkit_mini-<version>.dist-info`` (its
``entry_points.txt`` generated from the example's ``pyproject.toml``, which stays the source of
truth) into a temporary directory, and runs child processes with that directory and the example's
source on ``PYTHONPATH``: a process selects its backend once, and reads entry points at start-up.
Where the example is also pip-installed for real, both copies declare the same entry point and
flowkit (like ``importlib.metadata``) counts it once; the source tree comes first on the path.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

pytestmark = pytest.mark.once  # backend-independent: the children choose their own backend

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "flowkit-mini"


def _project() -> dict:
    return tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A directory holding the example's ``.dist-info``, as ``pip install`` would leave it."""
    project = _project()
    root = tmp_path_factory.mktemp("site")
    dist = re.sub(r"[-_.]+", "_", project["name"]).lower()  # the wheel's normalised name
    info = root / f"{dist}-{project['version']}.dist-info"
    info.mkdir()
    requires = "".join(f"Requires-Dist: {r}\n" for r in project.get("dependencies", []))
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
        f"{requires}",
        encoding="utf-8",
    )
    groups = "".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in eps.items()) + "\n"
        for group, eps in project.get("entry-points", {}).items()
    )
    (info / "entry_points.txt").write_text(groups, encoding="utf-8")
    return root


def _run(code: str, backend: str, site: Path, timeout: int = 240, check: bool = True) -> str:
    """Run ``code`` in a fresh interpreter with ``FLOWKIT_BACKEND=backend``; its stdout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FLOWKIT_BACKEND", "FLOWKIT_DEVICE", "FLOWKIT_DISABLE_PLUGINS")
    }
    env["FLOWKIT_BACKEND"] = backend
    env["PYTHONPATH"] = os.pathsep.join(
        [str(site), str(EXAMPLE)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check:
        assert proc.returncode == 0, f"{backend}:\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout


def _last_json(out: str):
    return json.loads(out.strip().splitlines()[-1])


def residuals_agree(a: float, b: float) -> bool:
    """Two float32 runs' sum-of-squares losses agree to float32 rounding (the rule of
    tests/test_same_seed.py: compare the residuals' norms, since the relative difference of
    the losses themselves grows without bound as they shrink)."""
    return abs(math.sqrt(a) - math.sqrt(b)) <= 1e-5


# ------------------------------------------------------------------------------ packaging
def test_pyproject_registers_the_backend():
    project = _project()
    assert project["name"] == "flowkit-mini"
    assert "flowkit" in project["dependencies"]
    assert project["entry-points"]["flowkit.backends"] == {"mini": "flowkit_mini"}


def _flowkit_imports(source: str) -> list[str]:
    """Every absolute import in ``source`` (function bodies too), as ``module`` or
    ``module.name``; relative imports (the backend's own modules) are left out."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def test_uses_only_public_flowkit_api():
    """A third-party backend can import only what flowkit publishes: no private module or name
    at any depth (``flowkit._plugins``, ``flowkit.ops._contract``), and nothing of flowkit's own
    backends."""

    def forbidden(name: str) -> bool:
        top, *rest = name.split(".")
        return top in ("flowkit_numpy", "flowkit_torch") or (
            top == "flowkit" and any(part.startswith("_") for part in rest)
        )

    for path in sorted((EXAMPLE / "flowkit_mini").glob("*.py")):
        bad = [n for n in _flowkit_imports(path.read_text(encoding="utf-8")) if forbidden(n)]
        assert not bad, f"{path.name} imports {bad}"
    # the check itself: it refuses what it must, and only that
    probe = "from flowkit.ops import _contract\nimport flowkit._plugins\nfrom flowkit.ops import nn"
    assert [forbidden(n) for n in _flowkit_imports(probe)] == [True, True, False]


def test_listed_as_usable(site):
    rows = _last_json(
        _run(
            """
        import json
        import flowkit as flow
        print(json.dumps({r.name: [r.usable, r.devices, r.error, r.summary]
                          for r in flow.backends()}))
    """,
            "numpy",
            site,
        )
    )
    assert rows["mini"][:3] == [True, ["cpu"], None], rows["mini"]
    assert rows["numpy"][0]


# ------------------------------------------------------------------------------ the tutorial
TUTORIAL = """
import flowkit as flow

flow.manual_seed(0)
x = flow.tensor([[1, 2], [2, 3], [4, 6], [3, 1]], dtype=flow.float32)
y = flow.tensor([[8], [13], [26], [9]], dtype=flow.float32)


class MyLrModule(flow.nn.Module):
    def __init__(self, lr, iter_count):
        super().__init__()
        self.w = flow.nn.Parameter(flow.randn(2, 1, dtype=flow.float32))
        self.lr = lr
        self.iter_count = iter_count

    def forward(self, x):
        return flow.matmul(x, self.w)


model = MyLrModule(0.01, 500)
print(model.w)
loss = flow.nn.MSELoss(reduction="sum")
optimizer = flow.optim.SGD(model.parameters(), model.lr)
for i in range(0, model.iter_count):
    y_pred = model(x)
    l = loss(y_pred, y)
    print(f"{i+1}/{model.iter_count} loss:{l}")
    optimizer.zero_grad()
    l.backward()
    optimizer.step()

print(f"\\nw: {model.w}")
print(repr(l).split(", ", 1)[1])  # dtype and grad_fn (the value is the float32 floor: varies)
print(y_pred)
print(flow.backend().name)
"""
LOSS = re.compile(r"^(\d+)/500 loss:(\S+)$")


def test_tutorial_prints_what_numpy_prints(site):
    texts = {b: _run(TUTORIAL, b, site) for b in ("numpy", "mini")}
    lines = {b: t.splitlines() for b, t in texts.items()}
    assert lines["mini"][-1] == "mini" and lines["numpy"][-1] == "numpy"
    losses = {b: [float(m[2]) for m in map(LOSS.match, ls) if m] for b, ls in lines.items()}
    assert len(losses["mini"]) == 500
    for i, (a, b) in enumerate(zip(losses["mini"], losses["numpy"])):
        assert residuals_agree(a, b), f"step {i + 1}: mini {a} vs numpy {b}"
    assert all(v < 1e-9 for v in losses["mini"][199:])
    # everything else is printed by flowkit.Tensor from the backend's values: identical
    rest = {b: [s for s in ls[:-1] if not LOSS.match(s)] for b, ls in lines.items()}
    assert rest["mini"] == rest["numpy"]
    assert (
        "w: tensor([[2.0000],\n        [3.0000]], dtype=flowkit.float32, requires_grad=True)"
        in texts["mini"]
    )
    assert "grad_fn=<MseLossBackward>" in texts["mini"]
    assert "grad_fn=<MatmulBackward>" in texts["mini"]


# ------------------------------------------------------------------------------ a small MLP
MLP = """
import json
import numpy as np
import flowkit as flow

flow.manual_seed(0)
rng = np.random.default_rng(0)
X = rng.normal(size=(64, 4)).astype(np.float32)
Y = (np.sin(X.sum(axis=1, keepdims=True)) + 0.5 * X[:, :1] * X[:, 1:2]).astype(np.float32)
x, y = flow.tensor(X), flow.tensor(Y)
result = {}
for name, make_opt in [
        ("sgd", lambda p: flow.optim.SGD(p, lr=0.05, momentum=0.9)),
        ("adam", lambda p: flow.optim.Adam(p, lr=0.01))]:
    flow.manual_seed(1)
    model = flow.nn.Sequential(flow.nn.Linear(4, 16), flow.nn.ReLU(), flow.nn.Linear(16, 16),
                               flow.nn.Tanh(), flow.nn.Linear(16, 1))
    opt = make_opt(model.parameters())
    loss_fn = flow.nn.MSELoss()
    losses = []
    for step in range(150):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with flow.no_grad():
        out = model(x)
    result[name] = {"losses": losses, "no_grad": out.requires_grad,
                    "weight": model[0].weight.numpy().tolist()}
print(json.dumps(result))
"""


def test_mlp_trains_like_numpy(site):
    runs = {b: _last_json(_run(MLP, b, site)) for b in ("numpy", "mini")}
    for opt in ("sgd", "adam"):
        mini, ref = runs["mini"][opt], runs["numpy"][opt]
        losses = mini["losses"]
        assert losses[-1] < 0.25 * losses[0], (opt, losses[0], losses[-1])
        assert sum(b < a for a, b in zip(losses, losses[1:])) > 0.8 * len(losses), opt
        assert mini["no_grad"] is False
        for i, (a, b) in enumerate(zip(losses, ref["losses"])):
            assert math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6), (opt, i, a, b)
        w, w_ref = mini["weight"], ref["weight"]
        assert max(abs(p - q) for r, s in zip(w, w_ref) for p, q in zip(r, s)) < 1e-4, opt


# ------------------------------------------------------------------------------ gradients
GRADCHECK = """
import json
import numpy as np
import flowkit as flow

F = flow.nn.functional
rng = np.random.default_rng(0)


def t(*shape, low=-1.0, high=1.0):
    return flow.tensor(rng.uniform(low, high, shape), dtype=flow.float64, requires_grad=True)


CASES = {  # name: (function of the inputs -> scalar tensor, the inputs)
    "broadcast add/mul/div/sub": (lambda a, b: (a * b + a / (b + 3) - 2 * b).sum(),
                                  [t(3, 1), t(1, 4)]),
    "pow and reflected ops": (lambda a: (a ** 3 + 2 ** a - 1 / (a + 2) + (1 - a)).mean(),
                              [t(2, 3)]),
    "exp log sqrt neg": (lambda a: (a.exp() + (-a).log() + (a * a).sqrt()).sum(),
                         [t(5, low=-2.0, high=-0.5)]),
    "sigmoid tanh relu": (lambda a: (a.sigmoid() * a.tanh() + a.relu()).sum(), [t(4, 3)]),
    "matmul 2-d, sum(dim)": (lambda a, b: (a @ b).sum(dim=1, keepdim=True).tanh().sum(),
                             [t(3, 4), t(4, 2)]),
    "matmul 1-d and batched": (lambda a, b, c: (flow.matmul(a, b) ** 2).sum() + (b @ c * a).sum(),
                               [t(4), t(2, 4, 3), t(3)]),
    "mean(dim) reshape transpose getitem": (
        lambda a: (a.reshape(3, 4).transpose(0, 1)[1:, ::2].mean(dim=0) ** 2).sum(), [t(2, 6)]),
    "linear": (lambda x, w, b: F.linear(x, w, b).tanh().sum(), [t(2, 5, 3), t(4, 3), t(4)]),
    "mse_loss": (lambda a, b: F.mse_loss(a, b) + F.mse_loss(a, b, reduction="sum"),
                 [t(3, 2), t(3, 2)]),
    "cat stack where": (lambda a, b: (flow.cat([a, b], dim=1).sum(0) * flow.stack([a, b]).sum()
                                      + flow.where(a > 0, a, b * 2).sum()).sum(),
                        [t(2, 3), t(2, 3)]),
    "used twice, clone": (lambda a: (a * a.clone() + a).sum(), [t(3)]),
}

EPS = 1e-6
result = {}
for name, (f, inputs) in CASES.items():
    for x in inputs:
        x.grad = None
    f(*inputs).backward()
    worst = 0.0
    for x in inputs:
        data = x.numpy()  # shares memory: perturb in place, under no_grad
        numeric = np.zeros_like(data)
        with flow.no_grad():
            for i in np.ndindex(data.shape):
                old = data[i]
                data[i] = old + EPS
                hi = f(*inputs).item()
                data[i] = old - EPS
                lo = f(*inputs).item()
                data[i] = old
                numeric[i] = (hi - lo) / (2 * EPS)
        worst = max(worst, float(np.max(np.abs(x.grad.numpy() - numeric))))
    result[name] = worst
print(json.dumps(result))
"""


def test_gradients_match_finite_differences(site):
    errors = _last_json(_run(GRADCHECK, "mini", site))
    assert len(errors) == 11
    bad = {name: e for name, e in errors.items() if not e < 1e-6}
    assert not bad, bad


# ------------------------------------------------------------------------------ same text
SAME_TEXT = r'''
import numpy as np
import flowkit as flow

F = flow.nn.functional
a = flow.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
i = flow.tensor([[1, 2, 3], [4, 5, 6]])
b = flow.tensor([True, False, True])
d0 = flow.tensor(2.0, dtype=flow.float64)
w = flow.tensor([[0.5], [-1.0], [2.0]], requires_grad=True)

EXPRESSIONS = """
a * 2.5
i * 1.5
i / 2
i + 1
i + np.float32(1.5)
a * np.float64(2)
i ** 2
i ** flow.tensor([-1, 0, 2])
flow.tensor([-1, 2, 1, -1]) ** flow.tensor([-3, -1, -2, -2])
i.sum()
b + 1
b.sum()
a + d0
a.double() + a
2 - a
2 ** a
a ** 2
-a
a.exp()
i.exp()
a.relu()
a.sigmoid()
a.tanh()
a.sum(dim=0)
a.sum(dim=-1, keepdim=True)
a.mean()
a.mean(dim=(0, 1))
a.reshape(3, 2)
a.reshape(-1)
a.T
a.transpose(0, 1)
a[0]
a[:, 1:]
a[..., None, 0]
a[1, 2]
a > 0
a == i
(a <= 2.0).sum()
a @ w
flow.matmul(a, w)
F.linear(a, w.T.detach(), flow.tensor([1.0]))
F.mse_loss(a, a * 2)
F.mse_loss(a, a * 2, reduction="none")
flow.cat([a, i])
flow.stack([a, a], dim=1)
flow.where(a > 0, a, 0.0)
a.to(flow.float64)
a.to(flow.int64)
a.float() is a
a.shape
a.dtype
i.dtype
a.device
a.size(1)
a.numel()
a.tolist()
a.flatten()
a.unsqueeze(0).shape
a.squeeze()
(a * w.T).sum()
(a @ w).sum()
((a @ w) ** 2).mean()
w.is_leaf
(w * 2).is_leaf
w.grad_fn
(2 * w).requires_grad
a[0].item()
float(a[1, 1])
""".strip().splitlines()
for src in EXPRESSIONS:
    try:
        value = repr(eval(src))
    except Exception as exc:
        value = type(exc).__name__ + ": " + str(exc)
    print(f"{src} -> {value}")

ERRORS = """
a + flow.ones(2)
flow.matmul(a, w.double())
a.reshape(4, 2)
F.mse_loss(a, a[0])
a.sum(dim=2)
a.item()
(w * 2).backward()
i.requires_grad_()
a.to("cuda")
i ** -1
b - 1
a - True
1 - b
""".strip().splitlines()
for src in ERRORS:
    try:
        eval(src)
        print(f"{src} -> no error")
    except Exception as exc:
        print(f"{src} -> {type(exc).__name__}")
try:
    flow.matmul(a, flow.ones(2, 1))
except flow.ShapeError as exc:
    print(exc)
((a @ w - 1) ** 2).sum().backward()
print(w.grad)
(F.linear(a, w.T, None).relu()[:, 0] * flow.tensor([1.0, -2.0])).mean().backward()
print(w.grad)
'''


def test_ops_print_what_numpy_prints(site):
    """Values, dtypes (PyTorch's promotion), shapes, grad_fn names and error types."""
    texts = {b: _run(SAME_TEXT, b, site).splitlines() for b in ("numpy", "mini")}
    assert len(texts["mini"]) == len(texts["numpy"])
    for mine, ref in zip(texts["mini"], texts["numpy"]):
        assert mine == ref


# ------------------------------------------------------------------------------ autograd rules
ENGINE = """
import json
import flowkit as flow

out = {}
x = flow.tensor([1.0, 2.0, 3.0], requires_grad=True)

h = x * 2  # reached twice through different paths: h + f(h)
y = (h + (h * h).sum()).sum()
y.backward(retain_graph=True)
out["shared"] = x.grad.tolist()
y.backward()  # retained once: a second backward accumulates
out["accumulated"] = x.grad.tolist()
try:
    y.backward()
except flow.AutogradError as e:
    out["freed"] = str(e)

x.grad = None
(g,) = flow.autograd.grad((x ** 2).sum(), x)
out["autograd.grad"] = [g.tolist(), x.grad is None]
m = x * 3
(gm, gx) = flow.autograd.grad((m * m).sum(), [m, x])
out["grad wrt intermediate"] = [gm.tolist(), gx.tolist()]
flow.autograd.backward([(x * x).sum(), (3 * x).sum()])
out["autograd.backward"] = x.grad.tolist()

c = flow.tensor([1.0, 2.0], requires_grad=True)
(c.double() * c.double()).sum().backward()  # the gradient comes back in c's dtype
out["cast"] = [c.grad.tolist(), repr(c.grad.dtype)]

with flow.no_grad():
    z = x * 2
out["no_grad"] = [z.requires_grad, z.grad_fn is None]
try:
    x.add_(1)
except flow.AutogradError as e:
    out["in-place on tracked"] = str(e)
try:
    (x * 1).mul_(2)  # PyTorch records this; mini says it does not
except flow.BackendNotImplementedError as e:
    out["in-place recorded"] = str(e)
with flow.no_grad():
    x.sub_(flow.tensor([1.0, 1.0, 1.0]), alpha=0.5).mul_(2)
out["in-place under no_grad"] = x.tolist()

p = flow.nn.Parameter(flow.zeros(2, 3))
out["parameter"] = [isinstance(p, flow.nn.Parameter), isinstance(p, flow.Tensor),
                    p.requires_grad, p.is_leaf]
try:
    flow.zeros(2, device="cuda")
except flow.DeviceError as e:
    out["device"] = str(e)
print(json.dumps(out))
"""


def test_autograd_rules(site):
    out = _last_json(_run(ENGINE, "mini", site))
    assert out["shared"] == [2 + 8 * 1.0 * 3, 2 + 8 * 2.0 * 3, 2 + 8 * 3.0 * 3]  # 2 + 8 x * 3
    assert out["accumulated"] == [2 * v for v in out["shared"]]
    assert "retain_graph=True" in out["freed"]
    assert out["autograd.grad"] == [[2.0, 4.0, 6.0], True]
    assert out["grad wrt intermediate"] == [[6.0, 12.0, 18.0], [18.0, 36.0, 54.0]]
    assert out["autograd.backward"] == [5.0, 7.0, 9.0]
    assert out["cast"] == [[2.0, 4.0], "flowkit.float32"]
    assert out["no_grad"] == [False, True]
    assert "add_" in out["in-place on tracked"] and "no_grad" in out["in-place on tracked"]
    assert "mul_" in out["in-place recorded"] and "mini" in out["in-place recorded"]
    assert out["in-place under no_grad"] == [1.0, 3.0, 5.0]
    assert out["parameter"] == [True, True, True, True]
    assert "mini backend" in out["device"] and "cuda" in out["device"]


# ------------------------------------------------------------------------------ not implemented
UNSUPPORTED = """
import json
import flowkit as flow

x = flow.tensor([[1.0, 2.0], [3.0, 4.0]])
out = {}
for op, call in [("sin", lambda: x.sin()),
                 ("softmax", lambda: flow.nn.functional.softmax(x, dim=1))]:
    try:
        call()
        out[op] = None
    except Exception as e:
        out[op] = [isinstance(e, NotImplementedError),
                   isinstance(e, flow.BackendNotImplementedError), type(e).__name__, str(e)]
print(json.dumps(out))
"""


def test_unsupported_op_raises_naming_it(site):
    out = _last_json(_run(UNSUPPORTED, "mini", site))
    for op, res in out.items():
        assert res is not None, f"{op} did not raise"
        is_nie, is_bnie, kind, msg = res
        assert is_nie and is_bnie, (op, kind, msg)
        assert op in msg and "mini" in msg, (op, msg)

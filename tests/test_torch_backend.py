"""The torch backend: it prints, fails and optimizes exactly as the numpy backend does.

Runs in the ``FLOWKIT_BACKEND=torch`` run of the suite (the module is skipped on other backends).
Where the numpy backend's output is the reference, it is produced by a child process running that
backend, so these tests follow the numpy backend rather than a copy of its strings.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import flowkit as flow

if flow.backend().name != "torch":
    pytest.skip("torch backend tests run with FLOWKIT_BACKEND=torch", allow_module_level=True)

# imported only once the torch backend is known to be selected
import flowkit_torch  # noqa: E402
import torch  # noqa: E402
from flowkit_torch import optim as kernels  # noqa: E402
from flowkit_torch.define import _wrap  # noqa: E402
from flowkit_torch.linalg import _matmul_error  # noqa: E402
from flowkit_torch.nn_ops import _linear_error  # noqa: E402

from flowkit.errors import (  # noqa: E402
    AutogradError,
    BackendError,
    DeviceError,
    DTypeError,
    ShapeError,
)
from flowkit.optim import _functional as reference  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # any pytest import mode
from test_same_seed import residuals_agree  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
F = flow.nn.functional


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with ``env`` added (a backend is chosen per process)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("FLOWKIT_")}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=full,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def here_and_on_numpy(code: str) -> tuple[str, str]:
    """What ``code`` prints here (torch) and in a numpy-backend process."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(textwrap.dedent(code), {"flow": flow, "np": np})  # noqa: S102 - our own snippet
    proc = run_python(code, FLOWKIT_BACKEND="numpy")
    assert proc.returncode == 0, proc.stderr
    return buf.getvalue(), proc.stdout


# ------------------------------------------------------------------------------------ printing
REPRS = """
import flowkit as flow
import numpy as np
flow.manual_seed(0)
a = flow.tensor([[1., 2.], [3., 4.]], requires_grad=True)
for t in [a, flow.tensor([1, 2, 3]), flow.randn(2, 3), flow.tensor([True, False]),
          flow.zeros(0, 3), flow.tensor([1e-6, 1.0, 1e9]), flow.tensor(2.5),
          flow.arange(2000).reshape(40, 50).float() / 3, a * 2, a @ a, a.sum(), a.T, a[0],
          a.to(flow.float64), 2 - a, a.mean(), F.mse_loss(a, a.detach()), a.relu(),
          F.linear(a, a, a[0]), flow.nn.Parameter(flow.ones(2)), a.sigmoid()]:
    print(t)
print(a.shape, a.dtype, a.device, (a * 2).grad_fn, a.grad_fn)
for i in range(50):
    print(f"{flow.tensor(1.0) / (i + 3)}")
""".replace("F.", "flow.nn.functional.")


def test_repr_is_the_numpy_backends():
    here, numpy_out = here_and_on_numpy(REPRS)
    assert here == numpy_out


TUTORIAL = """
import flowkit as flow
flow.manual_seed(0)
x = flow.tensor([[1, 2], [2, 3], [4, 6], [3, 1]], dtype=flow.float32)
y = flow.tensor([[8], [13], [26], [9]], dtype=flow.float32)
w = flow.nn.Parameter(flow.randn(2, 1))
opt = flow.optim.SGD([w], 0.01)
loss = flow.nn.MSELoss(reduction="sum")
for i in range(500):
    l = loss(flow.matmul(x, w), y)
    if (i + 1) % 50 == 0:
        print(i + 1, f"{l}")
    opt.zero_grad()
    l.backward()
    opt.step()
print(w)
"""


def test_tutorial_prints_the_same_text_as_numpy():
    here, numpy_out = here_and_on_numpy(TUTORIAL)
    # the printed w (4 decimals) is identical; the losses printed in full (17 digits) agree to
    # float32 rounding, which differs where one backend's kernel fuses a multiply-add
    assert here.splitlines()[10:] == numpy_out.splitlines()[10:]
    for line, ref in zip(here.splitlines()[:10], numpy_out.splitlines()[:10]):
        assert line.split()[0] == ref.split()[0]
        assert residuals_agree(float(line.split()[1]), float(ref.split()[1])), (line, ref)
    losses = [float(line.split()[1]) for line in here.splitlines()[:10]]
    assert all(v < 1e-9 for v in losses[3:])  # from iteration 200 on
    assert here.endswith(
        "tensor([[2.0000],\n        [3.0000]], dtype=flowkit.float32, requires_grad=True)\n"
    )


def test_grad_fn_names_are_the_numpy_backends():
    a = flow.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    made = {
        "Add": a + 1,
        "Sub": a - 1,
        "Mul": a * a,
        "Div": a / 2,
        "Rdiv": 2 / a,
        "Rsub": 2 - a,
        "Rpow": 2**a,
        "Pow": a**2,
        "Neg": -a,
        "Sum": a.sum(),
        "Mean": a.mean(),
        "Reshape": a.flatten(),
        "Transpose": a.T,
        "Permute": a.permute(1, 0),
        "Getitem": a[0],
        "Cast": a.double(),
        "Clone": a.clone(),
        "Matmul": a @ a,
        "MseLoss": F.mse_loss(a, a.detach()),
        "Linear": F.linear(a, a),
    }
    for name, t in made.items():
        assert repr(t.grad_fn) == f"<{name}Backward object>"
    assert a.grad_fn is None
    y = a * 2
    assert y.grad_fn is y.grad_fn  # one GradFn per torch node
    assert y.grad_fn.next_functions  # torch's attributes are reachable through it


# ------------------------------------------------------------------------------------ errors
def test_broadcast_errors_have_the_numpy_message():
    with pytest.raises(ShapeError) as e:
        flow.ones(2, 2) + flow.ones(3)
    assert str(e.value) == (
        "add: shapes (2, 2) and (3,) cannot be broadcast together (trailing "
        "dimensions must be equal or 1); reshape one of them"
    )
    with pytest.raises(ShapeError, match=r"^lt: shapes \(2, 2\) and \(3,\)"):
        _ = flow.ones(2, 2) < flow.ones(3)
    with pytest.raises(ShapeError, match=r"^add_: shapes \(3,\) and \(2, 3\) cannot be broadcast"):
        flow.zeros(3).add_(flow.ones(2, 3))


def test_matmul_linear_and_loss_errors():
    a = flow.ones(2, 2)
    with pytest.raises(ShapeError) as e:
        flow.matmul(a, flow.ones(3, 1))
    assert str(e.value) == (
        "matmul: shapes (2, 2) and (3, 1) do not fit: the last dimension of "
        "the first (2) must equal the second-to-last dimension of the second "
        "(3)"
    )
    with pytest.raises(
        DTypeError,
        match="both operands must have the same dtype, got flowkit.float32 and flowkit.float64",
    ):
        flow.matmul(a, flow.ones(2, 2, dtype=flow.float64))
    with pytest.raises(ShapeError, match="at least one dimension"):
        flow.matmul(a, flow.tensor(1.0))
    with pytest.raises(ShapeError, match=r"input has shape \(4, 1\) but target has shape \(4,\)"):
        F.mse_loss(flow.ones(4, 1), flow.ones(4))
    with pytest.raises(DTypeError, match="input is flowkit.float32 but target is flowkit.float64"):
        F.mse_loss(flow.ones(4), flow.ones(4, dtype=flow.float64))
    with pytest.raises(ShapeError, match="in_features=2"):
        F.linear(flow.ones(3, 3), a)
    with pytest.raises(DTypeError, match="input is flowkit.float64 but the weight"):
        F.linear(flow.ones(3, 2, dtype=flow.float64), a)


def test_other_errors_have_the_numpy_messages():
    with pytest.raises(
        DTypeError,
        match="add_: cannot write a float64 result into this flowkit.int64 tensor in place",
    ):
        flow.tensor([1, 2]).add_(1.5)
    with pytest.raises(DTypeError, match="mean\\(\\) needs a floating-point tensor"):
        flow.tensor([1, 2]).mean()
    with pytest.raises(ShapeError, match=r"reshape: cannot view a tensor of shape \(2, 2\)"):
        flow.ones(2, 2).reshape(3)
    with pytest.raises(ShapeError, match="item\\(\\) needs a tensor with one element"):
        flow.ones(2).item()
    with pytest.raises(IndexError, match="dimension 2 is out of range for a 2-d tensor"):
        flow.ones(2, 2).sum(2)
    with pytest.raises(DTypeError, match="only floating-point tensors can require gradients"):
        flow.tensor([1, 2]).requires_grad_()
    with pytest.raises(TypeError, match="a flowkit tensor and a numpy array cannot be mixed"):
        flow.ones(2) + np.ones(2)


def test_device_mismatch_is_a_device_error():
    # torch's "meta" device gives a second device on a CPU-only machine
    a = flow.ones(2, 2)
    m = _wrap(torch.empty(2, 2, device="meta"))
    for op in (lambda: a + m, lambda: a < m, lambda: F.mse_loss(a, m)):
        with pytest.raises(DeviceError) as e:
            op()
        assert "cpu:0 and meta" in str(e.value) and ".to(device)" in str(e.value)
    # torch computes cpu @ meta without complaint; a real cpu/cuda pair raises, and the
    # translation of that failure is checked directly
    err = _matmul_error(a, m, RuntimeError("Expected all tensors to be on the same device"))
    assert isinstance(err, DeviceError) and "cpu:0 and meta" in str(err)
    err = _linear_error(a, m, None, RuntimeError("Expected all tensors to be on the same device"))
    assert isinstance(err, DeviceError)
    other = RuntimeError("something else")
    assert _matmul_error(a, a, other) is other  # an unrelated failure is passed on as it is


def test_autograd_errors_have_the_numpy_messages():
    a = flow.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = flow.matmul(a, a).sum()
    y.backward()
    with pytest.raises(AutogradError, match="^backward through the graph a second time"):
        y.backward()
    y = flow.matmul(a, a).sum()
    y.backward(retain_graph=True)
    y.backward()  # retained: fine
    with pytest.raises(AutogradError, match=r"only for scalar outputs, this one has shape \(2,"):
        (a * 2).backward()
    with pytest.raises(AutogradError, match="does not require grad and has no grad_fn"):
        flow.ones(2).sum().backward()
    with pytest.raises(ShapeError, match=r"gradient has shape \(3,\), the output has shape"):
        (a * 2).backward(flow.ones(3))
    with pytest.raises(AutogradError, match="a leaf tensor that requires grad cannot be changed"):
        a.add_(1)
    with pytest.raises(AutogradError, match="^fill_: a leaf tensor"):
        a.zero_()
    with pytest.raises(AutogradError, match="^item assignment: a leaf tensor"):
        a[0] = 1.0
    with pytest.raises(AutogradError, match="retain_grad\\(\\) on a tensor that does not"):
        flow.ones(2).retain_grad()


# ------------------------------------------------------------------------------------ semantics
def test_grad_wrapper_is_cached_and_assignable():
    p = flow.nn.Parameter(flow.ones(3))
    assert p.grad is None
    (p * p).sum().backward()
    g = p.grad
    assert g is p.grad  # one wrapper while torch's grad tensor is the same
    (p * p).sum().backward()  # accumulates in place
    assert p.grad.tolist() == [4.0, 4.0, 4.0]
    mine = flow.zeros(3)
    p.grad = mine
    assert p.grad is mine
    p.grad = None
    assert p.grad is None
    with pytest.raises(ShapeError, match="assigned grad has shape"):
        p.grad = flow.zeros(2)
    y = p * 2
    (y * y).sum().backward()
    assert y.grad is None  # a non-leaf's grad, quietly (torch would warn)
    # the cache leaves torch's tensors picklable and keeps nothing alive
    assert pickle.loads(pickle.dumps(p.grad)).tolist() == p.grad.tolist()
    del g, mine
    gc.collect()
    before = len(flowkit_torch.define._grad_wrappers)
    for _ in range(20):
        p.grad = None
        (p * p).sum().backward()
        assert p.grad is p.grad
    p.grad = None
    gc.collect()
    assert len(flowkit_torch.define._grad_wrappers) <= before


def test_in_place_inside_a_graph_keeps_saved_values():
    # torch alone fails this backward (a saved tensor was modified); flowkit computes in-place
    # ops inside a graph out of place, as the numpy backend does
    a = flow.tensor([1.0, 2.0], requires_grad=True)
    y = a * 2
    z = (y * y).sum()
    y.add_(1)
    z.backward()
    assert a.grad.tolist() == [8.0, 16.0]
    assert y.tolist() == [3.0, 5.0] and repr(y.grad_fn) == "<AddBackward object>"


def test_memory_sharing_and_numpy():
    arr = np.zeros(3)
    t = flow.from_numpy(arr)
    t.add_(1)
    assert arr.tolist() == [1.0, 1.0, 1.0]  # shared on CPU
    c = flow.tensor(arr)
    c.add_(1)
    assert arr.tolist() == [1.0, 1.0, 1.0]  # flow.tensor copies
    assert flow.from_numpy(np.arange(4)[::-1]).tolist() == [3, 2, 1, 0]  # copied: not viewable
    p = flow.nn.Parameter(flow.ones(2))
    view = p.numpy()  # never raises for requires_grad
    with flow.no_grad():
        p.mul_(3)
    assert view.tolist() == [3.0, 3.0]
    assert isinstance(p, flow.nn.Parameter) and isinstance(p, flow.Tensor)


def test_cuda_requests_without_cuda_are_device_errors():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(DeviceError, match="torch.cuda.is_available\\(\\) = False"):
        flow.ones(2).to("cuda")
    with pytest.raises(DeviceError, match="device='cpu'"):
        flow.tensor([1.0], device="cuda:0")


# ------------------------------------------------------------------------------------ optimizers
def _tensors(seed: int, step: int):
    rng = np.random.default_rng(seed * 1000 + step)
    return [flow.tensor(rng.standard_normal(s), dtype=flow.float64) for s in [(3, 2), (4,), ()]]


def _assert_same(kernel_list, reference_list):
    for k, r in zip(kernel_list, reference_list, strict=True):
        if r is None:
            assert k is None
            continue
        assert k.dtype == flow.float64
        np.testing.assert_array_equal(k.numpy(), r.numpy())


def _assert_close(kernel_list, reference_list):
    """For Adam only: its torch kernel uses torch.optim.Adam's fused ops (lerp, addcmul,
    addcdiv), which round differently from the reference's sequence, so the two agree to an ulp
    or two, not bit for bit. A wrong formula would be off by far more than rtol; atol covers
    m = 0.9 m + 0.1 g where the terms cancel (tiny result, error an ulp of the terms)."""
    for k, r in zip(kernel_list, reference_list, strict=True):
        assert k.dtype == flow.float64
        np.testing.assert_allclose(k.numpy(), r.numpy(), rtol=1e-12, atol=1e-15)


SGD_SETTINGS = [
    dict(momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False),
    dict(momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False),
    dict(momentum=0.9, dampening=0.3, weight_decay=0.0, nesterov=False, maximize=False),
    dict(momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True, maximize=False),
    dict(momentum=0.0, dampening=0.0, weight_decay=0.05, nesterov=False, maximize=False),
    dict(momentum=0.5, dampening=0.1, weight_decay=0.05, nesterov=False, maximize=True),
    dict(momentum=0.9, dampening=0.0, weight_decay=0.01, nesterov=True, maximize=True),
]


@pytest.mark.parametrize("settings", SGD_SETTINGS)
def test_sgd_kernel_matches_the_reference(settings):
    ps_k, ps_r = _tensors(0, 0), _tensors(0, 0)
    bufs_k, bufs_r = [None] * 3, [None] * 3
    for step in range(6):
        grads = _tensors(1, step)
        if step == 3 and settings["momentum"]:
            bufs_k[1] = bufs_r[1] = None  # a buffer made late, beside existing ones
        kernels.sgd(ps_k, grads, bufs_k, lr=0.1, **settings)
        with flow.no_grad():
            reference.sgd(ps_r, grads, bufs_r, lr=0.1, **settings)
        _assert_same(ps_k, ps_r)
        _assert_same(bufs_k, bufs_r)


ADAM_SETTINGS = [
    dict(weight_decay=0.0, decoupled_weight_decay=False, maximize=False),
    dict(weight_decay=0.1, decoupled_weight_decay=False, maximize=False),
    dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=False),
    dict(weight_decay=0.01, decoupled_weight_decay=True, maximize=True),
]


@pytest.mark.parametrize("settings", ADAM_SETTINGS)
def test_adam_kernel_matches_the_reference(settings):
    ps_k, ps_r = _tensors(0, 0), _tensors(0, 0)
    ms_k, ms_r = [flow.zeros_like(p) for p in ps_k], [flow.zeros_like(p) for p in ps_r]
    vs_k, vs_r = [flow.zeros_like(p) for p in ps_k], [flow.zeros_like(p) for p in ps_r]
    for step in range(1, 7):
        grads = _tensors(2, step)
        steps = [step, step + 2, step + 5]  # parameters that joined at different times
        hp = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, **settings)
        kernels.adam(ps_k, grads, ms_k, vs_k, steps, **hp)
        with flow.no_grad():
            reference.adam(ps_r, grads, ms_r, vs_r, steps, **hp)
        for k, r in ((ps_k, ps_r), (ms_k, ms_r), (vs_k, vs_r)):
            _assert_close(k, r)  # not bit for bit: see _assert_close


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("settings", ADAM_SETTINGS[:3])
def test_adam_kernel_keeps_float32(settings, amsgrad):
    """In float32 the kernel computes in float32 (parameters and state stay float32) and agrees
    with the reference to a few float32 ulp: rtol for most values, atol (4 ulp of 1) for m
    where its two terms cancel."""

    def f32(seed, step):
        return [t.float() for t in _tensors(seed, step)]

    ps_k, ps_r = f32(0, 0), f32(0, 0)
    st_k = [[flow.zeros_like(p) for p in ps_k] for _ in range(3)]
    st_r = [[flow.zeros_like(p) for p in ps_r] for _ in range(3)]
    tol = 4 * float(np.finfo(np.float32).eps)
    for step in range(1, 7):
        grads = f32(2, step)
        steps = [step, step + 2, step + 5]
        hp = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, amsgrad=amsgrad, **settings)
        kernels.adam(ps_k, grads, st_k[0], st_k[1], steps, max_exp_avg_sqs=st_k[2], **hp)
        with flow.no_grad():
            reference.adam(ps_r, grads, st_r[0], st_r[1], steps, max_exp_avg_sqs=st_r[2], **hp)
        for k, r in zip(ps_k + sum(st_k, []), ps_r + sum(st_r, []), strict=True):
            assert k.dtype == flow.float32 and k._t.dtype == torch.float32
            np.testing.assert_allclose(k.numpy(), r.numpy(), rtol=tol, atol=tol)


def test_optimizers_pick_the_torch_kernels_and_train():
    p = flow.nn.Parameter(flow.ones(2))
    assert flow.optim.SGD([p], 0.1)._kernel is kernels.sgd
    assert flow.optim.Adam([p])._kernel is kernels.adam
    assert flow.optim.AdamW([p])._kernel is kernels.adam
    opt = flow.optim.SGD([p], 0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    assert torch.is_grad_enabled() and flow.is_grad_enabled()  # the kernel restored grad mode
    assert isinstance(opt.state[p]["momentum_buffer"], flow.Tensor)
    assert p.requires_grad and p.is_leaf


# ------------------------------------------------------------------------------------ plugin
def test_declaration_and_probe():
    (spec,) = flowkit_torch.flowkit_declare_backends()
    assert spec.name == "torch" and spec.requires == ("torch>=2.4",)
    assert flowkit_torch.flowkit_probe_backend("numpy") is None
    probe = flowkit_torch.flowkit_probe_backend("torch")
    assert probe.usable and probe.version == flowkit_torch.metadata.version("torch")
    assert probe.devices[0] == "cpu"
    row = next(b for b in flow.backends() if b.name == "torch")
    assert row.usable and row.selected


def test_probe_without_torch_or_with_an_old_one(monkeypatch):
    def missing(name):
        raise flowkit_torch.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(flowkit_torch.metadata, "version", missing)
    probe = flowkit_torch.flowkit_probe_backend("torch")
    assert not probe.usable and probe.version is None
    assert probe.reason == (
        "torch is not installed; install it with: pip install "
        '"flowkit[torch]"  (or pip install torch)'
    )
    monkeypatch.setattr(flowkit_torch.metadata, "version", lambda name: "2.1.2")
    probe = flowkit_torch.flowkit_probe_backend("torch")
    assert not probe.usable and "torch>=2.4" in probe.reason


def test_flowkit_device_cuda_without_cuda_is_a_device_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    proc = run_python(
        "import flowkit as flow; flow.zeros(1)", FLOWKIT_BACKEND="torch", FLOWKIT_DEVICE="cuda"
    )
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("flowkit.errors.DeviceError: FLOWKIT_DEVICE=cuda")
    assert f"torch {torch.__version__}" in last and "torch.cuda.is_available() = False" in last
    assert last.endswith("; unset FLOWKIT_DEVICE or set FLOWKIT_DEVICE=cpu")


@pytest.mark.parametrize("device", ["cuda:99", "tpu"])
def test_bad_flowkit_device_is_a_device_error(device):
    proc = run_python(
        "import flowkit as flow; flow.zeros(1)", FLOWKIT_BACKEND="torch", FLOWKIT_DEVICE=device
    )
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"flowkit.errors.DeviceError: FLOWKIT_DEVICE={device}"), last
    assert "FLOWKIT_DEVICE=cpu" in last


def test_flowkit_device_cpu_selects_cpu():
    proc = run_python(
        "import flowkit as flow; print(flow.backend(), flow.ones(1).device)",
        FLOWKIT_BACKEND="torch",
        FLOWKIT_DEVICE="cpu",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "<flowkit backend 'torch' on cpu:0> cpu:0"


def test_one_backend_per_process():
    with pytest.raises(BackendError, match="already uses the 'torch' backend"):
        flow.use_backend("numpy")


def test_importing_the_plugin_does_not_import_torch():
    proc = run_python("""
        import sys
        import flowkit_torch
        assert "torch" not in sys.modules, "import flowkit_torch imported torch"
        import flowkit as flow
        w = flow.nn.Parameter(flow.ones(2))   # numpy backend, every plugin loaded
        flow.optim.SGD([w], 0.1)               # the optimizer-kernel hook ran in every plugin
        assert flow.backend().name == "numpy"
        assert "torch" not in sys.modules, "the numpy backend imported torch"
    """)
    assert proc.returncode == 0, proc.stderr

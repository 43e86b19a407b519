"""Every error flowkit raises on bad input is a flowkit error type whose message names the problem
and the fix. Backend-agnostic, except the numpy-only device check; the backend-selection errors
run in subprocesses (a process selects its backend once)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import flowkit as flow

F = flow.nn.functional


def _msg(info) -> str:
    return str(info.value)


# ------------------------------------------------------------------------------------ shapes
def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(flow.ShapeError) as info:
        flow.matmul(flow.zeros(4, 2), flow.zeros(3, 1))
    m = _msg(info)
    assert "(4, 2)" in m and "(3, 1)" in m
    assert "must equal" in m  # the rule that fixes it
    assert isinstance(info.value, RuntimeError)  # what PyTorch code catches
    with pytest.raises(flow.ShapeError, match=r"\(4, 2\).*\(3, 1\)"):
        flow.zeros(4, 2) @ flow.zeros(3, 1)


@pytest.mark.parametrize("position", ["first", "second"])
def test_matmul_of_a_non_tensor_names_the_operand_and_the_fix(position):
    # the backend's own matmul (what flowkit.matmul and @ reach) says which operand is wrong,
    # with one message on every backend (flowkit.ops.linalg.operand_error)
    t, raw = flow.ones(2, 2), [[1.0, 0.0], [0.0, 1.0]]
    a, b = (raw, t) if position == "first" else (t, raw)
    with pytest.raises(TypeError, match=rf"{position} operand, got list.*flowkit\.tensor"):
        flow.backend().matmul(a, b)
    if position == "second":
        with pytest.raises(TypeError, match=r"second operand, got list.*flowkit\.tensor"):
            t @ raw


def test_broadcast_mismatch():
    with pytest.raises(flow.ShapeError) as info:
        flow.zeros(2, 3) + flow.zeros(4)
    m = _msg(info)
    assert "(2, 3)" in m and "(4,)" in m
    assert "broadcast" in m and "reshape" in m
    with pytest.raises(flow.ShapeError, match="broadcast"):
        flow.zeros(2, 3) * flow.zeros(2)


def test_mse_loss_shape_mismatch():
    with pytest.raises(flow.ShapeError) as info:
        F.mse_loss(flow.zeros(3, 1), flow.zeros(3))
    m = _msg(info)
    assert "(3, 1)" in m and "(3,)" in m
    assert "eshape" in m  # Reshape one of them
    with pytest.raises(flow.ShapeError):
        flow.nn.MSELoss()(flow.zeros(4, 1), flow.zeros(4))


def test_reshape_mismatch():
    with pytest.raises(flow.ShapeError, match=r"\(2, 3\).*6 elements"):
        flow.zeros(2, 3).reshape(5)


# ------------------------------------------------------------------------------------ dtypes
def test_matmul_dtype_mismatch():
    with pytest.raises(flow.DTypeError) as info:
        flow.matmul(flow.zeros(2, 3), flow.zeros(3, 1, dtype=flow.float64))
    m = _msg(info)
    assert "flowkit.float32" in m and "flowkit.float64" in m
    assert ".to(" in m
    assert isinstance(info.value, TypeError)


def test_mse_loss_dtype_mismatch():
    with pytest.raises(flow.DTypeError) as info:
        F.mse_loss(flow.zeros(3), flow.zeros(3, dtype=flow.float64))
    m = _msg(info)
    assert "flowkit.float32" in m and "flowkit.float64" in m
    assert ".to(" in m


def test_requires_grad_on_an_int_tensor():
    with pytest.raises(flow.DTypeError) as info:
        flow.tensor([1, 2], requires_grad=True)
    assert "flowkit.int64" in _msg(info) and "float" in _msg(info)
    t = flow.tensor([1, 2])
    with pytest.raises(flow.DTypeError) as info:
        t.requires_grad_()
    assert "flowkit.int64" in _msg(info) and ".float()" in _msg(info)
    with pytest.raises(flow.DTypeError):
        t.requires_grad = True
    assert not t.requires_grad


def test_unsupported_data():
    with pytest.raises(flow.DTypeError, match="numbers"):
        flow.tensor(["a", "b"])


# ------------------------------------------------------------------------------------ autograd
def test_second_backward():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(flow.AutogradError) as info:
        y.backward()
    assert "second time" in _msg(info) and "retain_graph=True" in _msg(info)


def test_non_scalar_backward():
    x = flow.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(flow.AutogradError) as info:
        (x * 2).backward()
    m = _msg(info)
    assert "scalar" in m
    assert ".sum()" in m and "gradient=" in m


def test_item_on_a_multi_element_tensor():
    with pytest.raises(flow.ShapeError) as info:
        flow.zeros(2, 3).item()
    m = _msg(info)
    assert "(2, 3)" in m and "one element" in m
    assert "tolist" in m
    with pytest.raises(flow.ShapeError, match="tolist"):
        float(flow.zeros(2))


def test_truth_value_of_a_multi_element_tensor():
    with pytest.raises(flow.FlowkitError, match=r"\.any\(\) or \.all\(\)"):
        bool(flow.zeros(2) == flow.zeros(2))


# ------------------------------------------------------------------------------------ optimizers
def test_optimizer_with_an_empty_parameter_list():
    with pytest.raises(ValueError) as info:
        flow.optim.SGD([], lr=0.1)
    assert "empty parameter list" in _msg(info) and "nn.Parameter" in _msg(info)

    class Empty(flow.nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(ValueError, match="empty parameter list"):
        flow.optim.Adam(Empty().parameters())


def test_optimizer_given_a_non_tensor():
    with pytest.raises(TypeError) as info:
        flow.optim.SGD([flow.zeros(1, requires_grad=True), 1.0], lr=0.1)
    m = _msg(info)
    assert "parameter 1 is float" in m and "model.parameters()" in m


def test_optimizer_given_a_single_tensor():
    w = flow.nn.Parameter(flow.zeros(2))
    with pytest.raises(TypeError) as info:
        flow.optim.SGD(w, lr=0.1)
    assert "single tensor" in _msg(info) and "list" in _msg(info)


def test_optimizer_given_a_non_leaf():
    x = flow.zeros(2, requires_grad=True) * 2
    with pytest.raises(ValueError, match="leaf"):
        flow.optim.SGD([x], lr=0.1)


@pytest.mark.parametrize(
    "make",
    [
        lambda p: flow.optim.SGD([p], lr=-1.0),
        lambda p: flow.optim.SGD([p], lr=0.1, momentum=-1),
        lambda p: flow.optim.SGD([p], lr=0.1, nesterov=True),
        lambda p: flow.optim.Adam([p], betas=(1.0, 0.9)),
        lambda p: flow.optim.AdamW([p], lr=-1),
    ],
)
def test_optimizer_hyperparameter_errors(make):
    with pytest.raises(ValueError):
        make(flow.nn.Parameter(flow.zeros(2)))


# ------------------------------------------------------------------------------------ state dicts
class _Two(flow.nn.Module):
    def __init__(self, n=2):
        super().__init__()
        self.a = flow.nn.Parameter(flow.zeros(n))
        self.b = flow.nn.Parameter(flow.zeros(1))


def test_load_state_dict_missing_keys():
    m = _Two()
    with pytest.raises(flow.FlowkitError) as info:
        m.load_state_dict({"a": flow.ones(2)})
    msg = _msg(info)
    assert "missing keys: b" in msg and "strict=False" in msg
    assert isinstance(info.value, RuntimeError)  # what PyTorch raises here
    assert m.a.tolist() == [0.0, 0.0]  # nothing was loaded
    result = m.load_state_dict({"a": flow.ones(2)}, strict=False)
    assert result.missing_keys == ["b"] and result.unexpected_keys == []
    assert m.a.tolist() == [1.0, 1.0]


def test_load_state_dict_unexpected_keys():
    m = _Two()
    sd = {"a": flow.ones(2), "b": flow.ones(1), "c": flow.ones(3)}
    with pytest.raises(flow.FlowkitError) as info:
        m.load_state_dict(sd)
    assert "unexpected keys: c" in _msg(info) and "strict=False" in _msg(info)
    result = m.load_state_dict(sd, strict=False)
    assert result.unexpected_keys == ["c"] and result.missing_keys == []


def test_load_state_dict_shape_mismatch():
    m = _Two(2)
    with pytest.raises(flow.ShapeError) as info:
        m.load_state_dict(_Two(3).state_dict())
    msg = _msg(info)
    assert "a: checkpoint (3,), model (2,)" in msg
    assert "strict=False" in msg or "sizes" in msg
    with pytest.raises(flow.ShapeError):  # even when not strict
        m.load_state_dict(_Two(3).state_dict(), strict=False)


def test_module_attribute_errors():
    class Early(flow.nn.Module):
        def __init__(self):
            self.w = flow.nn.Parameter(flow.zeros(1))  # before super().__init__()

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Early()
    m = _Two()
    with pytest.raises(TypeError, match="Parameter or None"):
        m.a = flow.zeros(2)
    with pytest.raises(TypeError, match="nn.Parameter"):
        m.register_parameter("c", flow.zeros(1))
    with pytest.raises(TypeError, match="flowkit tensor"):
        flow.nn.Parameter([1.0, 2.0])


def test_loss_reduction_error():
    with pytest.raises(ValueError, match="'none', 'mean', 'sum'"):
        flow.nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(flow.zeros(1), flow.zeros(1), reduction="max")


# ------------------------------------------------------------------------------------ devices
def test_to_cuda_on_the_numpy_backend():
    if flow.backend().name != "numpy":
        pytest.skip("the numpy backend's device check")
    with pytest.raises(flow.DeviceError) as info:
        flow.zeros(2).to("cuda")
    assert "cuda:0" in _msg(info) and "FLOWKIT_BACKEND=torch" in _msg(info)
    with pytest.raises(flow.DeviceError, match="FLOWKIT_BACKEND=torch"):
        flow.zeros(2, device="cuda")
    with pytest.raises(flow.DeviceError):
        flow.zeros(2).cuda()


def test_unknown_device_string():
    with pytest.raises(flow.DeviceError, match="'cpu', 'cuda' or 'cuda:N'"):
        flow.device("gpu")
    with pytest.raises(flow.DeviceError, match="non-negative integer"):
        flow.device("cuda:x")


def test_unknown_dtype_name():
    with pytest.raises(flow.DTypeError, match="float32"):
        flow.zeros(1, dtype="float33")


# ------------------------------------------------------------------------------------ selection
_PROBE = textwrap.dedent("""
    import flowkit as flow
    try:
        flow.tensor([1.0])
    except flow.FlowkitError as e:
        print("ERROR", type(e).__name__)
        print(e)
    else:
        print("NO ERROR", flow.backend().name)
""")


def _run(env_updates: dict[str, str], pythonpath: list[str] | None = None) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FLOWKIT_BACKEND", "FLOWKIT_DEVICE", "PYTHONPATH")
    }
    env.update(env_updates)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(
            pythonpath + os.environ.get("PYTHONPATH", "").split(os.pathsep)
        ).rstrip(os.pathsep)
    r = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.once
def test_unknown_backend_lists_installed_backends():
    out = _run({"FLOWKIT_BACKEND": "nonexistent"})
    assert out.startswith("ERROR BackendError"), out
    assert "'nonexistent'" in out
    assert "installed backends" in out and "numpy (usable)" in out
    assert "FLOWKIT_BACKEND" in out  # the fix: set it to one of those names


@pytest.mark.once
def test_cuda_device_on_the_numpy_backend():
    out = _run({"FLOWKIT_BACKEND": "numpy", "FLOWKIT_DEVICE": "cuda"})
    assert out.startswith("ERROR DeviceError"), out
    assert "cuda" in out and "FLOWKIT_BACKEND=torch" in out


@pytest.mark.once
def test_default_backend_is_numpy():
    assert _run({}).strip() == "NO ERROR numpy"


@pytest.mark.once
def test_torch_backend_without_torch_says_how_to_install_it(tmp_path):
    if not any(b.name == "torch" for b in flow.backends()):
        pytest.skip("the torch backend plugin is not installed in this checkout")
    blocked = tmp_path / "blocked"
    (blocked / "torch").mkdir(parents=True)
    (blocked / "torch" / "__init__.py").write_text(
        'raise ImportError("torch is made unimportable for this test")\n'
    )
    out = _run({"FLOWKIT_BACKEND": "torch"}, pythonpath=[str(blocked)])
    assert out.startswith("ERROR BackendError"), out
    assert "torch" in out and "pip install" in out

"""Anomaly detection (``flowkit.autograd.detect_anomaly``): the first op whose backward makes a
NaN or an infinity stops backward with an error naming its backward function, its input shapes
and the forward line that ran it; the same text on every backend. Off, nothing is checked."""

from __future__ import annotations

import inspect
import os

import pytest

import flowkit as flow

HERE = os.path.abspath(__file__)


def _line(marker: str) -> int:
    """The line of this file holding ``marker`` (a comment at the end of a forward line)."""
    for i, text in enumerate(inspect.getsource(inspect.getmodule(_line)).splitlines(), 1):
        if text.rstrip().endswith(f"# {marker}"):
            return i
    raise AssertionError(marker)


def _error(fn) -> str:
    with pytest.raises(flow.AutogradError) as info:
        fn()
    return str(info.value)


def _nan_program():
    x = flow.tensor([4.0, 0.0], requires_grad=True)
    y = x.sqrt()  # forward: sqrt
    return x, (y * 0).sum()  # the gradient reaching sqrt is 0: 0 / (2 * sqrt(0)) is nan


def test_a_nan_names_the_op_its_inputs_and_the_forward_line():
    with flow.autograd.detect_anomaly():
        x, loss = _nan_program()
        message = _error(loss.backward)
    # the frames above the user's own depend on who runs the test: check the lines that do not
    first, second, third, *frames = message.splitlines()
    assert first == "Function 'SqrtBackward' returned nan values in its 0th output."
    assert second == (
        "Its inputs have shapes (2,); output 0 is the gradient for the input of shape (2,)."
    )
    assert third == "Forward call of the op (most recent call last):"
    assert frames[-2:] == [
        f'  File "{HERE}", line {_line("forward: sqrt")}, in _nan_program',
        "    y = x.sqrt()  # forward: sqrt",
    ]
    # only the user's frames: nothing from flowkit or the backend
    assert not any("flowkit" in f.split('"')[1] for f in frames if f.startswith("  File"))
    assert x.grad is None  # backward stopped at the op


def test_an_infinity_too_and_inputs_that_need_no_gradient():
    a = flow.tensor([1.0, 2.0], requires_grad=True)
    b = flow.tensor([0.0, 1.0])
    with flow.autograd.detect_anomaly():
        y = a / b  # forward: div
        message = _error(lambda: y.sum().backward())
    lines = message.splitlines()
    assert lines[0] == "Function 'DivBackward' returned inf values in its 0th output."
    assert lines[1] == (
        "Its inputs have shapes (2,), (needs no gradient); output 0 is the gradient for the "
        "input of shape (2,)."
    )
    assert lines[-1] == "    y = a / b  # forward: div"
    assert f"line {_line('forward: div')}," in lines[-2]


def test_off_nothing_is_checked_and_the_nan_reaches_grad():
    x, loss = _nan_program()
    loss.backward()
    g = x.grad.tolist()
    assert g[0] == 0.0 and g[1] != g[1]  # nan, silently (as in PyTorch)


def test_autograd_grad_is_checked_too_and_the_decorator_form():
    @flow.autograd.detect_anomaly()
    def grads():
        x, loss = _nan_program()
        return flow.autograd.grad(loss, [x])

    assert _error(grads).startswith("Function 'SqrtBackward' returned nan values")
    assert not flow.autograd.is_anomaly_enabled()


def test_check_nan_false_records_traces_only():
    with flow.autograd.detect_anomaly(check_nan=False):
        assert flow.autograd.is_anomaly_enabled()
        assert not flow.autograd.is_anomaly_check_nan_enabled()
        x, loss = _nan_program()
        loss.backward()  # no check
    assert x.grad.tolist()[1] != x.grad.tolist()[1]


def test_a_changed_saved_tensor_gets_the_forward_line():
    w, c = flow.ones(2, requires_grad=True), flow.ones(2)
    with flow.autograd.detect_anomaly(check_nan=False):
        q = w * c  # forward: mul
        c.add_(1)
        message = _error(lambda: q.sum().backward())
    assert message.startswith(
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: MulBackward needs a flowkit.float32 tensor of shape (2,)"
    )
    assert message.splitlines()[-1] == "    q = w * c  # forward: mul"


def test_an_op_run_before_the_switch_says_it_has_no_trace():
    x = flow.tensor([0.0], requires_grad=True)
    y = x.sqrt()
    with flow.autograd.detect_anomaly():
        message = _error(lambda: (y * 0).sum().backward())
    assert message.startswith("Function 'SqrtBackward' returned nan values")
    assert message.endswith(
        "No forward trace for this op: it ran before anomaly detection was switched on (wrap "
        "the forward pass in flowkit.autograd.detect_anomaly() too)"
    )


def test_set_detect_anomaly_as_a_call_and_as_a_context_manager():
    flow.autograd.set_detect_anomaly(True)
    try:
        assert flow.autograd.is_anomaly_enabled()
        with flow.autograd.set_detect_anomaly(False):
            assert not flow.autograd.is_anomaly_enabled()
        assert flow.autograd.is_anomaly_enabled()
    finally:
        flow.autograd.set_detect_anomaly(False)
    assert not flow.autograd.is_anomaly_enabled()


def test_training_under_anomaly_detection_gives_the_same_numbers():
    def train():
        flow.manual_seed(0)
        model = flow.nn.Sequential(flow.nn.Linear(3, 4), flow.nn.Tanh(), flow.nn.Linear(4, 1))
        opt = flow.optim.SGD(model.parameters(), lr=0.1)
        x, y = flow.randn(8, 3), flow.randn(8, 1)
        for _ in range(3):
            loss = flow.nn.functional.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return [p.tolist() for p in model.parameters()]

    plain = train()
    with flow.autograd.detect_anomaly():
        checked = train()
    assert checked == plain

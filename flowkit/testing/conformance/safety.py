"""Autograd's safety nets, on the backend of this process: what PyTorch guarantees around the ops
rather than in them, and every flowkit backend must too (the "autograd" column of the table).

* ``autograd.grad_mode_per_thread``: ``no_grad`` in one thread does not stop another thread from
  recording, and interleaved ``no_grad`` blocks leave each thread in its own mode;
* ``autograd.version_counter``: backward refuses a tensor the forward pass saved and the program
  then changed in place (with `flowkit.ops.autograd.modified_error`'s text), and only such
  a tensor: ``w * 3.0`` saves nothing of ``w``, and ``linear(x, W)`` with ``x`` needing no
  gradient saves nothing of ``W``, so changing those is fine (PyTorch's saved tensors);
* ``autograd.detect_anomaly``: inside ``flowkit.autograd.detect_anomaly()``, a NaN made in
  backward stops it with `flowkit.autograd.anomaly_mode.nonfinite_gradient_error`'s text;
* ``autograd.post_accumulate_grad_hook``: a leaf's hook runs once per backward, with the
  complete, accumulated ``.grad`` (what DistributedDataParallel's averaging relies on).

Each check raises ``AssertionError`` with what went wrong; a backend that leaves a declared method
out raises [`BackendNotImplementedError`][flowkit.errors.BackendNotImplementedError] (reported as
*not implemented*).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import flowkit as flow

F = flow.nn.functional
WAIT = 30.0  # seconds: every wait is bounded, so a broken backend fails instead of hanging

MODIFIED = "has been modified by an inplace operation"


def _refused(fn: Callable[[], object]) -> str:
    try:
        fn()
    except flow.AutogradError as exc:
        return str(exc)
    raise AssertionError("backward ran: it must refuse (flowkit.AutogradError)")


def check_grad_mode_per_thread() -> None:
    w = flow.ones(2, requires_grad=True)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, list] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def probe():
        return flow.is_grad_enabled(), (w * 2).requires_grad

    def thread_a():
        with flow.no_grad():
            a_in.set()
            b_in.wait(WAIT)
            seen["a"].append(probe())
        seen["a"].append(probe())
        a_out.set()

    def thread_b():
        a_in.wait(WAIT)
        with flow.no_grad():
            b_in.set()
            a_out.wait(WAIT)
            seen["b"].append(probe())
        seen["b"].append(probe())

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # reported below
                errors.append(exc)
                a_in.set(), b_in.set(), a_out.set()

        return run

    threads = [threading.Thread(target=guarded(f), daemon=True) for f in (thread_a, thread_b)]
    for t in threads:
        t.start()
    a_in.wait(WAIT)
    main = probe()  # while thread A is inside no_grad
    for t in threads:
        t.join(WAIT)
    if errors:
        raise errors[0]
    assert not any(t.is_alive() for t in threads), "a thread did not finish"
    assert main == (True, True), f"no_grad in another thread switched this one off: {main}"
    for name in "ab":
        assert seen[name] == [(False, False), (True, True)], (
            f"thread {name.upper()}: (grad mode, records) inside then after its no_grad block "
            f"were {seen[name]}, expected [(False, False), (True, True)]"
        )
    assert probe() == (True, True)


def check_version_counter() -> None:
    # refused: the product saved x for w's gradient
    w, x = flow.ones(2, requires_grad=True), flow.tensor([1.0, 2.0])
    y = (w * x).sum()
    x.add_(1.0)
    message = _refused(y.backward)
    assert MODIFIED in message, f"not the version-counter error: {message}"
    assert "at version 1; expected version 0 instead" in message, message
    # fine: w * 3.0 saved nothing of w (an optimizer may change w before backward)
    w = flow.ones(2, requires_grad=True)
    y = (w * 3.0).sum()
    with flow.no_grad():
        w.add_(1.0)
    y.backward()
    assert w.grad is not None and w.grad.tolist() == [3.0, 3.0], w.grad
    # fine: linear(x, W) with x needing no gradient saved x only
    W = flow.ones(1, 2, requires_grad=True)
    x = flow.tensor([[1.0, 2.0]])
    y = F.linear(x, W).sum()
    with flow.no_grad():
        W.mul_(2.0)
    y.backward()
    assert W.grad is not None and W.grad.tolist() == [[1.0, 2.0]], W.grad
    # refused: the weight's change reaches the gradient of an input that needs one
    x = flow.tensor([[1.0, 2.0]], requires_grad=True)
    y = F.linear(x, W).sum()
    with flow.no_grad():
        W.mul_(2.0)
    assert MODIFIED in _refused(y.backward)


def check_detect_anomaly() -> None:
    x = flow.tensor([4.0, 0.0], requires_grad=True)
    with flow.autograd.detect_anomaly():
        y = x.sqrt()
        loss = (y * 0).sum()  # 0 times sqrt's infinite gradient at 0: nan
        message = _refused(loss.backward)
    first = message.splitlines()[0]
    assert first == "Function 'SqrtBackward' returned nan values in its 0th output.", message
    # (the forward line itself is in this file, inside flowkit: left out of the trace)
    assert "\nForward call of the op (most recent call last):" in message, (
        f"the error must list the forward call of the op:\n{message}"
    )
    assert not flow.autograd.is_anomaly_enabled()


def _grad_list(p: flow.Tensor) -> list:
    assert p.grad is not None, "the hook ran before the gradient was in .grad"
    return p.grad.tolist()


def check_post_accumulate_grad_hook() -> None:
    """The hook runs once per backward, after the leaf's gradient is complete (every use of it
    has contributed), sees the accumulated ``.grad``, and stops after ``remove()``; a non-leaf
    refuses one. DistributedDataParallel averages gradients from this hook."""
    w = flow.tensor([1.0, 2.0], requires_grad=True)
    seen: list[list[float]] = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(_grad_list(p)))
    (w * w + w * 3.0).sum().backward()  # two uses of w: one call, with 2w + 3
    assert seen == [[5.0, 7.0]], f"one call with the complete gradient [5, 7] expected, got {seen}"
    flow.autograd.backward([(w * 2.0).sum()])  # accumulates: 5+2, 7+2
    assert seen[1:] == [[7.0, 9.0]], f"the accumulated gradient [7, 9] expected, got {seen}"
    handle.remove()
    (w * 2.0).sum().backward()
    assert len(seen) == 2, "the hook ran after remove()"
    y = w * 2.0
    try:
        y.register_post_accumulate_grad_hook(lambda p: None)
    except flow.AutogradError:
        pass
    else:
        raise AssertionError("a non-leaf accepted a post-accumulate-grad hook")


CHECKS: dict[str, Callable[[], None]] = {
    "autograd.grad_mode_per_thread": check_grad_mode_per_thread,
    "autograd.version_counter": check_version_counter,
    "autograd.detect_anomaly": check_detect_anomaly,
    "autograd.post_accumulate_grad_hook": check_post_accumulate_grad_hook,
}

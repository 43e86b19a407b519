"""Grad mode is per thread, as in PyTorch: one thread inside ``no_grad`` (an evaluation loop, a
data-loading thread) must not stop another thread's training, and no interleaving of
``no_grad`` blocks across threads may leave a thread in the wrong mode. Runs on every backend.

The threads are bounded: every join has a timeout, and a thread that fails reports its
exception to the test instead of dying silently.
"""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import flowkit as flow

JOIN_TIMEOUT = 60.0  # seconds: far above what these threads need, so a hang fails the test


@pytest.fixture(autouse=True)
def _switch_often():
    # switch threads every 10 us instead of 5 ms, so the threads really interleave their ops
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(old)


def _run_threads(*targets):
    """Run each target in its own thread; re-raise the first failure; never leave one behind."""
    errors: list[BaseException] = []

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # reported to the test below
                errors.append(exc)

        return run

    threads = [threading.Thread(target=guarded(fn), daemon=True) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread did not finish in time"
    if errors:
        raise errors[0]


def _make_problem(seed: int):
    """A small regression problem and a fresh model for it, made in the calling thread."""
    flow.manual_seed(seed)
    x = flow.randn(32, 3)
    y = x @ flow.tensor([[2.0], [-1.0], [0.5]]) + 0.1 * flow.randn(32, 1)
    model = flow.nn.Sequential(flow.nn.Linear(3, 8), flow.nn.Tanh(), flow.nn.Linear(8, 1))
    return model, x, y


def _train(model, x, y, steps: int, losses: list, start=None):
    opt = flow.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = flow.nn.MSELoss()
    if start is not None:
        start.wait(JOIN_TIMEOUT)
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())


def _weights(model):
    return [p.numpy().copy() for p in model.parameters()]


def test_training_threads_and_a_no_grad_thread_run_concurrently():
    steps = 60
    # sequential reference: each model trained alone
    expected = []
    for seed in (1, 2):
        model, x, y = _make_problem(seed)
        losses: list = []
        _train(model, x, y, steps, losses)
        expected.append((losses, _weights(model)))

    models = [_make_problem(seed) for seed in (1, 2)]
    evaluator, ex, _ = _make_problem(3)
    runs: list[list] = [[], []]
    start = threading.Barrier(3)
    done = threading.Event()
    seen_modes: list[bool] = []

    def evaluate():
        # an evaluation loop that holds no_grad the whole time the others train
        with flow.no_grad():
            start.wait(JOIN_TIMEOUT)
            while not done.is_set():
                out = evaluator(ex)
                seen_modes.append(flow.is_grad_enabled() or out.requires_grad)

    def trainer(i):
        def run():
            model, x, y = models[i]
            _train(model, x, y, steps, runs[i], start)

        return run

    def trainers_then_stop():
        try:
            _run_threads(trainer(0), trainer(1))
        finally:
            done.set()

    _run_threads(evaluate, trainers_then_stop)
    assert seen_modes and not any(seen_modes), "the no_grad thread recorded a graph"
    for (losses, weights), run, (model, _, _) in zip(expected, runs, models):
        assert run == losses  # bit for bit: no step lost its graph to the other thread's no_grad
        for got, want in zip(_weights(model), weights):
            np.testing.assert_array_equal(got, want)
    assert flow.is_grad_enabled()


def test_interleaved_no_grad_blocks_leave_each_thread_right():
    # A enters, B enters, A leaves, B leaves: with one process-wide flag B would restore A's
    # "off" on the way out and leave grad mode off for everyone
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    report: dict[str, list] = {"a": [], "b": []}
    w = flow.ones(2, requires_grad=True)

    def mode_and_graph():
        return (flow.is_grad_enabled(), (w * 2).requires_grad)

    def thread_a():
        with flow.no_grad():
            a_in.set()
            assert b_in.wait(JOIN_TIMEOUT)
            report["a"].append(mode_and_graph())  # inside: off
        report["a"].append(mode_and_graph())  # after: on again, while B is still inside
        a_out.set()

    def thread_b():
        assert a_in.wait(JOIN_TIMEOUT)
        with flow.no_grad():
            b_in.set()
            assert a_out.wait(JOIN_TIMEOUT)
            report["b"].append(mode_and_graph())  # still off: A leaving did not switch B on
        report["b"].append(mode_and_graph())

    _run_threads(thread_a, thread_b)
    assert report["a"] == [(False, False), (True, True)]
    assert report["b"] == [(False, False), (True, True)]
    assert mode_and_graph() == (True, True)  # the main thread was never touched


def test_a_new_thread_starts_with_grad_mode_on():
    w = flow.ones(2, requires_grad=True)
    seen: list = []

    def child():
        seen.append((flow.is_grad_enabled(), (w * 2).requires_grad))
        with flow.set_grad_enabled(False):
            seen.append((flow.is_grad_enabled(), (w * 2).requires_grad))

    with flow.no_grad():
        _run_threads(child)
        assert not (w * 2).requires_grad  # the child's set_grad_enabled did not leak here
    assert seen == [(True, True), (False, False)]


def test_a_thread_that_ends_inside_no_grad_leaves_the_others_right():
    w = flow.ones(2, requires_grad=True)

    def leaves_mode_off():
        flow.set_grad_enabled(False)  # and ends without switching it back

    _run_threads(leaves_mode_off)
    assert flow.is_grad_enabled() and (w * 2).requires_grad
    a = flow.tensor([1.0, 2.0], requires_grad=True)
    (a * a).sum().backward()
    assert a.grad.tolist() == [2.0, 4.0]

"""Optimizer kernels against the reference update, on the backend of this process.

A backend may offer a faster update for an optimizer through the
``flowkit_select_optimizer_kernel`` hook (chosen once, at construction); the ground truth is the
reference function in `flowkit.optim._functional`. Each `OptimCase` runs two
identical optimizers side by side through the public route (``backward``, ``step``), one with
the kernel the backend selected and one with the reference, in float64, and compares the
parameters and every entry of the optimizer state after each step. A second parameter group
joins mid-run with its own learning rate (state made late, step counts that differ per
parameter), and the gradients shrink and grow (AMSGrad's running maximum is both kept and
replaced). A backend that offers no kernel is given the reference: reported as ``"reference"``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

import flowkit as flow
from flowkit.optim.optimizer import _without_graph

SHAPES = [(3, 2), (4,), ()]
STEPS = 6
# A kernel may fuse operations (torch's lerp/addcmul/addcdiv) and round differently from the
# reference's sequence: an ulp or two. A wrong formula is off by far more.
RTOL, ATOL = 1e-12, 1e-15


@dataclass(frozen=True)
class OptimCase:
    """One optimizer configuration: ``flowkit.optim.<optimizer>(params, **kwargs)``."""

    optimizer: str
    id: str
    kwargs: dict = field(default_factory=dict)
    # step(closure) re-evaluates the model (LBFGS): one parameter group, a closure each step
    closure: bool = False

    @property
    def op(self) -> str:
        return f"optim.{self.optimizer}"


OPTIM_CASES = [
    OptimCase("SGD", "plain", dict(lr=0.1)),
    OptimCase("SGD", "momentum", dict(lr=0.1, momentum=0.9)),
    OptimCase("SGD", "nesterov-wd", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05)),
    OptimCase(
        "SGD", "dampening-maximize", dict(lr=0.1, momentum=0.7, dampening=0.2, maximize=True)
    ),
    OptimCase("Adam", "plain", dict(lr=0.01)),
    OptimCase("Adam", "wd-maximize", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    OptimCase("Adam", "amsgrad", dict(lr=0.01, betas=(0.9, 0.99), amsgrad=True)),
    OptimCase(
        "Adam", "amsgrad-wd-maximize", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)
    ),
    OptimCase("AdamW", "plain", dict(lr=0.01, weight_decay=0.3)),
    OptimCase("AdamW", "amsgrad", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    OptimCase("RMSprop", "plain", dict(lr=0.01)),
    OptimCase("RMSprop", "momentum", dict(lr=0.01, alpha=0.9, momentum=0.9)),
    OptimCase("RMSprop", "centered", dict(lr=0.01, eps=1e-6, centered=True)),
    OptimCase(
        "RMSprop",
        "all",
        dict(lr=0.01, alpha=0.8, weight_decay=0.1, momentum=0.5, centered=True, maximize=True),
    ),
    # alpha <= 0.5: the centered average's lerp weight 1 - alpha takes lerp's other formula
    OptimCase("RMSprop", "small-alpha", dict(lr=0.01, alpha=0.3, centered=True)),
    OptimCase("Adagrad", "plain", dict(lr=0.1)),
    OptimCase("Adagrad", "lr-decay", dict(lr=0.1, lr_decay=0.05)),
    OptimCase("Adagrad", "wd-maximize", dict(lr=0.1, weight_decay=0.1, eps=1e-3, maximize=True)),
    OptimCase("Adagrad", "initial-accumulator", dict(lr=0.1, initial_accumulator_value=0.3)),
    OptimCase("Adadelta", "plain", dict(lr=1.0)),
    OptimCase("Adadelta", "wd-maximize", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    OptimCase("Adamax", "plain", dict(lr=0.01)),
    # beta1 < 0.5: the first moment's lerp weight 1 - beta1 takes lerp's other formula
    OptimCase(
        "Adamax", "wd-maximize", dict(lr=0.01, betas=(0.3, 0.9), weight_decay=0.1, maximize=True)
    ),
    OptimCase("NAdam", "plain", dict(lr=0.01)),
    OptimCase("NAdam", "wd", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    OptimCase(
        "NAdam",
        "decoupled-maximize",
        dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True),
    ),
    # rho_t grows by about one a step from 1: steps 1-5 take the unrectified branch, step 6 the
    # rectified one (for the parameters there from the start)
    OptimCase("LBFGS", "plain", dict(lr=0.5, max_iter=4, history_size=2), closure=True),
    OptimCase(
        "LBFGS",
        "strong-wolfe",
        dict(max_iter=5, history_size=3, line_search_fn="strong_wolfe"),
        closure=True,
    ),
    OptimCase("RAdam", "plain", dict(lr=0.01)),
    OptimCase("RAdam", "wd", dict(lr=0.01, weight_decay=0.1)),
    OptimCase(
        "RAdam",
        "decoupled-maximize",
        dict(
            lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, decoupled_weight_decay=True, maximize=True
        ),
    ),
]


def kernel_name(optimizer) -> str:
    """``"reference"`` when ``optimizer`` updates with the reference function (the backend
    offers no kernel), else the kernel's dotted name.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.testing.conformance.optim import kernel_name
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=0.1)
        >>> kernel_name(opt) != ""
        True
    """
    kernel = optimizer._kernel
    if getattr(kernel, "__wrapped__", None) is type(optimizer)._reference:
        return "reference"
    return f"{getattr(kernel, '__module__', '?')}.{getattr(kernel, '__qualname__', kernel)}"


def _set_grads(params, grads) -> None:
    """Each parameter's gradient through backward (the public route): d/dp sum(p * g) = g."""
    for p, g in zip(params, grads, strict=True):
        (p * flow.tensor(g)).sum().backward()


def _same(what: str, got, want, exact: bool) -> None:
    if isinstance(want, (list, tuple)):
        assert isinstance(got, type(want)) and len(got) == len(want), (
            f"{what}: {type(got).__name__} of {len(got)}, the reference has "
            f"{type(want).__name__} of {len(want)}"
        )
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _same(f"{what}[{i}]", g, w, exact)
    elif isinstance(want, float) and not exact:
        assert isinstance(got, float) and np.isclose(got, want, rtol=RTOL, atol=ATOL), (
            f"{what}: {got!r}, the reference has {want!r}"
        )
    elif isinstance(want, flow.Tensor):
        assert isinstance(got, flow.Tensor), f"{what}: {type(got).__name__}, expected a tensor"
        assert got.dtype == want.dtype == flow.float64, (
            f"{what}: dtype {got.dtype} (the reference keeps {want.dtype})"
        )
        assert tuple(got.shape) == tuple(want.shape), (
            f"{what}: shape {tuple(got.shape)}, expected {tuple(want.shape)}"
        )
        if exact:
            np.testing.assert_array_equal(got.numpy(), want.numpy(), err_msg=what)
        else:
            np.testing.assert_allclose(
                got.numpy(),
                want.numpy(),
                rtol=RTOL,
                atol=ATOL,
                err_msg=f"{what} (kernel vs reference)",
            )
    else:
        assert got == want, f"{what}: {got!r}, the reference has {want!r}"


def check_optimizer(case: OptimCase, exact: bool = False, steps: int = STEPS) -> str:
    """Run the backend's kernel and the reference side by side; raise on the first difference.

    Args:
        case: the optimizer and its settings.
        exact: require bit-for-bit equality (flowkit's own kernels do the reference's
            operations in its order) instead of agreement to ``RTOL``/``ATOL``.
        steps: optimizer steps to take.

    Returns:
        str: the kernel's name, or ``"reference"`` if the backend offers none.

    Examples:
        >>> from flowkit.testing.conformance.optim import OPTIM_CASES, check_optimizer
        >>> isinstance(check_optimizer(OPTIM_CASES[0], steps=2), str)
        True
    """
    cls = getattr(flow.optim, case.optimizer)
    rng = np.random.default_rng(zlib.crc32(f"{case.optimizer}#{case.id}".encode()))
    init = [rng.standard_normal(s) for s in SHAPES]
    pk = [flow.nn.Parameter(flow.tensor(a.copy())) for a in init]
    pr = [flow.nn.Parameter(flow.tensor(a.copy())) for a in init]
    n0 = 3 if case.closure else 2  # a closure optimizer takes one group, from the start
    fast, ref = cls(pk[:n0], **case.kwargs), cls(pr[:n0], **case.kwargs)
    ref._kernel = _without_graph(cls._reference)  # what a backend without kernels is given
    name = kernel_name(fast)
    if case.closure:
        _check_with_closure(case, rng, init, (fast, pk), (ref, pr), exact, steps)
        return name
    join = 3  # the last parameter joins at this step, in a group of its own
    for step in range(1, steps + 1):
        if step == join:
            for opt, ps in ((fast, pk), (ref, pr)):
                opt.add_param_group({"params": [ps[2]], "lr": case.kwargs["lr"] * 0.5})
        n = 3 if step >= join else 2
        # gradients that shrink then grow: AMSGrad's maximum is both kept and replaced
        scale = 4.0 if step in (1, join + 2) else 0.1
        grads = [rng.standard_normal(s) * scale for s in SHAPES[:n]]
        for opt, ps in ((fast, pk), (ref, pr)):
            opt.zero_grad()
            _set_grads(ps[:n], grads)
            opt.step()
        for i in range(n):
            where = f"{case.optimizer}({case.id}) step {step}, parameter {i}"
            _same(where, pk[i], pr[i], exact)
            sk, sr = fast.state[pk[i]], ref.state[pr[i]]
            assert set(sk) == set(sr), f"{where}: state keys {sorted(sk)} vs {sorted(sr)}"
            for key in sorted(sr):
                _same(f"{where}, state {key!r}", sk[key], sr[key], exact)
    assert not np.allclose(pk[0].numpy(), init[0]), "the parameters did not move"
    return name


def _check_with_closure(case, rng, init, fast, ref, exact: bool, steps: int) -> None:
    """``step(closure)`` on a smooth non-quadratic loss whose linear term changes every step
    (the optimizer's history then spans different problems), all parameters in one group."""
    weights = [rng.uniform(0.5, 2.0, s) for s in SHAPES]
    for step in range(1, steps + 1):
        scale = 4.0 if step in (1, 4) else 0.5
        centres = [rng.standard_normal(s) * scale for s in SHAPES]
        for opt, ps in (fast, ref):

            def closure(opt=opt, ps=ps, centres=centres):
                opt.zero_grad()
                loss = 0.0
                for p, w, c in zip(ps, weights, centres, strict=True):
                    loss = loss + (flow.tensor(w) * (p - flow.tensor(c)) ** 2).sum()
                    loss = loss + 0.05 * (p**4).sum()
                loss.backward()
                return loss

            opt.step(closure)
        for i in range(len(SHAPES)):
            where = f"{case.optimizer}({case.id}) step {step}, parameter {i}"
            _same(where, fast[1][i], ref[1][i], exact)
            sk, sr = fast[0].state[fast[1][i]], ref[0].state[ref[1][i]]
            assert set(sk) == set(sr), f"{where}: state keys {sorted(sk)} vs {sorted(sr)}"
            for key in sorted(sr):
                _same(f"{where}, state {key!r}", sk[key], sr[key], exact)
    assert not np.allclose(fast[1][0].numpy(), init[0]), "the parameters did not move"

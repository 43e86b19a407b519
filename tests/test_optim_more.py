"""RMSprop, Adagrad, AMSGrad, learning-rate schedulers and gradient clipping, on the selected
backend.

* every fast kernel against its reference function in float64, parameters and state, bit for bit
  (torch's Adam/AdamW kernel to an ulp or two: it uses torch.optim.Adam's fused ops), through
  the conformance kit's optimizer cases;
* every optimizer against ``torch.optim`` as an oracle (float64, several steps, two parameter
  groups with different learning rates), with the selected kernel and with the reference;
* every scheduler's learning-rate sequence against ``torch.optim.lr_scheduler`` (CosineDecayLR,
  which torch lacks, against OneFlow's formula) over 40 steps;
* ``clip_grad_norm_`` / ``clip_grad_value_`` against ``torch.nn.utils``;
* ``state_dict`` round trips (a resumed run is identical), ``add_param_group``, repr, and the
  kernel chosen once per optimizer.
"""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest

import flowkit as flow
from flowkit.hookspecs import hookimpl
from flowkit.optim import _functional
from flowkit.optim import lr_scheduler as sched
from flowkit.optim.optimizer import _without_graph
from flowkit.testing.conformance.optim import OPTIM_CASES, check_optimizer

nn = flow.nn
optim = flow.optim

SHAPES = [(3, 2), (4,), ()]


def _params(seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [nn.Parameter(flow.tensor(rng.standard_normal(s))) for s in SHAPES]


def _grads(seed: int, step: int) -> list[np.ndarray]:
    rng = np.random.default_rng(1000 * seed + step)
    return [rng.standard_normal(s) for s in SHAPES]


def _set_grads(params, grads) -> None:
    """Give each parameter its gradient through backward (the public route)."""
    for p, g in zip(params, grads, strict=True):
        p.grad = None
        (p * flow.tensor(g)).sum().backward()


# ------------------------------------------------------------------------ kernels vs reference
# The kit runs every optimizer's kernel against its reference on any backend, to an ulp or two
# (flowkit.testing.conformance.optim; tests/test_conformance.py collects it). flowkit's own
# kernels are held to more: each backend offers one for every optimizer, and it does the
# reference's operations in its order, so it agrees bit for bit -- except torch's Adam/AdamW
# kernel, which uses torch.optim.Adam's fused ops (lerp, addcmul, addcdiv) for speed; they round
# differently from the reference's sequence, so there the kit's tolerance applies.
@pytest.mark.parametrize("case", OPTIM_CASES, ids=[f"{c.optimizer}-{c.id}" for c in OPTIM_CASES])
def test_own_kernels_match_the_reference_bit_for_bit(case):
    fused = flow.backend().name == "torch" and case.optimizer in ("Adam", "AdamW")
    kernel = check_optimizer(case, exact=not fused)
    assert kernel != "reference", f"{flow.backend().name} offers no {case.optimizer} kernel"


def test_maximum_helper_is_exact():
    a = flow.tensor(np.array([1.0, 5.0, 0.1 + 0.2, 7.0]))
    b = flow.tensor(np.array([2.0, 4.0, 0.3, 7.0]))
    with flow.no_grad():
        _functional._maximum_(a, b)
    np.testing.assert_array_equal(a.numpy(), [2.0, 5.0, 0.1 + 0.2, 7.0])
    z = flow.tensor(np.float64(1.0))  # 0-d
    with flow.no_grad():
        _functional._maximum_(z, flow.tensor(np.float64(3.0)))
    assert z.item() == 3.0


# ------------------------------------------------------------------------ torch.optim as oracle
ORACLE_CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.4, momentum=0.5, centered=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, initial_accumulator_value=0.2)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, eps=1e-6, maximize=True)),
]
ORACLE_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(ORACLE_CONFIGS)]
# torch's state key for each state entry we compare ("step" is a tensor there, an int here)
STATE_KEYS = {
    "SGD": ["momentum_buffer"],
    "Adam": ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"],
    "AdamW": ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"],
    "RMSprop": ["square_avg", "momentum_buffer", "grad_avg", "step"],
    "Adagrad": ["sum", "step"],
}


def _torch_twin(name, kwargs):
    """The same two-group setup with torch.optim: (flowkit params, optimizer, torch params,
    optimizer). Group 1 has its own lr; one parameter gets no gradient on some steps."""
    torch = pytest.importorskip("torch")
    init = [p.numpy().copy() for p in _params(7)]
    fp = [nn.Parameter(flow.tensor(a)) for a in init]
    tp = [torch.tensor(a, requires_grad=True) for a in init]
    lr1 = kwargs["lr"] * 3
    fopt = getattr(optim, name)([{"params": fp[:2]}, {"params": fp[2:], "lr": lr1}], **kwargs)
    topt = getattr(torch.optim, name)([{"params": tp[:2]}, {"params": tp[2:], "lr": lr1}], **kwargs)
    return fp, fopt, tp, topt


def _oracle_steps(fp, fopt, tp, topt, steps=range(5)):
    """Steps with the same gradients on both; parameters past the first three get cosines."""
    torch = pytest.importorskip("torch")
    for step in steps:
        grads = _grads(4, step)
        grads += [
            np.cos(np.arange(float(f.numel())) + step).reshape(tuple(f.shape))
            for f in fp[len(grads) :]
        ]
        fopt.zero_grad()
        topt.zero_grad()
        for i, (f, t, g) in enumerate(zip(fp, tp, grads, strict=True)):
            if i == 1 and step % 3 == 1:
                continue  # no gradient this step: skipped, its state untouched
            (f * flow.tensor(g)).sum().backward()
            t.grad = torch.tensor(g)
        fopt.step()
        topt.step()


def _assert_matches_torch(name, fp, fopt, tp, topt, rtol=1e-11):
    for f, t in zip(fp, tp, strict=True):
        assert f.dtype == flow.float64
        np.testing.assert_allclose(f.numpy(), t.detach().numpy(), rtol=rtol, atol=1e-14)
        fs, ts = fopt.state[f], topt.state[t]
        for key in STATE_KEYS[name]:
            if key not in ts:
                assert key not in fs, key
                continue
            if key == "step":
                assert fs["step"] == int(ts["step"].item())
            else:
                np.testing.assert_allclose(
                    fs[key].numpy(), ts[key].numpy(), rtol=rtol, atol=1e-14, err_msg=key
                )


@pytest.mark.torch_oracle
@pytest.mark.parametrize("path", ["kernel", "reference"])
@pytest.mark.parametrize("name,kwargs", ORACLE_CONFIGS, ids=ORACLE_IDS)
def test_optimizer_matches_torch(name, kwargs, path):
    fp, fopt, tp, topt = _torch_twin(name, kwargs)
    if path == "reference":
        fopt._kernel = _without_graph(type(fopt)._reference)  # a backend without kernels
    _oracle_steps(fp, fopt, tp, topt)
    _assert_matches_torch(name, fp, fopt, tp, topt)
    assert not np.allclose(fp[0].numpy(), _params(7)[0].numpy())


@pytest.mark.torch_oracle
@pytest.mark.parametrize("name,kwargs", ORACLE_CONFIGS[1::2], ids=ORACLE_IDS[1::2])
def test_add_param_group_matches_torch(name, kwargs):
    """A group added after some steps trains with its own lr and the optimizer's defaults."""
    torch = pytest.importorskip("torch")
    fp, fopt, tp, topt = _torch_twin(name, kwargs)
    kernel = fopt._kernel
    _oracle_steps(fp, fopt, tp, topt, range(2))
    extra = np.linspace(-1.0, 1.0, 5)
    fx, tx = nn.Parameter(flow.tensor(extra)), torch.tensor(extra, requires_grad=True)
    fopt.add_param_group({"params": [fx], "lr": kwargs["lr"] / 2})
    topt.add_param_group({"params": [tx], "lr": kwargs["lr"] / 2})
    assert fopt._kernel is kernel  # chosen once, at construction
    fp, tp = fp + [fx], tp + [tx]
    _oracle_steps(fp, fopt, tp, topt, range(10, 13))
    _assert_matches_torch(name, fp, fopt, tp, topt)
    assert not np.allclose(fx.numpy(), extra)


@pytest.mark.torch_oracle
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_repr_matches_torch(name):
    """Our repr is PyTorch's, minus the settings flowkit does not have (foreach, fused...)."""
    torch = pytest.importorskip("torch")
    # every number given (our defaults are floats, some of torch's are ints: 0 vs 0.0)
    kwargs = dict(
        lr=0.5,
        weight_decay=0.25,
        maximize=False,
        **{
            "SGD": dict(momentum=0.5, dampening=0.0),
            "RMSprop": dict(momentum=0.0),
            "Adagrad": dict(lr_decay=0.0, initial_accumulator_value=0.0),
        }.get(name, {}),
    )
    ours = repr(getattr(optim, name)([nn.Parameter(flow.ones(1))], **kwargs))
    theirs = repr(getattr(torch.optim, name)([torch.ones(1, requires_grad=True)], **kwargs))
    lines = ours.splitlines()
    their_lines = theirs.splitlines()
    assert lines[0] == f"{name} (" and lines[1] == "Parameter Group 0" and lines[-1] == ")"
    it = iter(their_lines)
    assert all(line in it for line in lines), (ours, theirs)  # a subsequence of torch's lines


# ------------------------------------------------------------------------ schedulers vs torch
SCHEDULERS = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 10, 10, 25], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95**e / (1 + e % 4))),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (e + 1), lambda e: 0.5 + math.sin(e) / 4])),
]
SCHED_IDS = [
    "step",
    "multistep",
    "exponential",
    "cosine",
    "cosine-eta-min",
    "lambda",
    "lambda-per-group",
]


def _sgd_two_groups(lib, lr=0.1, lr1=0.03):
    """SGD over two one-element groups with different lr, on flowkit or torch."""
    if lib is flow:
        ps = [nn.Parameter(flow.ones(1)), nn.Parameter(flow.ones(1))]
    else:
        ps = [lib.ones(1, requires_grad=True), lib.ones(1, requires_grad=True)]
    return lib.optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": lr1}], lr=lr)


def _lr_sequence(opt, scheduler, n):
    lrs = []
    for _ in range(n):
        opt.step()  # no gradients: a no-op that keeps torch's "step order" check quiet
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
        assert lrs[-1] == [g["lr"] for g in opt.param_groups]
    return lrs


@pytest.mark.torch_oracle
@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=SCHED_IDS)
def test_scheduler_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    fopt, topt = _sgd_two_groups(flow), _sgd_two_groups(torch)
    fs = getattr(sched, name)(fopt, **kwargs)
    ts = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    assert fs.get_last_lr() == ts.get_last_lr() and fs.last_epoch == 0
    assert [g["initial_lr"] for g in fopt.param_groups] == [0.1, 0.03]
    ours, theirs = _lr_sequence(fopt, fs, 40), _lr_sequence(topt, ts, 40)
    assert ours == theirs  # the same operations in the same order: the same floats
    assert fs.last_epoch == ts.last_epoch == 40
    assert len(set(map(tuple, ours))) > 2  # the schedule did change the rates


@pytest.mark.torch_oracle
@pytest.mark.parametrize("name,kwargs", SCHEDULERS[:5], ids=SCHED_IDS[:5])
def test_scheduler_resumed_with_last_epoch_matches_torch(name, kwargs):
    """Built with last_epoch=12 on an optimizer that has initial_lr (PyTorch's resume path)."""
    torch = pytest.importorskip("torch")
    fopt, topt = _sgd_two_groups(flow, 0.2), _sgd_two_groups(torch, 0.2)
    for opt in (fopt, topt):
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"] / 2
    fs = getattr(sched, name)(fopt, last_epoch=12, **kwargs)
    ts = getattr(torch.optim.lr_scheduler, name)(topt, last_epoch=12, **kwargs)
    assert fs.get_last_lr() == ts.get_last_lr()
    assert _lr_sequence(fopt, fs, 30) == _lr_sequence(topt, ts, 30)


@pytest.mark.torch_oracle
@pytest.mark.parametrize("name,kwargs", SCHEDULERS[:5], ids=SCHED_IDS[:5])
def test_scheduler_step_epoch_closed_form_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    fopt, topt = _sgd_two_groups(flow), _sgd_two_groups(torch)
    fs = getattr(sched, name)(fopt, **kwargs)
    ts = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step(epoch) is deprecated, in both
        for epoch in [5, 11, 3, 30, 17]:
            topt.step()
            fs.step(epoch)
            ts.step(epoch)
            assert fs.get_last_lr() == ts.get_last_lr(), epoch
    with pytest.warns(UserWarning, match="deprecated"):
        fs.step(2)


@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_cosine_decay_lr_follows_oneflows_formula(alpha):
    opt = _sgd_two_groups(flow)
    s = sched.CosineDecayLR(opt, decay_steps=30, alpha=alpha)
    lrs = [s.get_last_lr()] + _lr_sequence(opt, s, 40)
    for step, got in enumerate(lrs):
        factor = (1 - alpha) * 0.5 * (1 + math.cos(math.pi * min(step, 30) / 30)) + alpha
        assert got == pytest.approx([0.1 * factor, 0.03 * factor], rel=1e-15, abs=1e-18)
    assert lrs[0] == [0.1, 0.03]
    assert lrs[30] == lrs[40] == pytest.approx([0.1 * alpha, 0.03 * alpha], abs=1e-18)
    with pytest.raises(ValueError, match="decay_steps"):
        sched.CosineDecayLR(opt, decay_steps=0)


class _Warmup:
    """A callable object: LambdaLR saves its attributes in the state dict."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.steps)


@pytest.mark.parametrize(
    "make",
    [
        lambda opt: sched.StepLR(opt, 5, gamma=0.5),
        lambda opt: sched.MultiStepLR(opt, [4, 9, 15]),
        lambda opt: sched.ExponentialLR(opt, 0.9),
        lambda opt: sched.CosineAnnealingLR(opt, T_max=8, eta_min=0.01),
        lambda opt: sched.LambdaLR(opt, _Warmup(20)),
        lambda opt: sched.CosineDecayLR(opt, 25, alpha=0.1),
    ],
    ids=["step", "multistep", "exponential", "cosine", "lambda", "cosine-decay"],
)
def test_scheduler_state_dict_resume(make):
    """Optimizer and scheduler saved mid-run, loaded into fresh ones: the rest is identical."""
    opt1 = _sgd_two_groups(flow)
    s1 = make(opt1)
    _lr_sequence(opt1, s1, 12)
    osd = pickle.loads(pickle.dumps(opt1.state_dict()))
    ssd = pickle.loads(pickle.dumps(s1.state_dict()))
    assert "optimizer" not in ssd and ssd["last_epoch"] == 12

    opt2 = _sgd_two_groups(flow, lr=5.0, lr1=5.0)
    s2 = make(opt2)  # built before loading the optimizer, as PyTorch advises
    opt2.load_state_dict(osd)
    s2.load_state_dict(ssd)
    if isinstance(s2, sched.LambdaLR):
        assert s2.lr_lambdas[0].steps == 20
    assert s2.get_last_lr() == s1.get_last_lr()
    assert _lr_sequence(opt2, s2, 20) == _lr_sequence(opt1, s1, 20)


def test_scheduler_errors():
    opt = _sgd_two_groups(flow)
    with pytest.raises(TypeError, match="optimizer"):
        sched.StepLR(object(), 3)
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(opt, 3, last_epoch=4)
    with pytest.raises(ValueError, match="2 parameter groups"):
        sched.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(NotImplementedError):
        sched.LRScheduler(opt)


# ------------------------------------------------------------------------ gradient clipping
def _clip_twins(seed=0):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (5,), ()]
    grads = [rng.standard_normal(s) for s in shapes]
    fp = [nn.Parameter(flow.zeros(*s, dtype=flow.float64)) for s in shapes]
    tp = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
    _set_grads(fp, grads)
    for t, g in zip(tp, grads, strict=True):
        t.grad = torch.tensor(g)
    # a parameter without a gradient is skipped by both
    fp.append(nn.Parameter(flow.ones(2, dtype=flow.float64)))
    tp.append(torch.ones(2, dtype=torch.float64, requires_grad=True))
    return fp, tp


@pytest.mark.torch_oracle
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3], ids=["clips", "leaves"])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    fp, tp = _clip_twins()
    total = flow.nn.utils.clip_grad_norm_(fp, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=float(norm_type))
    assert isinstance(total, flow.Tensor) and total.ndim == 0 and total.dtype == flow.float64
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-13)
    for f, t in zip(fp, tp, strict=True):
        if t.grad is None:
            assert f.grad is None
        else:
            np.testing.assert_allclose(f.grad.numpy(), t.grad.numpy(), rtol=1e-13, atol=1e-16)
    if max_norm > total.item():
        np.testing.assert_array_equal(fp[0].grad.numpy(), _clip_twins()[0][0].grad.numpy())


@pytest.mark.torch_oracle
@pytest.mark.parametrize("norm_type", [2.0, math.inf])
@pytest.mark.parametrize(
    "vals",
    [[1.0, np.inf], [np.inf, np.inf], [np.nan, 2.0], [3.0, np.nan], [5.0, 2.0]],
    ids=["inf", "inf-inf", "nan-first", "nan-last", "finite"],
)
def test_clip_grad_norm_nonfinite_matches_torch(vals, norm_type):
    torch = pytest.importorskip("torch")
    fp, tp = [], []
    for v in vals:
        g = np.array([v, -0.5])
        fp.append(nn.Parameter(flow.zeros(2, dtype=flow.float64)))
        fp[-1].grad = flow.tensor(g)
        tp.append(torch.zeros(2, dtype=torch.float64, requires_grad=True))
        tp[-1].grad = torch.tensor(g)
    with np.errstate(invalid="ignore"):
        total = flow.nn.utils.clip_grad_norm_(fp, 1.0, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(tp, 1.0, norm_type=norm_type)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-15)  # nan == nan here
    for f, t in zip(fp, tp, strict=True):
        np.testing.assert_allclose(f.grad.numpy(), t.grad.numpy(), rtol=1e-15)


def test_clip_grad_norm_by_hand_and_edge_cases():
    w = nn.Parameter(flow.zeros(2))
    _set_grads([w], [np.array([3.0, 4.0], dtype=np.float32)])
    total = flow.nn.utils.clip_grad_norm_(w, 10.0)  # a single tensor is accepted
    assert total.item() == 5.0 and total.dtype == flow.float32
    assert w.grad.tolist() == [3.0, 4.0]
    total = flow.nn.utils.clip_grad_norm_([w], 1.0)
    np.testing.assert_allclose(w.grad.numpy(), [0.6, 0.8], rtol=1e-6)
    assert flow.nn.utils.clip_grad_norm_([nn.Parameter(flow.ones(1))], 1.0).item() == 0.0
    with pytest.raises(ValueError, match="norm_type"):
        flow.nn.utils.clip_grad_norm_([w], 1.0, norm_type=-1)
    bad = nn.Parameter(flow.zeros(2))
    _set_grads([bad], [np.array([np.nan, 1.0], dtype=np.float32)])
    with pytest.raises(flow.FlowkitError, match="nan"):
        flow.nn.utils.clip_grad_norm_([bad], 1.0, error_if_nonfinite=True)
    assert np.isnan(flow.nn.utils.clip_grad_norm_([bad], 1.0).item())
    assert flow.is_grad_enabled()


@pytest.mark.torch_oracle
def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    fp, tp = _clip_twins(3)
    inf = np.array([np.inf, -np.inf, 0.25])
    fp.append(nn.Parameter(flow.zeros(3, dtype=flow.float64)))
    fp[-1].grad = flow.tensor(inf)
    tp.append(torch.zeros(3, dtype=torch.float64, requires_grad=True))
    tp[-1].grad = torch.tensor(inf)
    assert flow.nn.utils.clip_grad_value_(fp, 0.5) is None
    torch.nn.utils.clip_grad_value_(tp, 0.5)
    for f, t in zip(fp, tp, strict=True):
        if t.grad is None:
            assert f.grad is None
        else:
            np.testing.assert_array_equal(f.grad.numpy(), t.grad.numpy())


def test_nn_utils_is_reachable_from_flow():
    assert flow.nn.utils.clip_grad_norm_ is flow.nn.utils.clip_grad.clip_grad_norm_
    assert callable(flow.nn.utils.clip_grad_value_)


# ------------------------------------------------------------------------ state dicts, selection
ROUND_TRIP = [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.Adam, dict(lr=0.05, weight_decay=0.01)),
    (optim.Adam, dict(lr=0.05, amsgrad=True)),
    (optim.AdamW, dict(lr=0.05, amsgrad=True)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
]


@pytest.mark.parametrize(
    "cls,kwargs", ROUND_TRIP, ids=["sgd", "adam", "amsgrad", "adamw-amsgrad", "rmsprop", "adagrad"]
)
def test_state_dict_round_trip_resumes_identically(cls, kwargs):
    p1 = _params(5)
    opt1 = cls([{"params": p1[:2]}, {"params": p1[2:], "lr": kwargs["lr"] / 2}], **kwargs)
    for step in range(3):
        _set_grads(p1[:2] if step < 2 else p1, _grads(6, step)[:2] if step < 2 else _grads(6, step))
        opt1.step()
    sd = pickle.loads(pickle.dumps(opt1.state_dict()))  # as a checkpoint file would
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]

    p2 = [nn.Parameter(flow.tensor(p.numpy().copy())) for p in p1]
    opt2 = cls([{"params": p2[:2]}, {"params": p2[2:]}], lr=123.0)
    opt2.load_state_dict(sd)
    assert [g["lr"] for g in opt2.param_groups] == [kwargs["lr"], kwargs["lr"] / 2]
    for step in range(3, 7):
        grads = _grads(6, step)
        _set_grads(p1, grads)
        _set_grads(p2, grads)
        opt1.step()
        opt2.step()
    for a, b in zip(p1, p2, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        sa, sb = opt1.state[a], opt2.state[b]
        assert sorted(sa) == sorted(sb)
        for k, v in sa.items():
            if isinstance(v, flow.Tensor):
                assert sb[k] is not v
                np.testing.assert_array_equal(v.numpy(), sb[k].numpy())
            else:
                assert v == sb[k]


def test_load_state_dict_casts_state_to_the_parameters_dtype():
    p = nn.Parameter(flow.ones(2, dtype=flow.float64))
    opt = optim.Adam([p], lr=0.1)
    _set_grads([p], [np.ones(2)])
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].float()
    q = nn.Parameter(flow.ones(2, dtype=flow.float64))
    opt2 = optim.Adam([q], lr=0.1)
    opt2.load_state_dict(sd)
    assert opt2.state[q]["exp_avg"].dtype == flow.float64 and opt2.state[q]["step"] == 1


def test_adagrad_state_is_made_when_parameters_join():
    a, b = nn.Parameter(flow.ones(2)), nn.Parameter(flow.ones(3))
    opt = optim.Adagrad([a], initial_accumulator_value=0.5)
    assert opt.state[a]["step"] == 0 and opt.state[a]["sum"].tolist() == [0.5, 0.5]
    opt.add_param_group({"params": [b], "initial_accumulator_value": 2.0})
    assert opt.state[b]["sum"].tolist() == [2.0, 2.0, 2.0]
    assert len(opt.state_dict()["state"]) == 2  # as PyTorch: state before the first step


def test_amsgrad_turned_on_after_a_resume():
    p = nn.Parameter(flow.ones(2, dtype=flow.float64))
    opt = optim.Adam([p], lr=0.1)
    _set_grads([p], [np.ones(2)])
    opt.step()
    opt.param_groups[0]["amsgrad"] = True
    opt.step()
    assert "max_exp_avg_sq" in opt.state[p]
    np.testing.assert_array_equal(
        opt.state[p]["max_exp_avg_sq"].numpy(), opt.state[p]["exp_avg_sq"].numpy()
    )


@pytest.mark.parametrize(
    "cls,kwargs", ROUND_TRIP, ids=["sgd", "adam", "amsgrad", "adamw-amsgrad", "rmsprop", "adagrad"]
)
def test_kernel_is_selected_once_per_optimizer(cls, kwargs, monkeypatch):
    from flowkit import _plugins

    calls = []
    ask = _plugins.optimizer_kernel

    def counting(backend, optimizer, hyperparams):  # the hook, asked of the backend's plugin
        calls.append((optimizer, dict(hyperparams)))
        return ask(backend, optimizer, hyperparams)

    monkeypatch.setattr(_plugins, "optimizer_kernel", counting)
    ps = _params()
    opt = cls(ps[:2], **kwargs)
    kernel = opt._kernel
    assert calls == [
        (cls.algorithm, {k: v for k, v in opt.param_groups[0].items() if k != "params"})
    ]
    opt.add_param_group({"params": ps[2:]})
    for step in range(3):
        _set_grads(ps, _grads(8, step))
        opt.step()
    assert len(calls) == 1 and opt._kernel is kernel
    if flow.backend().name == "numpy":
        assert kernel is not cls._reference


def test_a_hand_registered_plugin_cannot_replace_the_update():
    """The kernel hook is asked of the selected backend's own plugin only."""

    class Hijack:
        @hookimpl
        def flowkit_select_optimizer_kernel(self, backend, optimizer, hyperparams):
            return lambda *args, **kwargs: None  # an update that does nothing

    flow.register_plugin(Hijack(), name="hijack")
    try:
        w = flow.nn.Parameter(flow.ones(2))
        opt = optim.SGD([w], lr=0.5)
        w.grad = flow.ones(2)
        opt.step()
        assert w.tolist() == [0.5, 0.5]
    finally:
        flow.unregister_plugin("hijack")


@pytest.mark.parametrize(
    "cls,kwargs,match",
    [
        (optim.RMSprop, dict(lr=-1.0), "learning rate"),
        (optim.RMSprop, dict(alpha=-0.1), "alpha"),
        (optim.RMSprop, dict(momentum=-0.1), "momentum"),
        (optim.RMSprop, dict(eps=-1.0), "eps"),
        (optim.Adagrad, dict(lr_decay=-1.0), "lr_decay"),
        (optim.Adagrad, dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
        (optim.Adagrad, dict(weight_decay=-1.0), "weight_decay"),
    ],
)
def test_invalid_settings(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls([nn.Parameter(flow.ones(1))], **kwargs)

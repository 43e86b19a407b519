"""Adadelta, Adamax, NAdam, RAdam, LBFGS and the schedulers of issue 12 (part 7), on the
selected backend: against ``torch.optim`` as an oracle (float64, several steps, two parameter
groups), state-dict round trips, and OneFlow's ``WarmupLR`` against its documented formula.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

import flowkit as flow
from flowkit.optim import lr_scheduler as sched
from flowkit.optim.optimizer import _without_graph

nn = flow.nn
optim = flow.optim

SHAPES = [(3, 2), (4,), ()]

ORACLE_CONFIGS = [
    ("Adadelta", dict(lr=1.0)),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.02, betas=(0.3, 0.9), eps=1e-6, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]
ORACLE_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(ORACLE_CONFIGS)]
STATE_KEYS = {
    "Adadelta": ["square_avg", "acc_delta", "step"],
    "Adamax": ["exp_avg", "exp_inf", "step"],
    "NAdam": ["exp_avg", "exp_avg_sq", "mu_product", "step"],
    "RAdam": ["exp_avg", "exp_avg_sq", "step"],
}


def _init(seed=7):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SHAPES]


def _twins(name, kwargs):
    torch = pytest.importorskip("torch")
    init = _init()
    fp = [nn.Parameter(flow.tensor(a.copy())) for a in init]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    lr1 = kwargs["lr"] * 3
    fopt = getattr(optim, name)([{"params": fp[:2]}, {"params": fp[2:], "lr": lr1}], **kwargs)
    topt = getattr(torch.optim, name)([{"params": tp[:2]}, {"params": tp[2:], "lr": lr1}], **kwargs)
    return fp, fopt, tp, topt


def _steps(fp, fopt, tp, topt, steps):
    torch = pytest.importorskip("torch")
    for step in steps:
        rng = np.random.default_rng(1000 + step)
        grads = [rng.standard_normal(tuple(f.shape)) * (4.0 if step % 4 == 0 else 0.3) for f in fp]
        fopt.zero_grad()
        topt.zero_grad()
        for i, (f, t, g) in enumerate(zip(fp, tp, grads, strict=True)):
            if i == 1 and step % 3 == 1:
                continue  # no gradient this step: skipped, its state untouched
            (f * flow.tensor(g)).sum().backward()
            t.grad = torch.tensor(g)
        fopt.step()
        topt.step()


def _assert_matches(name, fp, fopt, tp, topt, rtol=1e-11):
    for f, t in zip(fp, tp, strict=True):
        assert f.dtype == flow.float64
        np.testing.assert_allclose(f.numpy(), t.detach().numpy(), rtol=rtol, atol=1e-14)
        fs, ts = fopt.state[f], topt.state[t]
        for key in STATE_KEYS[name]:
            if key not in ts:
                assert key not in fs, key
            elif key == "step":
                assert fs["step"] == int(ts["step"].item())
            elif key == "mu_product":
                assert fs[key] == pytest.approx(float(ts[key]), rel=1e-13)
            else:
                np.testing.assert_allclose(
                    fs[key].numpy(), ts[key].numpy(), rtol=rtol, atol=1e-14, err_msg=key
                )


@pytest.fixture(autouse=True)
def _torch_float64_scalars():
    """torch keeps NAdam's ``mu_product`` in the default dtype (float32 unless changed);
    flowkit keeps a Python float. With float64 as torch's default the two agree to rounding."""
    try:
        import torch
    except ImportError:
        yield
        return
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


@pytest.mark.torch_oracle
@pytest.mark.parametrize("path", ["kernel", "reference"])
@pytest.mark.parametrize("name,kwargs", ORACLE_CONFIGS, ids=ORACLE_IDS)
def test_optimizer_matches_torch(name, kwargs, path):
    fp, fopt, tp, topt = _twins(name, kwargs)
    if path == "reference":
        fopt._kernel = _without_graph(type(fopt)._reference)
    else:
        assert getattr(fopt._kernel, "__wrapped__", None) is not type(fopt)._reference
    _steps(fp, fopt, tp, topt, range(8))  # RAdam: past its 5 unrectified steps
    _assert_matches(name, fp, fopt, tp, topt)
    assert not np.allclose(fp[0].numpy(), _init()[0])


@pytest.mark.torch_oracle
@pytest.mark.parametrize("name,kwargs", ORACLE_CONFIGS[::2], ids=ORACLE_IDS[::2])
def test_add_param_group_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    fp, fopt, tp, topt = _twins(name, kwargs)
    _steps(fp, fopt, tp, topt, range(2))
    extra = np.linspace(-1.0, 1.0, 5)
    fx, tx = nn.Parameter(flow.tensor(extra)), torch.tensor(extra, requires_grad=True)
    fopt.add_param_group({"params": [fx], "lr": kwargs["lr"] / 2})
    topt.add_param_group({"params": [tx], "lr": kwargs["lr"] / 2})
    # the settings left out are the defaults, as in torch
    for k, v in topt.param_groups[-1].items():
        if k in fopt.param_groups[-1] and k != "params":
            assert fopt.param_groups[-1][k] == v, k
    _steps(fp + [fx], fopt, tp + [tx], topt, range(10, 14))
    _assert_matches(name, fp + [fx], fopt, tp + [tx], topt)


@pytest.mark.parametrize("name,kwargs", ORACLE_CONFIGS[::3], ids=ORACLE_IDS[::3])
def test_optimizer_state_dict_resume(name, kwargs):
    """Saved mid-run and loaded into a fresh optimizer: the rest of the run is identical."""

    def run(opt, ps, steps):
        for step in steps:
            rng = np.random.default_rng(step)
            opt.zero_grad()
            for p in ps:
                (p * flow.tensor(rng.standard_normal(tuple(p.shape)))).sum().backward()
            opt.step()

    a = [nn.Parameter(flow.tensor(x)) for x in _init()]
    oa = getattr(optim, name)(a, **kwargs)
    run(oa, a, range(3))
    sd = pickle.loads(pickle.dumps(oa.state_dict()))
    b = [nn.Parameter(flow.tensor(p.numpy().copy())) for p in a]
    ob = getattr(optim, name)(b, **kwargs)
    ob.load_state_dict(sd)
    run(oa, a, range(3, 7))
    run(ob, b, range(3, 7))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda p: optim.Adadelta(p, lr=-1.0), "learning rate"),
        (lambda p: optim.Adadelta(p, rho=1.5), "rho"),
        (lambda p: optim.Adamax(p, betas=(1.0, 0.9)), "betas"),
        (lambda p: optim.NAdam(p, momentum_decay=-0.1), "momentum_decay"),
        (lambda p: optim.RAdam(p, eps=-1.0), "eps"),
        (lambda p: optim.RAdam(p, weight_decay=-1.0), "weight_decay"),
    ],
)
def test_optimizer_argument_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make([nn.Parameter(flow.ones(1))])


# ------------------------------------------------------------------------ schedulers vs torch
def _sgd_two_groups(lib, lr=0.1, lr1=0.03, **kw):
    if lib is flow:
        ps = [nn.Parameter(flow.ones(1)), nn.Parameter(flow.ones(1))]
    else:
        ps = [lib.ones(1, requires_grad=True), lib.ones(1, requires_grad=True)]
    return lib.optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": lr1}], lr=lr, **kw)


def _lr_sequence(opt, scheduler, n, metrics=None):
    lrs = []
    for i in range(n):
        opt.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[i])
        lrs.append(scheduler.get_last_lr())
        assert lrs[-1] == [g["lr"] for g in opt.param_groups]
    return lrs


SCHEDULERS = [
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.5, total_iters=7)),
    ("ConstantLR", dict()),
    ("ConstantLR", dict(factor=0.5, total_iters=9)),
    ("PolynomialLR", dict()),
    ("PolynomialLR", dict(total_iters=12, power=2.5)),
    ("CosineAnnealingWarmRestarts", dict(T_0=5)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], total_steps=40)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=40, anneal_strategy="linear", pct_start=0.25)),
    ("OneCycleLR", dict(max_lr=1.0, epochs=8, steps_per_epoch=5, three_phase=True)),
]
SCHED_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(SCHEDULERS)]


@pytest.mark.torch_oracle
@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=SCHED_IDS)
def test_scheduler_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    fopt = _sgd_two_groups(flow, momentum=0.9)
    topt = _sgd_two_groups(torch, momentum=0.9)
    fs = getattr(sched, name)(fopt, **kwargs)
    ts = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    assert fs.get_last_lr() == ts.get_last_lr()
    n = 40 if name != "OneCycleLR" else 39  # OneCycleLR refuses to step past total_steps
    ours, theirs = _lr_sequence(fopt, fs, n), _lr_sequence(topt, ts, n)
    assert ours == theirs
    assert [g["momentum"] for g in fopt.param_groups] == [g["momentum"] for g in topt.param_groups]
    assert len(set(map(tuple, ours))) >= 2  # the schedule did change the rates


@pytest.mark.torch_oracle
@pytest.mark.parametrize("name,kwargs", SCHEDULERS[:6], ids=SCHED_IDS[:6])
def test_scheduler_step_epoch_closed_form_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    fopt, topt = _sgd_two_groups(flow), _sgd_two_groups(torch)
    fs = getattr(sched, name)(fopt, **kwargs)
    ts = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    with pytest.warns(UserWarning):
        for epoch in [5, 11, 3, 30, 2]:
            topt.step()
            fs.step(epoch)
            ts.step(epoch)
            assert fs.get_last_lr() == ts.get_last_lr(), epoch


@pytest.mark.torch_oracle
def test_warm_restarts_fractional_epochs_match_torch():
    torch = pytest.importorskip("torch")
    fopt, topt = _sgd_two_groups(flow), _sgd_two_groups(torch)
    fs = sched.CosineAnnealingWarmRestarts(fopt, T_0=2, T_mult=3)
    ts = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=2, T_mult=3)
    for epoch in [0.5, 1.25, 2.0, 7.5, 9.0, 30.3, 4.0]:
        topt.step()
        fs.step(epoch)
        ts.step(epoch)
        assert fs.get_last_lr() == ts.get_last_lr(), epoch
        assert fs.T_i == ts.T_i and fs.T_cur == ts.T_cur


@pytest.mark.torch_oracle
def test_one_cycle_cycles_adam_beta1_like_torch():
    torch = pytest.importorskip("torch")
    fopt = optim.Adam([nn.Parameter(flow.ones(1))], lr=0.1, betas=(0.9, 0.99))
    topt = torch.optim.Adam([torch.ones(1, requires_grad=True)], lr=0.1, betas=(0.9, 0.99))
    fs = sched.OneCycleLR(fopt, max_lr=0.3, total_steps=20, max_momentum=0.9)
    ts = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.3, total_steps=20, max_momentum=0.9)
    for _ in range(19):
        assert fopt.param_groups[0]["betas"] == topt.param_groups[0]["betas"]
        assert fs.get_last_lr() == ts.get_last_lr()
        topt.step()
        fs.step()
        ts.step()
    with pytest.raises(ValueError, match="total_steps"):
        fs.step()
        fs.step()
    with pytest.raises(ValueError, match="cycle_momentum"):
        sched.OneCycleLR(optim.Adagrad([nn.Parameter(flow.ones(1))]), max_lr=1.0, total_steps=5)


PLATEAU = [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=0.1, threshold_mode="abs"),
    dict(factor=0.5, patience=1, cooldown=2, min_lr=[0.02, 0.001]),
    dict(factor=0.3, patience=0, min_lr=0.01, eps=1e-3),
]


@pytest.mark.torch_oracle
@pytest.mark.parametrize("kwargs", PLATEAU, ids=["default", "max-abs", "cooldown", "eps"])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    metrics = [5.0, 4.0, 4.0, 4.1, 3.99, 3.999, 4.0, 4.0] * 6
    metrics = [m if i % 7 else -m for i, m in enumerate(metrics)]
    fopt, topt = _sgd_two_groups(flow), _sgd_two_groups(torch)
    fs = sched.ReduceLROnPlateau(fopt, **kwargs)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    fm = [flow.tensor(m) if i % 2 else m for i, m in enumerate(metrics)]  # tensors too
    ours = _lr_sequence(fopt, fs, len(metrics), fm)
    assert ours == _lr_sequence(topt, ts, len(metrics), metrics)
    assert len(set(map(tuple, ours))) > 1
    assert fs.best == ts.best and fs.num_bad_epochs == ts.num_bad_epochs


def _composite(lib, kind):
    S = lib.optim.lr_scheduler
    opt = _sgd_two_groups(lib)
    if kind == "sequential":
        parts = [S.LinearLR(opt, 0.2, total_iters=4), S.ExponentialLR(opt, 0.9), S.StepLR(opt, 3)]
        return opt, S.SequentialLR(opt, parts, milestones=[4, 10])
    if kind == "sequential-cosine":
        parts = [S.ConstantLR(opt, 0.1, 3), S.CosineAnnealingLR(opt, T_max=8)]
        return opt, S.SequentialLR(opt, parts, milestones=[5])
    parts = [S.ConstantLR(opt, 0.5, 6), S.ExponentialLR(opt, 0.9), S.MultiStepLR(opt, [5, 12])]
    return opt, S.ChainedScheduler(parts)


COMPOSITES = ["sequential", "sequential-cosine", "chained"]


@pytest.mark.torch_oracle
@pytest.mark.parametrize("kind", COMPOSITES)
def test_composite_schedulers_match_torch(kind):
    torch = pytest.importorskip("torch")
    fopt, fs = _composite(flow, kind)
    topt, ts = _composite(torch, kind)
    assert fs.get_last_lr() == ts.get_last_lr()
    assert _lr_sequence(fopt, fs, 30) == _lr_sequence(topt, ts, 30)


# ------------------------------------------------------------------------ state dict round trips
def _make_all():
    return [
        lambda o: sched.LinearLR(o, 0.2, total_iters=8),
        lambda o: sched.ConstantLR(o, 0.5, 6),
        lambda o: sched.PolynomialLR(o, 20, 2.0),
        lambda o: sched.CosineAnnealingWarmRestarts(o, 3, 2),
        lambda o: sched.OneCycleLR(o, 1.0, total_steps=40),
        lambda o: sched.SequentialLR(
            o, [sched.ConstantLR(o, 0.3, 4), sched.ExponentialLR(o, 0.9)], [5]
        ),
        lambda o: sched.ChainedScheduler(
            [sched.ConstantLR(o, 0.3, 4), sched.ExponentialLR(o, 0.9)]
        ),
        lambda o: sched.WarmupLR(sched.CosineDecayLR(o, 25, 0.1), 0.1, 15),
        lambda o: sched.WarmupLR(sched.StepLR(o, 4), 0.2, 15, "constant", warmup_prefix=True),
        lambda o: sched.WarmupLR(o, 0.5, 20),
    ]


STATE_IDS = [
    "linear",
    "constant",
    "poly",
    "warm-restarts",
    "one-cycle",
    "sequential",
    "chained",
    "warmup",
    "warmup-constant-prefix",
    "warmup-only",
]


@pytest.mark.parametrize("make", _make_all(), ids=STATE_IDS)
def test_scheduler_state_dict_resume(make):
    opt1 = _sgd_two_groups(flow, momentum=0.9)
    s1 = make(opt1)
    _lr_sequence(opt1, s1, 12)
    osd = pickle.loads(pickle.dumps(opt1.state_dict()))
    ssd = pickle.loads(pickle.dumps(s1.state_dict()))
    assert "optimizer" not in ssd
    opt2 = _sgd_two_groups(flow, lr=5.0, lr1=5.0, momentum=0.9)
    s2 = make(opt2)
    opt2.load_state_dict(osd)
    s2.load_state_dict(ssd)
    assert s2.get_last_lr() == s1.get_last_lr()
    assert _lr_sequence(opt2, s2, 20) == _lr_sequence(opt1, s1, 20)


def test_reduce_lr_on_plateau_state_dict_resume():
    metrics = [3.0, 2.0, 2.0, 2.0, 2.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5] * 3
    opt1 = _sgd_two_groups(flow)
    s1 = sched.ReduceLROnPlateau(opt1, mode="min", factor=0.5, patience=1, cooldown=1)
    _lr_sequence(opt1, s1, 10, metrics)
    opt2 = _sgd_two_groups(flow)
    s2 = sched.ReduceLROnPlateau(opt2)
    opt2.load_state_dict(pickle.loads(pickle.dumps(opt1.state_dict())))
    s2.load_state_dict(pickle.loads(pickle.dumps(s1.state_dict())))
    assert s2.get_last_lr() == s1.get_last_lr()
    assert _lr_sequence(opt2, s2, 20, metrics[10:]) == _lr_sequence(opt1, s1, 20, metrics[10:])


# ------------------------------------------------------------------------ OneFlow's WarmupLR
@pytest.mark.parametrize("prefix", [False, True])
@pytest.mark.parametrize("method", ["linear", "constant"])
def test_warmup_lr_follows_oneflows_formula(method, prefix):
    """OneFlow: LinearLR(start=warmup_factor, end=scheduler's factor at warmup_iters, or 1 with
    warmup_prefix) or ConstantLR(warmup_factor) for warmup_iters steps, then the scheduler at
    the step (or at step - warmup_iters with warmup_prefix)."""
    opt = _sgd_two_groups(flow)
    decay = sched.CosineDecayLR(opt, decay_steps=20, alpha=0.1)
    w = sched.WarmupLR(decay, 0.2, 6, method, warmup_prefix=prefix)
    lrs = [w.get_last_lr()] + _lr_sequence(opt, w, 30)

    def cosine(step):
        return 0.9 * 0.5 * (1 + math.cos(math.pi * min(step, 20) / 20)) + 0.1

    for t, got in enumerate(lrs):
        if t < 6:
            if method == "constant":
                f = 0.2
            else:
                end = 1.0 if prefix else cosine(6)
                f = 0.2 + (end - 0.2) * t / 6
        else:
            f = cosine(t - 6 if prefix else t)
        assert got == pytest.approx([0.1 * f, 0.03 * f], rel=1e-13), t
    assert decay.last_epoch == (30 - 6 if prefix else 30)


def test_warmup_lr_without_scheduler_and_errors():
    opt = _sgd_two_groups(flow)
    w = sched.WarmupLR(opt, warmup_factor=0.25, warmup_iters=3)
    lrs = [w.get_last_lr()] + _lr_sequence(opt, w, 5)
    assert [x[0] for x in lrs] == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="warmup_method"):
        sched.WarmupLR(opt, warmup_method="exp")
    with pytest.raises(ValueError, match="warmup_iters"):
        sched.WarmupLR(opt, warmup_iters=0)
    with pytest.raises(TypeError, match="scheduler or optimizer"):
        sched.WarmupLR(object())
    plateau = sched.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match="closed form"):
        sched.WarmupLR(plateau)


def test_composite_errors():
    opt, other = _sgd_two_groups(flow), _sgd_two_groups(flow)
    a = sched.ExponentialLR(opt, 0.9)
    with pytest.raises(ValueError, match="milestones"):
        sched.SequentialLR(opt, [a, sched.StepLR(opt, 2)], milestones=[])
    with pytest.raises(ValueError, match="same optimizer"):
        sched.ChainedScheduler([a, sched.StepLR(other, 2)])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        sched.SequentialLR(opt, [sched.ReduceLROnPlateau(opt)], milestones=[])
    with pytest.raises(ValueError, match="at least one"):
        sched.ChainedScheduler([])
    with pytest.raises(ValueError, match="start_factor"):
        sched.LinearLR(opt, start_factor=0.0)
    with pytest.raises(ValueError, match="T_0"):
        sched.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="factor"):
        sched.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="total_steps"):
        sched.OneCycleLR(opt, 1.0)


# ------------------------------------------------------------------------ LBFGS
def _lbfgs_loss(lib, ps):
    """A smooth non-quadratic function of all parameters (coupled), the same in both libs."""
    rng = np.random.default_rng(3)
    total = 0.0
    for p, shape in zip(ps, SHAPES, strict=True):
        c = lib.tensor(rng.standard_normal(shape))
        w = lib.tensor(rng.uniform(0.5, 3.0, shape))
        total = total + (w * (p - c) ** 2).sum() + 0.1 * (p**4).sum()
    return total + 0.3 * ps[0].sum() * ps[1].sum()


LBFGS_CONFIGS = [
    dict(),
    dict(lr=0.5, max_iter=7, history_size=3),
    dict(line_search_fn="strong_wolfe"),
    dict(lr=0.8, max_iter=9, history_size=2, line_search_fn="strong_wolfe"),
    dict(max_iter=50, max_eval=12, tolerance_change=1e-5),
]


@pytest.mark.torch_oracle
@pytest.mark.parametrize("path", ["kernel", "reference"])
@pytest.mark.parametrize("kwargs", LBFGS_CONFIGS, ids=[str(i) for i in range(len(LBFGS_CONFIGS))])
def test_lbfgs_matches_torch(kwargs, path):
    torch = pytest.importorskip("torch")
    init = [a * 2 for a in _init()]
    fp = [nn.Parameter(flow.tensor(a.copy())) for a in init]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    fopt, topt = optim.LBFGS(fp, **kwargs), torch.optim.LBFGS(tp, **kwargs)
    if path == "reference":
        fopt._kernel = _without_graph(type(fopt)._reference)
    else:
        assert getattr(fopt._kernel, "__wrapped__", None) is not type(fopt)._reference

    def closure(lib, opt, ps):
        def run():
            opt.zero_grad()
            loss = _lbfgs_loss(lib, ps)
            loss.backward()
            return loss

        return run

    for _ in range(3):
        fl = fopt.step(closure(flow, fopt, fp))
        tl = topt.step(closure(torch, topt, tp))
        assert fl.item() == pytest.approx(tl.item(), rel=1e-9)
        for f, t in zip(fp, tp, strict=True):
            np.testing.assert_allclose(f.numpy(), t.detach().numpy(), rtol=1e-8, atol=1e-10)
    fs, ts = fopt.state[fp[0]], topt.state[tp[0]]
    assert fs["n_iter"] == ts["n_iter"] and fs["func_evals"] == ts["func_evals"]
    assert len(fs["old_dirs"]) == len(ts["old_dirs"])
    assert fs["H_diag"] == pytest.approx(float(ts["H_diag"]), rel=1e-6)
    assert set(fs) <= set(ts)


def test_lbfgs_state_dict_resume_and_errors():
    def make():
        ps = [nn.Parameter(flow.tensor(a.copy())) for a in _init()]
        return ps, optim.LBFGS(ps, max_iter=4, history_size=3, line_search_fn="strong_wolfe")

    def closure(opt, ps):
        def run():
            opt.zero_grad()
            loss = _lbfgs_loss(flow, ps)
            loss.backward()
            return loss

        return run

    a, oa = make()
    oa.step(closure(oa, a))
    b, ob = make()
    for p, q in zip(a, b, strict=True):
        with flow.no_grad():
            q.copy_(p)
    ob.load_state_dict(oa.state_dict())
    oa.step(closure(oa, a))
    ob.step(closure(ob, b))
    for p, q in zip(a, b, strict=True):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    with pytest.raises(ValueError, match="closure"):
        oa.step()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": a[:1]}, {"params": a[1:]}])
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS(a, line_search_fn="armijo")

"""``nn.Graph`` record-and-replay: a replayed step gives exactly the eager step's numbers.

On the numpy backend the first call of a graph records ``build`` and later calls replay the
recording (``backends/flowkit_numpy/replay.py``); what cannot be recorded runs eagerly. Every
test here compares a graph with the same code run eagerly, bit for bit, on whichever backend
runs the suite; the assertions about *how* a call ran (replayed, or eager and why) are numpy's.
"""

from __future__ import annotations

import numpy as np
import pytest

import flowkit as flow

NUMPY = flow.backend().name == "numpy"


def explain(graph):
    """How each recorded signature runs: ["replayed, N ops"] or ["eager: why"] (numpy)."""
    return graph._runner.explain()


def expect_mode(graph, *modes):
    if NUMPY:
        got = explain(graph)
        assert len(got) == len(modes), got
        for line, mode in zip(got, modes):
            assert line.startswith(mode), got


def same(a, b):
    np.testing.assert_array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()))


def batch(step, n=6, d_in=4, d_out=3):
    rng = np.random.default_rng(200 + step)
    return (
        flow.tensor(rng.standard_normal((n, d_in)).astype(np.float32)),
        flow.tensor(rng.standard_normal((n, d_out)).astype(np.float32)),
    )


class Net(flow.nn.Module):
    """Every op the replay records on the way: linear, relu, sigmoid, arithmetic with
    constants, reshape, transpose, a residual branch (the gradient summed from two paths), and
    with ``unrecorded`` a tensor made from Python values inside build (``flow.tensor``: it may
    hold anything, so the graph runs eagerly)."""

    def __init__(self, unrecorded=False):
        super().__init__()
        self.unrecorded = unrecorded
        self.fc1 = flow.nn.Linear(4, 8)
        self.fc2 = flow.nn.Linear(6, 3)
        self.scale = flow.nn.Parameter(flow.tensor([0.5]))

    def forward(self, x):
        h = flow.relu(self.fc1(x))
        h = h + h.sigmoid() * 3 - 1.0  # residual: h feeds two ops
        h = (h.reshape(-1, 2, 4).transpose(1, 2).reshape(-1, 8) / 2) ** 2
        h = h.permute(1, 0).clone().permute(1, 0)[:, :6].to(flow.float64).tanh().to(flow.float32)
        h = h * flow.tensor(0.5) if self.unrecorded else h.mean() + h[:, ::-1]
        return self.fc2(h) * self.scale


def twin(kind="adam", seed=0):
    """Two identical models with their optimizers (one for the graph, one eager)."""
    out = []
    for _ in range(2):
        flow.manual_seed(seed)
        model = Net()
        if kind == "adam":
            opt = flow.optim.Adam(model.parameters(), lr=0.01)
        else:
            opt = flow.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
        out.append((model, opt))
    return out


class Step(flow.nn.Graph):
    def __init__(self, model, opt, lr_sch=None, loss_fn=None):
        super().__init__()
        self.model = model
        self.loss_fn = loss_fn or flow.nn.MSELoss()
        self.add_optimizer(opt, lr_sch=lr_sch)

    def build(self, x, y):
        pred = self.model(x)
        loss = self.loss_fn(pred, y)
        loss.backward()
        return {"loss": loss, "pred": pred}


def eager_step(model, opt, x, y, loss_fn=None, sch=None):
    pred = model(x)
    loss = (loss_fn or flow.nn.MSELoss())(pred, y)
    loss.backward()
    opt.step()
    opt.zero_grad()
    if sch is not None:
        sch.step()
    return loss, pred


@pytest.mark.parametrize("kind", ["adam", "nesterov"])
def test_replayed_steps_equal_eager_steps_bit_for_bit(kind):
    (m1, o1), (m2, o2) = twin(kind)
    s1 = flow.optim.lr_scheduler.StepLR(o1, step_size=3, gamma=0.5)
    s2 = flow.optim.lr_scheduler.StepLR(o2, step_size=3, gamma=0.5)
    g = Step(m1, o1, lr_sch=s1)
    for step in range(12):
        x, y = batch(step)
        out = g(x, y)
        loss, pred = eager_step(m2, o2, x, y, sch=s2)
        same(out["loss"], loss)
        same(out["pred"], pred)
        assert out["loss"].grad_fn is None and not out["pred"].requires_grad
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        same(p1, p2)
        assert p1.grad is None
    assert o1.param_groups[0]["lr"] == o2.param_groups[0]["lr"]
    expect_mode(g, "replayed")


def test_outputs_are_fresh_values_each_call():
    (m1, o1), _ = twin()
    g = Step(m1, o1)
    x, y = batch(0)
    first = g(x, y)["loss"]
    kept = first.numpy().copy()
    g(x, y)
    np.testing.assert_array_equal(first.numpy(), kept)  # a later step did not overwrite it


def test_a_new_shape_or_argument_records_again():
    (m1, o1), (m2, o2) = twin("nesterov")

    class Scaled(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.model = m1
            self.add_optimizer(o1)

        def build(self, x, y, weight):
            loss = flow.nn.functional.mse_loss(self.model(x), y) * weight
            loss.backward()
            return loss

    g = Scaled()
    for step, (n, weight) in enumerate([(6, 1.0), (6, 1.0), (2, 1.0), (6, 2.0), (2, 1.0)]):
        x, y = batch(step, n=n)
        got = g(x, y, weight)
        loss = flow.nn.functional.mse_loss(m2(x), y) * weight
        loss.backward()
        o2.step()
        o2.zero_grad()
        same(got, loss)
    expect_mode(g, "replayed", "replayed", "replayed")  # (6, 1.0), (2, 1.0), (6, 2.0)


def test_inference_graph_replays_without_autograd():
    (m1, _), _ = twin()

    class Infer(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.model = m1

        def build(self, x):
            return self.model(x)

    g = Infer()
    for step in range(3):
        x, _ = batch(step)
        out = g(x)
        with flow.no_grad():
            same(out, m1(x))
        assert not out.requires_grad
    expect_mode(g, "replayed")


def test_parameters_changed_outside_the_graph_are_seen():
    (m1, o1), (m2, _) = twin()
    g = Step(m1, o1)
    x, y = batch(0)
    g(x, y)
    m1.load_state_dict(m2.state_dict())  # new values (copied in or swapped: both are read)
    with flow.no_grad():
        m1.fc1.weight.mul_(2.0)
        expected = flow.nn.MSELoss()(m1(x), y)
    same(g(x, y)["loss"], expected)


def test_a_leaf_outside_the_optimizer_accumulates_its_grad_like_eager():
    flow.manual_seed(0)
    w = flow.nn.Parameter(flow.ones(3))
    extra = flow.tensor([1.0, 2.0, 3.0], requires_grad=True)
    opt = flow.optim.SGD([w], lr=0.1)

    class G(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.add_optimizer(opt)

        def build(self, x):
            loss = ((w * x + extra) * extra).sum()
            loss.backward()
            return loss

    g = G()
    x = flow.tensor([0.5, -1.0, 2.0])
    g(x)
    g(x)
    g(x)
    w_eager = flow.ones(3, requires_grad=True)
    extra_eager = flow.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for _ in range(3):
        ((w_eager * x + extra_eager) * extra_eager).sum().backward()
        with flow.no_grad():
            w_eager -= 0.1 * w_eager.grad
        w_eager.grad = None
    same(w, w_eager)
    same(extra.grad, extra_eager.grad)  # accumulated over the three calls
    expect_mode(g, "replayed")


class Probe(flow.nn.Graph):
    """A graph whose build does something a recording cannot replay (``what``)."""

    def __init__(self, model, opt, what):
        super().__init__()
        self.model = model
        self.drop = flow.nn.Dropout(0.5)
        self.what = what
        self.add_optimizer(opt)

    def build(self, x, y):
        pred = self.model(x)
        if self.what == "item" and pred.sum().item() > 1e9:  # Python branches on a value
            pred = pred * 0
        if self.what == "dropout":
            pred = self.drop(pred)
        if self.what == "inplace":
            pred = pred * 1
            pred.add_(1.0)
        if self.what == "grad":
            (gx,) = flow.autograd.grad(pred.sum(), [x], retain_graph=True)
            pred = pred + gx.sum()
        loss = flow.nn.functional.mse_loss(pred, y)
        loss.backward()
        return loss


def eager_probe(model, opt, drop, what, x, y):
    pred = model(x)
    if what == "item" and pred.sum().item() > 1e9:
        pred = pred * 0
    if what == "dropout":
        pred = drop(pred)
    if what == "inplace":
        pred = pred * 1
        pred.add_(1.0)
    if what == "grad":
        (gx,) = flow.autograd.grad(pred.sum(), [x], retain_graph=True)
        pred = pred + gx.sum()
    loss = flow.nn.functional.mse_loss(pred, y)
    loss.backward()
    opt.step()
    opt.zero_grad()
    return loss


@pytest.mark.parametrize(
    "what, reason",
    [
        ("item", "reading a value back"),
        ("dropout", "made inside build()"),
        ("inplace", "in-place op"),
        ("grad", "autograd.grad"),
    ],
)
def test_what_cannot_be_recorded_runs_eagerly_with_the_same_numbers(what, reason):
    (m1, o1), (m2, o2) = twin("nesterov")
    g = Probe(m1, o1, what)
    drop = flow.nn.Dropout(0.5)
    for step in range(4):
        x, y = batch(step)
        if what == "grad":
            x.requires_grad_()
        flow.manual_seed(step)
        got = g(x, y)
        flow.manual_seed(step)
        same(got, eager_probe(m2, o2, drop, what, x, y))
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        same(p1, p2)
    if NUMPY:
        (line,) = explain(g)
        assert line.startswith("eager:") and reason in line, line


def test_debug_prints_the_replayed_code_or_the_reason(capsys):
    (m1, o1), _ = twin()
    g = Step(m1, o1)
    g.debug(1)
    g(*batch(0))
    out = capsys.readouterr().out
    if NUMPY:
        assert "Step: numpy backend replays" in out and "def replay(X):" in out
        assert "# linear" in out and "store_grad(" in out
    p = Probe(*twin()[1], "item")
    p.debug(1)
    p(*batch(0))
    out = capsys.readouterr().out
    if NUMPY:
        assert "runs build() eagerly: reading a value back" in out


def test_build_runs_once_per_signature_as_in_oneflow():
    """The Python code of build runs on the recording call only: its side effects (here a
    counter) do not repeat when the step is replayed."""
    (m1, o1), _ = twin()
    calls = []

    class Counting(Step):
        def build(self, x, y):
            calls.append(1)
            return super().build(x, y)

    g = Counting(m1, o1)
    for step in range(3):
        g(*batch(step))
    assert len(calls) == (1 if NUMPY else 3)


def test_bad_input_to_a_replayed_graph_is_a_clear_error():
    (m1, o1), _ = twin()
    g = Step(m1, o1)
    g(*batch(0))
    x, y = batch(1, d_in=5)
    with pytest.raises(flow.errors.ShapeError, match="in_features=4"):
        g(x, y)
    g(*batch(2))  # the recorded program still serves the good shape


def test_a_tensor_made_from_values_inside_build_makes_the_graph_eager():
    flow.manual_seed(0)
    m1 = Net(unrecorded=True)
    flow.manual_seed(0)
    m2 = Net(unrecorded=True)
    o1, o2 = (flow.optim.SGD(m.parameters(), lr=0.05) for m in (m1, m2))
    g = Step(m1, o1)
    for step in range(3):
        x, y = batch(step)
        out = g(x, y)
        loss, _ = eager_step(m2, o2, x, y)
        same(out["loss"], loss)
    if NUMPY:
        (line,) = explain(g)
        assert line.startswith("eager:") and "made inside build()" in line, line


class ConvNet(flow.nn.Module):
    """The nn layers' kernels in one step: conv, pooling, batch and layer norm, embedding,
    the activations and both classification losses."""

    def __init__(self):
        super().__init__()
        self.conv = flow.nn.Conv2d(1, 4, 3, padding=1)
        self.pool = flow.nn.MaxPool2d(2)
        self.bn = flow.nn.BatchNorm1d(16)
        self.ln = flow.nn.LayerNorm(16)
        self.emb = flow.nn.Embedding(5, 16)
        self.fc = flow.nn.Linear(16, 5)

    def forward(self, x, tokens):
        h = self.pool(flow.nn.functional.leaky_relu(self.conv(x), 0.1)).flatten(1)
        h = self.ln(self.bn(h)) + self.emb(tokens)
        return self.fc(flow.nn.functional.gelu(h))


class ConvStep(flow.nn.Graph):
    def __init__(self, model, opt):
        super().__init__()
        self.model = model
        self.add_optimizer(opt)

    def build(self, x, tokens, y):
        logits = self.model(x, tokens)
        F = flow.nn.functional
        loss = F.cross_entropy(logits, y) + F.nll_loss(F.log_softmax(logits, dim=1), y) * 0.5
        loss = loss + F.softmax(logits, dim=1).mean()
        loss.backward()
        return loss


def test_the_nn_layers_replay_exactly_in_train_and_eval_mode():
    models = []
    for _ in range(2):
        flow.manual_seed(3)
        m = ConvNet()
        models.append((m, flow.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)))
    (m1, o1), (m2, o2) = models
    g = ConvStep(m1, o1)
    F = flow.nn.functional
    for step in range(4):
        rng = np.random.default_rng(step)
        x = flow.tensor(rng.standard_normal((6, 1, 4, 4)).astype(np.float32))
        tokens = flow.tensor(rng.integers(0, 5, 6))
        y = flow.tensor(rng.integers(0, 5, 6))
        got = g(x, tokens, y)
        logits = m2(x, tokens)
        loss = F.cross_entropy(logits, y) + F.nll_loss(F.log_softmax(logits, dim=1), y) * 0.5
        loss = loss + F.softmax(logits, dim=1).mean()
        loss.backward()
        o2.step()
        o2.zero_grad()
        same(got, loss)
    for p1, p2 in zip(m1.state_dict().values(), m2.state_dict().values()):
        same(p1, p2)  # parameters and batch norm's running statistics
    if NUMPY:
        (line,) = explain(g)
        assert line.startswith("replayed"), line
    m1.eval()
    m2.eval()

    class Infer(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.model = m1

        def build(self, x, tokens):
            return self.model(x, tokens)

    infer = Infer()
    for _ in range(2):
        out = infer(x, tokens)
        with flow.no_grad():
            same(out, m2(x, tokens))
    expect_mode(infer, "replayed")


def test_a_step_that_also_measures_accuracy_replays():
    """Comparisons, argmax, casts and integer arithmetic are recorded too (no gradient)."""
    models = []
    for _ in range(2):
        flow.manual_seed(5)
        m = flow.nn.Sequential(flow.nn.Linear(4, 8), flow.nn.ReLU(), flow.nn.Linear(8, 3))
        models.append((m, flow.optim.Adam(m.parameters(), lr=0.01)))
    (m1, o1), (m2, o2) = models

    def metrics(logits, y):
        loss = flow.nn.functional.cross_entropy(logits, y)
        hits = logits.argmax(1) == y
        return loss, hits.float().mean(), (y // 2 + (y % 2)).sum(), (logits > 0).float().floor()

    class Classify(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.model = m1
            self.add_optimizer(o1)

        def build(self, x, y):
            loss, acc, pairs, positive = metrics(self.model(x), y)
            loss.backward()
            return loss, acc, pairs, positive

    g = Classify()
    for step in range(3):
        rng = np.random.default_rng(step)
        x = flow.tensor(rng.standard_normal((8, 4)).astype(np.float32))
        y = flow.tensor(rng.integers(0, 3, 8))
        got = g(x, y)
        want = metrics(m2(x), y)
        want[0].backward()
        o2.step()
        o2.zero_grad()
        for a, b in zip(got, want):
            same(a, b)
    expect_mode(g, "replayed")


def test_joining_selecting_and_clamping_replay():
    flow.manual_seed(0)
    w = flow.nn.Parameter(flow.randn(3, 4))
    w_eager = flow.nn.Parameter(w.detach().clone())
    opt, opt_eager = flow.optim.SGD([w], lr=0.1), flow.optim.SGD([w_eager], lr=0.1)

    def step(w, x):
        h = flow.cat([w * x, x.expand(3, 4)], dim=0)
        h = flow.stack([h, h.clamp(-0.5, 0.5), h.clamp(min=x.mean())], dim=1)
        h = flow.where(h > 0, h, 0.1 * h) + flow.where(h < -1, 1.0, h)
        return (h * h).sum()

    class G(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.add_optimizer(opt)

        def build(self, x):
            loss = step(w, x)
            loss.backward()
            return loss

    g = G()
    for k in range(3):
        x = flow.tensor(np.linspace(-1, 1, 4).astype(np.float32) * (k + 1))
        got = g(x)
        loss = step(w_eager, x)
        loss.backward()
        opt_eager.step()
        opt_eager.zero_grad()
        same(got, loss)
    same(w, w_eager)
    expect_mode(g, "replayed")


# ------------------------------------------------------------------ every public op, in a graph
from flowkit.testing.conformance import cases as _cases  # noqa: E402,F401 - registers the specs
from flowkit.testing.conformance import core as cc  # noqa: E402

# what a recording may not stand for, so the graph rightly runs eagerly: values read back into
# Python, in-place writes the recording does not replay, tensors made from Python values or
# random numbers inside build
EAGER_BY_DESIGN = (
    "reading a value back",
    "reading values back",
    "in-place op",
    "item assignment",
    "detach_()",
    "made inside build()",
)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the cases reach NaN and empty domains
@pytest.mark.parametrize("name", sorted(cc.SPECS))
def test_every_public_op_gives_the_eager_result_in_a_graph(name):
    """The conformance suite's cases, each as the build of an inference graph called twice (the
    second call replays on numpy): the graph's outputs equal the eager call's exactly."""
    for k in range(2):
        case = cc.SPECS[name].build(cc.RngDraw(cc.case_seed(name, k)))
        if case.error is not None:
            continue
        want = cc.normalize(cc.run(case))

        class OneOp(flow.nn.Graph):
            def __init__(self, fn):
                super().__init__()
                self.fn = fn

            def build(self, *tensors):
                return self.fn(*tensors)

        g = OneOp(case.fn)
        tensors = cc.to_tensors(case.arrays)
        for _ in range(2):
            flow.manual_seed(case.seed)  # random ops draw the same numbers as the eager call
            got = cc.normalize(g(*tensors))
            np.testing.assert_equal(got, want)
        if NUMPY:
            for line in explain(g):
                assert line.startswith("replayed") or any(r in line for r in EAGER_BY_DESIGN), line


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(n for n, s in cc.SPECS.items() if s.grad))
def test_every_differentiable_op_gives_the_eager_gradients_in_a_graph(name):
    """The conformance suite's gradient cases (float64), each differentiated inside a training
    graph: the gradients a replayed call leaves in the inputs' .grad equal eager backward's."""
    case = cc.SPECS[name].build(cc.RngDraw(cc.case_seed(name + "'", 0), for_grad=True))
    if not case.grad:
        pytest.skip("no gradient for this case (a lossy cast)")
    arrays = cc.grad_arrays(case)
    diff = cc.diff_indices(case, arrays)
    _, _, want = cc.autograd(case, arrays, diff)
    leaves = cc.to_tensors(arrays, requires_grad=set(diff))
    flow.manual_seed(case.seed)
    outs = cc.float_outputs(case.fn(*leaves))
    cots = [flow.tensor(c, dtype=o.dtype) for o, c in zip(outs, cc.cotangents(outs))]
    for t in leaves:
        t.grad = None
    # the graph needs an optimizer to train; the inputs are not in it, so their .grad
    # accumulates as after an eager backward
    idle = flow.optim.SGD([flow.nn.Parameter(flow.zeros(1))], lr=0.0)

    class Differentiate(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.add_optimizer(idle)

        def build(self):
            total = None
            for o, c in zip(cc.float_outputs(case.fn(*leaves)), cots):
                if o.requires_grad:
                    term = (o * c).sum()
                    total = term if total is None else total + term
            if total is not None:
                total.backward()
            return total

    g = Differentiate()
    for _ in range(2):  # record, then replay
        for t in leaves:
            t.grad = None
        flow.manual_seed(case.seed)
        g()
    got = [
        None
        if leaves[i].grad is None
        else (
            "T",
            leaves[i].grad.dtype.name,
            tuple(leaves[i].grad.shape),
            np.array(leaves[i].grad.numpy(), copy=True),
        )
        for i in diff
    ]
    np.testing.assert_equal(got, want)
    if NUMPY:
        for line in explain(g):
            assert line.startswith("replayed") or any(r in line for r in EAGER_BY_DESIGN), line


def test_one_tensor_passed_as_two_arguments_runs_eagerly():
    class Pair(flow.nn.Graph):
        def build(self, a, b):
            return a * 2 + b

    g = Pair()
    x, y = flow.tensor([1.0, 2.0]), flow.tensor([10.0, 20.0])
    same(g(x, x), x * 3)
    same(g(x, y), x * 2 + y)  # a recording of (x, x) must not stand for (x, y)
    if NUMPY:
        assert any("two arguments" in line for line in explain(g)), explain(g)


def test_an_index_tensor_is_read_afresh_on_every_replayed_call():
    """Indexing with a tensor records the index as an input of the step, not as a constant:
    each call (replayed on numpy) selects with that call's index values, forward and backward
    (the SGD step, lr 1, subtracts each call's gradient)."""
    w = flow.nn.Parameter(flow.arange(12.0).reshape(4, 3))
    opt = flow.optim.SGD([w], lr=1.0)

    class Pick(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.add_optimizer(opt)

        def build(self, rows):
            picked = w[rows] * 2
            picked.sum().backward()
            return picked

    g = Pick()
    expect = np.arange(12.0).reshape(4, 3)
    for rows in ([0, 3], [2, 2], [1, 0]):
        got = g(flow.tensor(rows))
        np.testing.assert_equal(got.numpy(), expect[rows] * 2)
        np.subtract.at(expect, rows, 2.0)
        np.testing.assert_equal(w.detach().numpy(), expect)
    if NUMPY:
        assert all(line.startswith("replayed") for line in explain(g)), list(explain(g))

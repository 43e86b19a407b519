"""``flowkit.nn.Graph``: OneFlow's static-graph interface, on every backend.

A graph must give exactly the numbers of the same code run eagerly: 20 training steps of an MLP
in a graph and in an eager loop are compared bit for bit (outputs, losses, parameters, optimizer
state), with several optimizers and a scheduler; then the graph's modes, state dicts, repr, errors
and the compile seam a backend can use to replay a recorded step.
"""

from __future__ import annotations

import numpy as np
import pytest

import flowkit as flow


class MLP(flow.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = flow.nn.Linear(4, 8)
        self.fc2 = flow.nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(self.fc1(x).tanh())


def data(step):
    rng = np.random.default_rng(100 + step)
    return (
        flow.tensor(rng.standard_normal((6, 4)).astype(np.float32)),
        flow.tensor(rng.standard_normal((6, 3)).astype(np.float32)),
    )


def make_optimizer(kind, params):
    if kind == "sgd":
        return flow.optim.SGD(params, lr=0.05)
    if kind == "momentum":
        return flow.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=1e-3)
    return flow.optim.Adam(params, lr=0.01)


class TrainGraph(flow.nn.Graph):
    def __init__(self, model, optimizer, lr_sch=None):
        super().__init__()
        self.model = model
        self.loss_fn = flow.nn.MSELoss()
        self.add_optimizer(optimizer, lr_sch=lr_sch)

    def build(self, x, y):
        pred = self.model(x)
        loss = self.loss_fn(pred, y)
        loss.backward()
        return loss, pred


def same(a, b):
    np.testing.assert_array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()))


def schedulers():
    return getattr(flow.optim, "lr_scheduler", None)


@pytest.mark.parametrize("kind", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("with_scheduler", [False, True])
def test_graph_trains_exactly_like_eager_code(kind, with_scheduler):
    if with_scheduler and schedulers() is None:
        pytest.skip("flowkit.optim.lr_scheduler is not available")

    def sched(opt):
        return schedulers().StepLR(opt, step_size=5, gamma=0.5) if with_scheduler else None

    flow.manual_seed(0)
    eager = MLP()
    eager_opt = make_optimizer(kind, eager.parameters())
    eager_sch = sched(eager_opt)
    flow.manual_seed(0)
    model = MLP()
    opt = make_optimizer(kind, model.parameters())
    graph = TrainGraph(model, opt, sched(opt))

    for step in range(20):
        x, y = data(step)
        pred = eager(x)
        loss = flow.nn.MSELoss()(pred, y)
        eager_opt.zero_grad()
        loss.backward()
        eager_opt.step()
        if eager_sch is not None:
            eager_sch.step()

        g_loss, g_pred = graph(x, y)
        same(g_loss, loss)
        same(g_pred, pred)
        assert g_loss.grad_fn is None and not g_loss.requires_grad  # outputs are values
        for p, q in zip(eager.parameters(), model.parameters()):
            same(p, q)
            assert q.grad is None  # the graph clears the gradients after its step
    assert opt.param_groups[0]["lr"] == eager_opt.param_groups[0]["lr"]
    for p, q in zip(eager.parameters(), model.parameters()):
        for k, v in eager_opt.state[p].items():
            w = opt.state[q][k]
            if isinstance(v, flow.Tensor):
                same(v, w)
            else:
                assert v == w


def test_two_optimizers_and_nested_outputs():
    flow.manual_seed(0)
    model = MLP()
    opt1 = flow.optim.SGD(model.fc1.parameters(), lr=0.1)
    opt2 = flow.optim.Adam(model.fc2.parameters(), lr=0.1)

    class G(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.model = model
            self.add_optimizer(opt1)
            self.add_optimizer(opt2)

        def build(self, x):
            out = self.model(x)
            loss = (out * out).mean()
            loss.backward()
            return {"loss": loss, "parts": [out, None, 3]}

    before = [p.numpy().copy() for p in model.parameters()]
    res = G()(data(0)[0])
    assert set(res) == {"loss", "parts"}
    assert res["parts"][1:] == [None, 3] and res["parts"][0].grad_fn is None
    for b, p in zip(before, model.parameters()):
        assert not np.array_equal(b, p.numpy())  # both optimizers stepped
        assert p.grad is None


def test_an_inference_graph_matches_the_module_and_records_no_graph():
    flow.manual_seed(0)
    model = MLP()

    class Infer(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.model = model

        def build(self, x):
            return self.model(x)

    g = Infer()
    x = data(1)[0]
    out = g(x)
    same(out, model(x))
    assert out.grad_fn is None and not out.requires_grad
    assert not g.config.training
    assert all(p.grad is None for p in model.parameters())


def test_backward_in_a_graph_without_optimizer_explains_itself():
    flow.manual_seed(0)
    model = MLP()

    class NoOpt(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.model = model

        def build(self, x):
            loss = self.model(x).sum()
            loss.backward()
            return loss

    with pytest.raises(flow.AutogradError, match=r"NoOpt has no optimizer.*add_optimizer"):
        NoOpt()(data(0)[0])


def test_train_and_eval_modes():
    flow.manual_seed(0)
    model = MLP()
    opt = flow.optim.SGD(model.parameters(), lr=0.1)
    g = TrainGraph(model, opt)
    x, y = data(0)
    assert g.training and g.config.training
    assert g.eval() is g
    assert not g.training and not model.training and not g.config.training
    before = [p.numpy().copy() for p in model.parameters()]
    with pytest.raises(flow.AutogradError, match=r"TrainGraph is in eval mode.*\.train\(\)"):
        g(x, y)

    class Eval(TrainGraph):
        def build(self, x, y):
            return self.loss_fn(self.model(x), y)

    e = Eval(model, opt).eval()
    loss = e(x, y)
    same(loss, flow.nn.MSELoss()(model(x), y))
    for b, p in zip(before, model.parameters()):
        np.testing.assert_array_equal(b, p.numpy())  # nothing stepped
    g.train()
    assert g.training and model.training
    g(x, y)
    assert not np.array_equal(before[0], model.fc1.weight.numpy())
    with pytest.raises(TypeError, match="bool"):
        g.train("yes")


def test_state_dict_round_trip_continues_the_same_trajectory():
    def build():
        flow.manual_seed(0)
        model = MLP()
        opt = flow.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        return model, TrainGraph(model, opt)

    m1, g1 = build()
    for step in range(3):
        g1(*data(step))
    sd = g1.state_dict()
    assert list(sd) == ["model", "loss_fn", "_optimizer_0"]
    assert list(sd["model"]) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert sd["_optimizer_0"]["state"]  # the momentum buffers

    m2, g2 = build()
    g2.load_state_dict(sd)
    for p, q in zip(m1.parameters(), m2.parameters()):
        same(p, q)
    for step in range(3, 8):
        same(g1(*data(step))[0], g2(*data(step))[0])
    for p, q in zip(m1.parameters(), m2.parameters()):
        same(p, q)


def test_state_dict_keys_are_checked():
    flow.manual_seed(0)
    model = MLP()
    g = TrainGraph(model, flow.optim.SGD(model.parameters(), lr=0.1))
    sd = g.state_dict()
    del sd["_optimizer_0"]
    sd["extra"] = {}
    with pytest.raises(
        flow.StateDictError,
        match=r"missing keys: _optimizer_0; unexpected keys: "
        r"extra",
    ):
        g.load_state_dict(sd)
    g.load_state_dict(sd, strict=False)


@pytest.mark.skipif(schedulers() is None, reason="flowkit.optim.lr_scheduler is not available")
def test_state_dict_includes_the_scheduler():
    flow.manual_seed(0)
    model = MLP()
    opt = flow.optim.SGD(model.parameters(), lr=0.1)
    g = TrainGraph(model, opt, schedulers().StepLR(opt, step_size=1, gamma=0.5))
    g(*data(0))
    sd = g.state_dict()
    assert list(sd)[-2:] == ["_optimizer_0", "_lr_scheduler_0"]
    assert opt.param_groups[0]["lr"] == 0.05
    assert "(LR_SCHEDULER:_lr_scheduler_0:StepLR)" in repr(g)


def test_repr_lists_modules_parameters_and_optimizers():
    flow.manual_seed(0)
    model = MLP()
    g = TrainGraph(model, flow.optim.SGD(model.parameters(), lr=0.1))
    text = repr(g)
    assert text.splitlines()[0] == "(GRAPH:TrainGraph:TrainGraph): ("
    assert text.splitlines()[1] == "  (CONFIG:config:GraphConfig(training=True))"
    assert "  (MODULE:model:MLP()): (" in text
    assert "    (MODULE:model.fc1:Linear(in_features=4, out_features=8, bias=True)): (" in text
    assert (
        "      (PARAMETER:model.fc1.weight:tensor(size=(8, 4), dtype=flowkit.float32, "
        "requires_grad=True)): ()"
    ) in text
    assert "  (MODULE:loss_fn:MSELoss()): ()" in text
    assert "  (OPTIMIZER:_optimizer_0:SGD(lr=0.1, momentum=0.0," in text
    assert text.endswith("\n)")
    assert str(g) == text


def test_debug_is_accepted_and_silent(capsys):
    flow.manual_seed(0)
    model = MLP()
    g = TrainGraph(model, flow.optim.SGD(model.parameters(), lr=0.1))
    assert g.debug(1) is None
    assert g.debug(v_level=0, ranks=[0], max_py_stack_depth=4) is None
    g(*data(0))
    assert capsys.readouterr().out == ""


def test_definition_errors():
    class NoSuper(flow.nn.Graph):
        def __init__(self):
            self.model = MLP()

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        NoSuper()

    class NoBuild(flow.nn.Graph):
        pass

    with pytest.raises(NotImplementedError, match="must define build"):
        NoBuild()()

    model = MLP()
    opt = flow.optim.SGD(model.parameters(), lr=0.1)

    class OptAttr(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.opt = opt

    with pytest.raises(TypeError, match=r"self.add_optimizer\(optimizer\)"):
        OptAttr()
    g = NoBuild()
    with pytest.raises(TypeError, match="expected a flowkit optimizer"):
        g.add_optimizer(model)
    with pytest.raises(ValueError, match="is_sparse"):
        g.add_optimizer(opt, is_sparse=True)
    if schedulers() is not None:
        other = flow.optim.SGD(MLP().parameters(), lr=0.1)
        with pytest.raises(ValueError, match="another optimizer"):
            g.add_optimizer(opt, lr_sch=schedulers().StepLR(other, step_size=1))


def test_the_compile_seam(monkeypatch):
    """The first call asks the backend for a compiled runner, with the call's arguments
    available; the runner then serves every call, until the mode changes."""
    flow.manual_seed(0)
    model = MLP()
    g = TrainGraph(model, flow.optim.SGD(model.parameters(), lr=0.1))
    asked, ran = [], []

    def compile_graph(graph):
        asked.append(graph)

        def runner(*args, **kwargs):  # a backend would replay a recorded step here
            ran.append(len(args))
            return graph._run(*args, **kwargs)

        return runner

    monkeypatch.setattr(flow.backend(), "compile_graph", compile_graph)
    x, y = data(0)
    g(x, y)
    g(x, y)
    assert asked == [g] and ran == [2, 2]
    g.eval()
    g.train()
    g(x, y)
    assert asked == [g, g] and ran == [2, 2, 2]
    monkeypatch.setattr(flow.backend(), "compile_graph", lambda graph: None)
    g.train()
    g(x, y)  # no runner offered: the eager step
    assert len(ran) == 3


def test_graph_is_exported():
    assert flow.nn.Graph.__module__ == "flowkit.nn.graph"
    assert "Graph" in flow.nn.__all__

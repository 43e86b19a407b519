"""Details a program ported from OneFlow meets on OneFlow's own basics pages, decided one by one
(the docs pages say what was chosen): nn.Graph prints OneFlow's INPUT/OUTPUT entries once it
has run, ``flow.save(graph, path)`` saves the graph's state, and a state dict holds detached
tensors (PyTorch's choice) with ``keep_vars=True`` giving OneFlow's parameters."""

from __future__ import annotations

import flowkit as flow


class TrainGraph(flow.nn.Graph):
    def __init__(self):
        super().__init__()
        self.model = flow.nn.Linear(3, 2)
        self.add_optimizer(flow.optim.SGD(self.model.parameters(), lr=0.1))

    def build(self, x, y):
        loss = ((self.model(x) - y) ** 2).mean()
        loss.backward()
        return loss


def test_graph_prints_its_inputs_and_outputs_once_it_has_run():
    g = TrainGraph()
    assert "INPUT" not in repr(g) and "OUTPUT" not in repr(g)
    g(flow.ones(4, 3), flow.zeros(4, 2))
    text = repr(g)
    assert "(INPUT:_TrainGraph_input.0.0:tensor(size=(4, 3), dtype=flowkit.float32))" in text
    assert "(INPUT:_TrainGraph_input.0.1:tensor(size=(4, 2), dtype=flowkit.float32))" in text
    assert "(OUTPUT:_TrainGraph_output.0.0:tensor(size=(), dtype=flowkit.float32))" in text
    lines = text.splitlines()
    order = [i for i, ln in enumerate(lines) if "INPUT" in ln or "MODULE:model" in ln
             or "OUTPUT" in ln or "OPTIMIZER" in ln]  # fmt: skip
    kinds = [lines[i].strip().split(":")[0] for i in order]
    assert kinds == ["(INPUT", "(INPUT", "(MODULE", "(OUTPUT", "(OPTIMIZER"]


def test_save_of_a_graph_writes_its_state_dict(tmp_path):
    g = TrainGraph()
    g(flow.ones(4, 3), flow.zeros(4, 2))
    path = tmp_path / "g.safetensors"
    flow.save(g, path)
    loaded = flow.load(path)
    assert list(loaded) == ["model", "_optimizer_0"]
    other = TrainGraph()
    other.load_state_dict(loaded)
    assert bool((other.model.weight == g.model.weight).all())


def test_state_dict_is_detached_and_keep_vars_gives_the_parameters():
    m = flow.nn.Linear(2, 1)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad and "requires_grad" not in repr(sd["weight"])
    assert m.state_dict(keep_vars=True)["weight"] is m.weight

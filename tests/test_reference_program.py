"""The tutorial's own program (OneFlow's "backprop and optimizer" page), with
``import oneflow as flow`` replaced by ``import flowkit as flow`` and nothing else changed, gives
the tutorial's result on every usable backend: the loss every 50 iterations, below 1e-9 from
iteration 200 on, and ``w`` printed in OneFlow's style."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import flowkit as flow

# The program exactly as the reference page writes it (its three code blocks, in order), with
# only the import line changed.
REFERENCE_PROGRAM = """
import flowkit as flow

x = flow.tensor([[1, 2], [2, 3], [4, 6], [3, 1]], dtype=flow.float32)
y = flow.tensor([[8], [13], [26], [9]], dtype=flow.float32)


class MyLrModule(flow.nn.Module):
    def __init__(self, lr, iter_count):
        super().__init__()
        self.w = flow.nn.Parameter(flow.randn(2, 1, dtype=flow.float32))
        self.lr = lr
        self.iter_count = iter_count

    def forward(self, x):
        return flow.matmul(x, self.w)


model = MyLrModule(0.01, 500)

loss = flow.nn.MSELoss(reduction='sum')

optimizer = flow.optim.SGD(model.parameters(), model.lr)

for i in range(0, model.iter_count):
    y_pred = model(x)
    l = loss(y_pred, y)
    if (i + 1) % 50 == 0:
        print(f"{i+1}/{model.iter_count} loss:{l}")

    optimizer.zero_grad()
    l.backward()
    optimizer.step()

print(f"\\nw: {model.w}")
"""

LINE = re.compile(r"^(\d+)/500 loss:(\S+)$")


@pytest.mark.once
@pytest.mark.parametrize("backend", [b.name for b in flow.backends() if b.usable])
def test_reference_program_reaches_the_tutorials_result(backend):
    env = dict(os.environ, FLOWKIT_BACKEND=backend)
    proc = subprocess.run(
        [sys.executable, "-c", REFERENCE_PROGRAM],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().split("\n")
    losses = {int(m[1]): float(m[2]) for m in map(LINE.match, lines) if m}
    assert sorted(losses) == list(range(50, 501, 50)), proc.stdout
    assert all(losses[i] < 1e-9 for i in range(200, 501, 50)), losses
    w = proc.stdout[proc.stdout.index("w: ") :]
    assert w.startswith("w: tensor([[2.0000],\n        [3.0000]], dtype=flowkit.float32"), w

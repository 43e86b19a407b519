"""flow.comm in one process (a group of one): what it shares, what it counts, what it refuses."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import flowkit as flow

pytest.importorskip("torch.distributed")


def test_the_numpy_backend_hands_torch_its_own_memory():
    if flow.backend().name != "numpy":
        pytest.skip("the numpy backend's promise")
    x = flow.tensor([1.0, 2.0, 3.0])
    buf = flow.backend().comm_buffer(x)
    assert buf.data_ptr() == x.numpy().__array_interface__["data"][0]  # no copy
    y = flow.arange(6.0).reshape(2, 3).T  # not contiguous: a copy, written back after
    buf = flow.backend().comm_buffer(y)
    buf.mul_(10)
    flow.backend().comm_commit(y, buf)
    assert y.tolist() == [[0.0, 30.0], [10.0, 40.0], [20.0, 50.0]]


def test_an_in_place_collective_counts_as_an_in_place_change():
    w = flow.tensor([1.0, 2.0], requires_grad=True)
    x = flow.tensor([3.0, 4.0])
    y = (w * x).sum()  # saves x for backward
    flow.comm.all_reduce(x)  # changes x in place (a group of one: same values, new version)
    with pytest.raises(flow.AutogradError, match="modified by an inplace operation"):
        y.backward()


def test_bad_arguments_are_named():
    with pytest.raises(flow.ArgumentTypeError, match="tensor must be a flowkit.Tensor"):
        flow.comm.all_reduce([1.0, 2.0])
    with pytest.raises(flow.ArgumentValueError, match="tensor_list has 2 tensors, but the group"):
        flow.comm.all_gather([flow.zeros(2), flow.zeros(2)], flow.ones(2))
    with pytest.raises(flow.ArgumentValueError, match="unknown reduce op 'mean'"):
        flow.comm.all_reduce(flow.ones(2), op="mean")
    with pytest.raises(flow.ArgumentValueError, match="src=3 is not a rank of this run"):
        flow.comm.broadcast(flow.ones(2), src=3)


def test_import_flowkit_does_not_import_torch_until_the_first_collective():
    code = (
        "import sys, flowkit as flow\n"
        "flow.zeros(1); print('torch' in sys.modules, flow.env.get_rank())\n"
        "x = flow.ones(1); flow.comm.all_reduce(x); print('torch' in sys.modules)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "FLOWKIT_BACKEND": "numpy"})  # fmt: skip
    assert r.stdout.split() == ["False", "0", "True"], r.stderr

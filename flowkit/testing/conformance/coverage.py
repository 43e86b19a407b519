"""Which public names are ops (and so need a case), read from the namespaces themselves."""

from __future__ import annotations

import inspect

import flowkit as flow

# Public names that are not ops, each with the reason (and where flowkit tests it instead).
NOT_OPS = {
    # flowkit.*: backend selection and plugins (tests/test_plugins.py)
    "flowkit.backend",
    "flowkit.backends",
    "flowkit.use_backend",
    "flowkit.register_plugin",
    "flowkit.unregister_plugin",
    # flowkit.*: the generator's state (tests/test_same_seed.py; the random ops are covered here)
    "flowkit.manual_seed",
    "flowkit.seed",
    "flowkit.get_rng_state",
    "flowkit.set_rng_state",
    "flowkit.initial_seed",
    # flowkit.*: grad mode (tests/test_autograd_api.py) and checkpoints (test_serialization.py)
    "flowkit.is_grad_enabled",
    "flowkit.save",
    "flowkit.load",
    # Tensor: autograd state and control (tests/test_autograd_api.py, test_autograd_numpy.py)
    "Tensor.backward",
    "Tensor.retain_grad",
    "Tensor.register_post_accumulate_grad_hook",  # the autograd column's check (safety.py)
    "Tensor.register_hook",  # tests/test_autograd_function_hooks.py
    "Tensor.requires_grad_",
    "Tensor.requires_grad",
    "Tensor.grad",
    "Tensor.grad_fn",
    "Tensor.is_leaf",
    "Tensor.data",
    # Tensor: devices (tests/test_torch_backend.py; CUDA needs a GPU)
    "Tensor.device",
    "Tensor.is_cuda",
    "Tensor.cuda",
    # Tensor: the metadata and readout every check of the kit goes through
    "Tensor.dtype",
    "Tensor.shape",
    "Tensor.ndim",
    "Tensor.numpy",
    # Tensor: Python object plumbing, printing (tests/test_tensor_api.py) and numpy interop
    "Tensor.__class__",
    "Tensor.__delattr__",
    "Tensor.__dir__",
    "Tensor.__doc__",
    "Tensor.__getattribute__",
    "Tensor.__getstate__",
    "Tensor.__init__",
    "Tensor.__init_subclass__",
    "Tensor.__module__",
    "Tensor.__new__",
    "Tensor.__reduce__",
    "Tensor.__reduce_ex__",
    "Tensor.__setattr__",
    "Tensor.__sizeof__",
    "Tensor.__slots__",
    "Tensor.__slotnames__",  # copyreg's cache, set on the class once a tensor is pickled
    "Tensor.__subclasshook__",
    "Tensor.__weakref__",
    "Tensor.__annotations__",
    "Tensor.__hash__",
    "Tensor.__repr__",
    "Tensor.__str__",
    "Tensor.__format__",
    "Tensor.__array__",
    "Tensor.__array_function__",
    "Tensor.__array_ufunc__",
    "Tensor.__array_priority__",
    "Tensor.__firstlineno__",
    "Tensor.__static_attributes__",
    "Tensor.__dict__",
    # Tensor: global tensors (placement + SBP) need several processes
    "Tensor.to_global",  # multi-process: tests/distributed/test_global_tensor.py
    "Tensor.to_local",  # multi-process: tests/distributed/test_global_tensor.py
    "Tensor.placement",  # multi-process: tests/distributed/test_global_tensor.py
    "Tensor.sbp",  # multi-process: tests/distributed/test_global_tensor.py
    "Tensor.is_global",  # multi-process: tests/distributed/test_global_tensor.py
}


def public_ops() -> set[str]:
    """Every public op entry point: ``flowkit.*`` functions, ``F.*`` (``flowkit.nn.functional``)
    and ``Tensor.*`` names of [`flowkit.Tensor`][flowkit.Tensor] and of the selected backend's
    tensor class (a backend's class adds nothing public of its own, so a name only it has needs a
    case too).

    Returns:
        set[str]: names such as ``"flowkit.add"``, ``"F.conv2d"``, ``"Tensor.__add__"``.

    Examples:
        >>> from flowkit.testing.conformance.coverage import public_ops
        >>> {"flowkit.matmul", "F.relu", "Tensor.sum"} <= public_ops()
        True
    """
    F = flow.nn.functional
    ops = {
        f"flowkit.{n}"
        for n in dir(flow)
        if not n.startswith("_")
        and callable(getattr(flow, n))
        and not inspect.isclass(getattr(flow, n))
    }
    ops |= {
        f"F.{n}"
        for n in set(F.__all__)
        | {
            n
            for n in dir(F)
            if not n.startswith("_")
            and inspect.isfunction(getattr(F, n))
            and getattr(F, n).__module__ == F.__name__
        }
    }
    tensor_types = {type(flow.zeros(1)), flow.Tensor}
    ops |= {
        f"Tensor.{n}"
        for t in tensor_types
        for n in dir(t)
        if not n.startswith("_") or n.startswith("__") and n.endswith("__")
    }
    return ops


def optimizers() -> set[str]:
    """Every optimizer class of ``flowkit.optim`` (as ``"optim.SGD"``, ...).

    Examples:
        >>> from flowkit.testing.conformance.coverage import optimizers
        >>> "optim.Adam" in optimizers()
        True
    """
    base = flow.optim.Optimizer
    return {
        f"optim.{n}"
        for n in dir(flow.optim)
        if inspect.isclass(c := getattr(flow.optim, n)) and issubclass(c, base) and c is not base
    }

"""The contract is code: ``flowkit.Tensor`` and ``flowkit.backend.Backend`` declare every public
method, the built-in backends implement all of it and add nothing public of their own, and the
core calls nothing on a backend that the contract does not declare.

These are static checks over classes and source, the same on every backend (``once``); the
behaviour behind the contract is checked by the conformance kit (flowkit.testing.conformance).
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import flowkit as flow
from flowkit.backend import Backend
from flowkit.ops._contract import is_declaration

pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[1]

# Python's object plumbing: not part of any contract (the numpy protocol hooks and the operators
# are, and are compared)
PLUMBING = set(dir(object)) | {
    "__weakref__",
    "__slots__",
    "__slotnames__",  # copyreg's cache, set on a class once one of its tensors is copied
    "__module__",
    "__annotations__",
    "__dict__",
    "__static_attributes__",
    "__firstlineno__",
    "__abstractmethods__",
    "__orig_bases__",
    "__parameters__",
}


def _public(cls) -> set[str]:
    return {
        n for n in dir(cls) if (not n.startswith("_") or n.startswith("__")) and n not in PLUMBING
    }


def _backend_classes():
    """(backend name, its Tensor class, its Backend class) for each built-in backend that can
    be imported here (torch may be missing)."""
    from flowkit_numpy.backend import NumpyBackend

    out = [("numpy", NumpyBackend.Tensor, NumpyBackend)]
    try:
        from flowkit_torch.backend import TorchBackend
    except ImportError:
        pass
    else:
        out.append(("torch", TorchBackend.Tensor, TorchBackend))
    return out


BACKENDS = {name: (t, b) for name, t, b in _backend_classes()}


def _declarations(cls) -> list[str]:
    return sorted(n for n in dir(cls) if is_declaration(inspect.getattr_static(cls, n)))


TENSOR_DECLARED = _declarations(flow.Tensor)
BACKEND_DECLARED = _declarations(Backend)


def test_the_contract_is_declared():
    assert len(_public(flow.Tensor)) > 170  # every method a user calls on a tensor
    assert {"sum", "backward", "to", "__add__", "shape", "grad"} <= set(TENSOR_DECLARED)
    assert {"cat", "stack", "where", "make_parameter", "conv2d"} <= set(BACKEND_DECLARED)
    assert hasattr(flow.Tensor, "exp") and flow.Tensor.sum.__doc__


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_a_backend_adds_no_public_names(backend):
    tensor_cls, backend_cls = BACKENDS[backend]
    extra = _public(tensor_cls) - _public(flow.Tensor)
    assert not extra, (
        f"{tensor_cls.__name__} has public names flowkit.Tensor does not "
        f"declare (declare them in flowkit/ops, or make them private): {extra}"
    )
    assert _public(tensor_cls) == _public(flow.Tensor)
    extra = _public(backend_cls.Parameter) - _public(flow.nn.Parameter) - _public(flow.Tensor)
    assert not extra, extra
    extra = {n for n in _public(backend_cls) - _public(Backend) if n not in ("Tensor", "Parameter")}
    assert not extra, f"{backend_cls.__name__} has public names Backend does not declare: {extra}"


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_a_builtin_backend_implements_every_declaration(backend):
    tensor_cls, backend_cls = BACKENDS[backend]
    missing = [n for n in TENSOR_DECLARED if is_declaration(inspect.getattr_static(tensor_cls, n))]
    assert not missing, (
        f"{tensor_cls.__name__} leaves these Tensor methods unimplemented: {missing}"
    )
    missing = [
        n for n in BACKEND_DECLARED if is_declaration(inspect.getattr_static(backend_cls, n))
    ]
    assert not missing, f"{backend_cls.__name__} leaves these Backend ops unimplemented: {missing}"


def _accepts(impl, param: inspect.Parameter) -> bool:
    """Whether ``impl`` takes the declared ``param`` as its declaration lets a caller pass it."""
    try:
        sig = inspect.signature(impl)
    except (TypeError, ValueError):
        return True  # a builtin: nothing to compare
    ps = sig.parameters
    kinds = {p.kind for p in ps.values()}
    if param.kind is param.VAR_POSITIONAL:
        return param.VAR_POSITIONAL in kinds
    if param.kind is param.VAR_KEYWORD:
        return param.VAR_KEYWORD in kinds
    if param.name in ps and ps[param.name].kind is not param.VAR_POSITIONAL:
        return True
    return param.VAR_KEYWORD in kinds or (
        param.kind is param.POSITIONAL_ONLY and param.VAR_POSITIONAL in kinds
    )


def _callable(attr):
    return attr.fget if isinstance(attr, property) else attr


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_implementations_take_the_declared_arguments(backend):
    """A declared keyword reaches every backend: ``x.sum(dim=1, keepdim=True)`` works
    everywhere or nowhere."""
    tensor_cls, backend_cls = BACKENDS[backend]
    wrong = []
    for cls, base, names in (
        (tensor_cls, flow.Tensor, TENSOR_DECLARED),
        (backend_cls, Backend, BACKEND_DECLARED),
    ):
        for n in names:
            decl = inspect.signature(_callable(inspect.getattr_static(base, n)))
            impl = _callable(inspect.getattr_static(cls, n))
            for p in list(decl.parameters.values())[1:]:  # (self)
                if not _accepts(impl, p):
                    wrong.append(f"{cls.__name__}.{n} does not take {p.name!r}")
    assert not wrong, "\n".join(wrong)


def _backend_attributes_used_by_the_core() -> dict[str, set[str]]:
    """``{attribute: {file:line, ...}}`` of every attribute the core reads from the selected
    backend object: ``_plugins.get().X``, ``_plugins.current.X``, ``flowkit.backend().X``, and
    ``b.X`` where ``b`` was assigned one of those."""
    used: dict[str, set[str]] = {}

    def is_backend_expr(node) -> bool:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "_plugins"
        ):
            return True
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "current"
            and isinstance(node.value, ast.Name)
            and node.value.id == "_plugins"
        ):
            return True
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "backend"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in ("flow", "flowkit")
        )

    for path in sorted((ROOT / "flowkit").rglob("*.py")):
        if path.name == "_plugins.py" or "testing" in path.parts:
            continue  # the plugin manager and the kits handle backends as objects
        tree = ast.parse(path.read_text("utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
                continue
            names = set()
            for node in ast.walk(fn):
                if isinstance(node, ast.Assign) and is_backend_expr(node.value):
                    names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            for node in ast.walk(fn):
                if not isinstance(node, ast.Attribute):
                    continue
                if is_backend_expr(node.value) or (
                    isinstance(node.value, ast.Name) and node.value.id in names
                ):
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    used.setdefault(node.attr, set()).add(where)
    return used


def test_the_backend_declares_everything_the_core_calls():
    used = _backend_attributes_used_by_the_core()
    assert {"matmul", "cat", "from_numpy", "conv2d"} <= set(used), sorted(used)
    declared = set(dir(Backend)) | set(Backend.__annotations__)  # (name, Tensor, device...)
    undeclared = {a: sorted(w) for a, w in used.items() if a not in declared}
    assert not undeclared, (
        f"the core calls backend attributes Backend does not declare: {undeclared}"
    )


def test_tensor_methods_resolve_to_one_declaration():
    """Each public name is defined once among flowkit.Tensor's bases: two families declaring one
    name would make the winner depend on the order of the mixins."""
    seen: dict[str, str] = {}
    clash = []
    for base in flow.Tensor.__mro__[:-1]:
        for n in vars(base):
            if n in _public(flow.Tensor) and n not in ("__hash__", "__slots__", "__doc__"):
                if n in seen and n not in vars(flow.Tensor):
                    clash.append(f"{n}: {seen[n]} and {base.__name__}")
                seen.setdefault(n, base.__name__)
    assert not clash, clash


def test_a_missing_op_names_itself_and_the_backend():
    class Partial(BACKENDS["numpy"][0]):
        __slots__ = ()
        exp = flow.Tensor.exp  # as if the backend had not implemented it

    x = object.__new__(Partial)
    with pytest.raises(
        flow.BackendNotImplementedError,
        match=r"Tensor\.exp is not implemented by "
        r"the '\w+' backend \(Partial\)",
    ):
        x.exp()
    with pytest.raises(NotImplementedError):  # PyTorch code's `except NotImplementedError`
        x.exp()


def test_help_shows_the_declaration():
    doc = inspect.getdoc(flow.Tensor.sum)
    assert "Examples:" in doc and "keepdim" in doc
    assert str(inspect.signature(flow.Tensor.sum)).startswith("(self, dim")
    assert importlib.import_module("flowkit.ops.reduction").ReductionMethods.sum is flow.Tensor.sum

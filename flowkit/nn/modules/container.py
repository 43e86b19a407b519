"""Containers: ``Sequential``, ``ModuleList`` and ``ModuleDict``, as in PyTorch."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, cast

from ..module import Module, _addindent


def _check_module(owner: Module, name: str, module) -> None:
    if not isinstance(module, Module) and module is not None:
        raise TypeError(
            f"{type(owner).__name__}: {type(module).__name__} is not a Module "
            "subclass; wrap functions in a Module (or use flowkit.nn.Identity)"
        )
    if not isinstance(name, str):
        raise TypeError(
            f"{type(owner).__name__}: module names are strings, got {type(name).__name__}"
        )
    if "." in name or name == "":
        raise KeyError(
            f"{type(owner).__name__}: module name {name!r} can't be empty or contain '.'"
        )
    if name not in owner._modules and hasattr(owner, name):
        raise KeyError(
            f"{type(owner).__name__}: attribute {name!r} already exists; pick another name"
        )


def _add(owner: Module, name: str, module) -> None:
    _check_module(owner, name, module)
    owner.add_module(name, module)


def _set_all(owner: Module, items: Iterable[tuple[str, Module | None]]) -> None:
    """Replace every child (renumbering after a delete or an insert), keeping the attribute
    lookups in ``__dict__`` in step with the ``_modules`` registry."""
    items = list(items)
    for key in list(owner._modules):
        owner.__dict__.pop(key, None)
    owner._modules.clear()
    for key, module in items:
        owner.add_module(key, module)


def _index(owner: Module, idx) -> int:
    n = len(owner._modules)
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range for a {type(owner).__name__} of {n} modules")
    return idx % n


class Sequential(Module):
    """Modules called in order, each on the previous one's output.

    ``Sequential(m0, m1, ...)`` names the children ``"0"``, ``"1"``...;
    ``Sequential(OrderedDict([("conv", ...), ("act", ...)]))`` keeps the given names. Supports
    indexing (ints and slices), ``len``, iteration, ``append``, ``insert``, ``extend``, ``pop``
    and ``+``.

    Examples:
        >>> import flowkit as flow
        >>> net = flow.nn.Sequential(flow.nn.Linear(2, 3), flow.nn.ReLU())
        >>> net
        Sequential(
          (0): Linear(in_features=2, out_features=3, bias=True)
          (1): ReLU()
        )
        >>> net(flow.ones(4, 2)).shape, len(net), net[-1]
        (flowkit.Size([4, 3]), 2, ReLU())
    """

    def __init__(self, *args: Module):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                _add(self, key, module)
        else:
            for i, module in enumerate(args):
                _add(self, str(i), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(self, idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[_index(self, idx)]
        _add(self, key, module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)
        drop = set(keys[idx]) if isinstance(idx, slice) else {keys[_index(self, idx)]}
        # renumbered afterwards, as PyTorch does: the children stay "0", "1", ...
        _set_all(
            self,
            (
                (str(i), m)
                for i, m in enumerate(m for k, m in self._modules.items() if k not in drop)
            ),
        )

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        # a child added as None comes back as None (as in PyTorch); typed for the usual case
        return iter(cast("Iterable[Module]", self._modules.values()))

    def __add__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(
                f"add operator supports only objects of Sequential class, but "
                f"{type(other)} is given."
            )
        return Sequential(*self, *other)

    def append(self, module: Module) -> Sequential:
        _add(self, str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        _check_module(self, "_", module)
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Sequential.insert: index {index} is out of range for {n} modules")
        mods = list(self._modules.values())
        mods.insert(index + n if index < 0 else index, module)
        _set_all(self, ((str(i), m) for i, m in enumerate(mods)))
        return self

    def extend(self, sequential: Iterable[Module]) -> Sequential:
        for module in sequential:
            self.append(module)
        return self

    def pop(self, key: int) -> Module:
        v = self[key]
        del self[key]
        return v


class ModuleList(Module):
    """A list of modules, registered (their parameters are the owner's), indexed like a list.

    Examples:
        >>> import flowkit as flow
        >>> layers = flow.nn.ModuleList([flow.nn.Linear(4, 4) for _ in range(3)])
        >>> layers.append(flow.nn.ReLU())
        ModuleList(
          (0-2): 3 x Linear(in_features=4, out_features=4, bias=True)
          (3): ReLU()
        )
        >>> len(layers), len(list(layers.parameters()))
        (4, 6)
    """

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(self, idx))]

    def __setitem__(self, idx: int, module: Module) -> None:
        _add(self, str(_index(self, idx)), module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)
        drop = set(keys[idx]) if isinstance(idx, slice) else {keys[_index(self, idx)]}
        _set_all(
            self,
            (
                (str(i), m)
                for i, m in enumerate(m for k, m in self._modules.items() if k not in drop)
            ),
        )

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        # a child added as None comes back as None (as in PyTorch); typed for the usual case
        return iter(cast("Iterable[Module]", self._modules.values()))

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])

    def append(self, module: Module) -> ModuleList:
        _add(self, str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if isinstance(modules, (Module, str)) or not isinstance(modules, Iterable):
            raise TypeError(
                f"ModuleList.extend should be called with an iterable of modules, "
                f"but got {type(modules).__name__}"
            )
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        _check_module(self, "_", module)
        mods = list(self._modules.values())
        mods.insert(index, module)
        _set_all(self, ((str(i), m) for i, m in enumerate(mods)))

    def pop(self, key: int) -> Module:
        v = self[key]
        del self[key]
        return v

    def __repr__(self) -> str:
        # PyTorch's: runs of identical children print once, as "(0-2): 3 x Linear(...)"
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        runs: list[list[Any]] = [[0, 0, reprs[0]]]  # [first index, last index, repr]
        for i, r in enumerate(reprs[1:], 1):
            if r == runs[-1][2]:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = []
        for start, end, r in runs:
            head = f"({start}): " if start == end else f"({start}-{end}): {end - start + 1} x "
            lines.append(_addindent(head + r, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of modules, registered under their keys.

    Examples:
        >>> import flowkit as flow
        >>> heads = flow.nn.ModuleDict({"cls": flow.nn.Linear(8, 3), "act": flow.nn.Tanh()})
        >>> list(heads), heads["act"], "cls" in heads
        (['cls', 'act'], Tanh(), True)
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        # a child added as None comes back as None (as in PyTorch); typed for the usual case
        return cast(Module, self._modules[key])

    def __setitem__(self, key: str, module: Module) -> None:
        _add(self, key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]
        self.__dict__.pop(key, None)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        _set_all(self, ())

    def pop(self, key: str) -> Module:
        v = self[key]
        del self[key]
        return v

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules) -> None:
        if isinstance(modules, (Mapping, ModuleDict)):
            for key, module in modules.items():
                self[key] = module
            return
        for j, pair in enumerate(modules):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(
                    f"ModuleDict.update: element #{j} should be a (key, module) pair, got {pair!r}"
                )
            self[pair[0]] = pair[1]


# ------------------------------------------------------------- ParameterList (issue 12, part 5)
class ParameterList(Module):
    """Holds parameters in a list, registered as ``"0"``, ``"1"``, ... so that ``parameters()``,
    ``state_dict()`` and optimizers see them. A plain tensor is wrapped in a
    [`Parameter`][flowkit.nn.Parameter].

    Examples:
        >>> import flowkit as flow
        >>> pl = flow.nn.ParameterList([flow.nn.Parameter(flow.zeros(2)), flow.ones(3)])
        >>> len(pl), [tuple(p.shape) for p in pl.parameters()]
        (2, [(2,), (3,)])
        >>> list(pl.state_dict())
        ['0', '1']
    """

    def __init__(self, values: Iterable[Any] | None = None):
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    @staticmethod
    def _as_parameter(value):
        from ...tensor import Tensor
        from ..parameter import Parameter

        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            return Parameter(value)
        return value

    def _key(self, idx: int) -> str:
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for a ParameterList of length {n}")
        return str(idx % n)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(len(self))[idx]])
        return getattr(self, self._key(operator.index(idx)))

    def __setitem__(self, idx: int, param) -> None:
        key = self._key(operator.index(idx))
        setattr(self, key, self._as_parameter(param))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, parameters: Iterable[Any]) -> ParameterList:
        return self.extend(parameters)

    def append(self, value) -> ParameterList:
        key = str(len(self))
        self._size += 1
        setattr(self, key, self._as_parameter(value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise TypeError(
                f"ParameterList.extend should be called with an iterable, but got "
                f"{type(values).__name__}"
            )
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        lines = []
        for i, p in enumerate(self):
            if hasattr(p, "shape") and hasattr(p, "dtype"):
                size = "x".join(str(s) for s in p.shape)
                lines.append(f"({i}): Parameter containing: [{p.dtype} of size {size}]")
            else:
                lines.append(f"({i}): Object of type: {type(p).__name__}")
        return "\n".join(lines)

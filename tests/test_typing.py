"""Type checking: mypy finds no error in flowkit and its backends, and a user program that calls
every public tensor method (with the argument types its declaration names) type-checks, so IDE
completion and ``help()`` see the same contract the backends implement."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import flowkit as flow

pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # any pytest import mode
from test_api_docs import tensor_members  # noqa: E402

mypy_api = pytest.importorskip(
    "mypy.api", reason='mypy is part of flowkit\'s test extra: pip install -e ".[test]"'
)


def _mypy(*args: str, cwd: Path = ROOT) -> tuple[str, int]:
    env = dict(os.environ, MYPYPATH=f"{ROOT}{os.pathsep}{ROOT / 'backends'}")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return proc.stdout + proc.stderr, proc.returncode


def test_mypy_finds_no_error_in_flowkit_and_its_backends():
    out, rc = _mypy()  # files and options: [tool.mypy] in pyproject.toml
    assert rc == 0, out


# an argument of each type the declarations use, as a user would write it
SAMPLES = {
    "Tensor": "x",
    "Tensor | None": "x",
    "Operand": "2.0",
    "Operand | None": "1.0",
    "Tensor | float | int": "x",
    "int": "0",
    "int | None": "0",
    "Dims": "0",
    "bool": "True",
    "bool | None": "True",
    "DTypeLike": "flow.float32",
    "DeviceLike": '"cpu"',
    "float | str": "2.0",
    "float | None": "1.0",
    "Tensor | Number": "1.0",
    "Number | Tensor": "1.0",
    "Number | None": "1.0",
    "int | Tensor | None": "0",
    "Sequence[int]": "(2,)",
    "int | Sequence[int]": "2",
    "int | Sequence[int] | None": "0",
    "builtins.int": "0",
    "builtins.int | str | None": "0",
    "builtins.bool": "False",
    "builtins.bool | None": "None",
    "Sequence[builtins.int]": "(2,)",
    "Number": "1.0",
    "object": "x",
    "Any": "0",
    "str": '""',
    "Callable[[Tensor], None]": "lambda t: None",
    "Callable[[Tensor], Tensor | None]": "lambda t: None",
    "Tensor | Number | None": "1.0",
    "float": "1.0",
    "int | Tensor": "2",
    "str | None": "None",
}


def _call(name: str) -> str:
    """A call of ``x.name`` with every declared parameter given, positional ones by position
    and the others by keyword (so a keyword the declaration lacks would be an error)."""
    attr = inspect.getattr_static(flow.Tensor, name)
    if isinstance(attr, property):
        return f"x.{name}"
    sig = inspect.signature(attr)
    args = []
    for p in list(sig.parameters.values())[1:]:
        ann = p.annotation if isinstance(p.annotation, str) else p.annotation.__name__
        if ann not in SAMPLES:
            raise AssertionError(
                f"Tensor.{name}: no sample argument for the annotation {ann!r}; add one to SAMPLES"
            )
        value = SAMPLES[ann]
        if p.kind is p.VAR_POSITIONAL:
            args.append(value)
        elif p.kind is p.VAR_KEYWORD:
            continue
        elif p.default is p.empty and p.kind is not p.KEYWORD_ONLY:
            args.append(value)
        elif name != "to" or p.name != "copy":
            args.append(f"{p.name}={value}")
    return f"x.{name}({', '.join(args)})"


def test_a_program_calling_every_tensor_method_type_checks(tmp_path):
    calls = "\n".join(_call(n) for n in tensor_members())
    program = (
        textwrap.dedent("""
        from __future__ import annotations

        import flowkit as flow

        x: flow.Tensor = flow.ones(2, 3, requires_grad=True)
        y: flow.Tensor = (x * 2 + 1).exp().sum(dim=1).mean()
        y.backward()
        g: flow.Tensor | None = x.grad
        n: int = x.ndim + x.numel() + len(x)
        s: flow.Size = x.shape
        f: float = float(x.sum().item())
        """)
        + calls
        + "\n"
    )
    path = tmp_path / "user_program.py"
    path.write_text(program)
    # errors inside flowkit are the other test's business; a user sees only their own
    out, rc = _mypy("--no-incremental", "--follow-imports=silent", str(path), cwd=tmp_path)
    assert rc == 0, out + "\n--- the program:\n" + program
    assert len(calls.splitlines()) == len(tensor_members()) > 170

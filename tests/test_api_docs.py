"""The API reference is complete: every public class and function has a docstring with a runnable
``Examples:`` section, and the API reference renders it exactly once: docs/<lang>/api/, one page
per area (AREAS below) and an overview, index.md; en and zh have the same pages and directives.

The public API is what users reach from the modules below: ``__all__`` where a module has one,
else its names without a leading underscore. Submodules, dtype/device instances and other
non-callables (``__future__`` features, constants) are not APIs here. An object exported under
several names (``flowkit.mm`` is ``flowkit.matmul``) is one API, documented once.

The examples themselves are run by the root conftest.py (every ``>>>`` in flowkit is a doctest),
and tests/test_docs.py builds the site; this file checks that nothing is left out.

The section is spelled ``Examples:``: that is the Google-style section griffe (mkdocstrings)
renders as code. A singular ``Example:`` is read as an admonition whose body is Markdown, so the
``>>>`` lines would show as nested block quotes.
"""

from __future__ import annotations

import importlib
import inspect
import re
import types
from pathlib import Path

import pytest
import yaml

import flowkit as flow

pytestmark = pytest.mark.once  # static checks: the same on every backend

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "zh")
API_DIRS = {lang: ROOT / "docs" / lang / "api" for lang in LANGS}
# the area pages of the API reference (docs/<lang>/api/<area>.md), besides the overview index.md
AREAS = [
    "tensor",
    "creation",
    "autograd",
    "nn",
    "functional",
    "optim",
    "data",
    "serialization",
    "distributed",
    "backends",
]


def api_pages(lang: str) -> list[Path]:
    """Every page of ``lang``'s API reference: docs/<lang>/api/**/*.md, sorted."""
    return sorted(API_DIRS[lang].rglob("*.md"))


def _rel(page: Path) -> str:
    """``en/api/tensor.md``: the page's path below docs/."""
    for lang, folder in API_DIRS.items():
        if folder in page.parents:
            return f"{lang}/api/{page.relative_to(folder).as_posix()}"
    raise ValueError(page)


MODULES = [
    "flowkit",
    "flowkit.nn",
    "flowkit.nn.functional",
    "flowkit.nn.init",
    "flowkit.nn.utils",
    "flowkit.nn.utils.rnn",
    "flowkit.optim",
    "flowkit.optim.lr_scheduler",
    "flowkit.utils.data",
    "flowkit.autograd",
    "flowkit.linalg",
    "flowkit.datasets",
]

# Public names that no ``:::`` directive can reach, with the reason; the page must still name them.
# ``flowkit.backend()`` shares its dotted path with the submodule flowkit/backend.py, and
# mkdocstrings (griffe) resolves ``flowkit.backend`` to the module.
UNRENDERABLE = {"flowkit.backend": "flowkit.backend()"}


# --------------------------------------------------------------------------- the public API
def _public_names(mod: types.ModuleType) -> list[str]:
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n in vars(mod) if not n.startswith("_")]
    return list(names)


def _is_api(obj) -> bool:
    if isinstance(obj, (types.ModuleType, flow.dtype, flow.device)):
        return False
    return inspect.isclass(obj) or inspect.isroutine(obj)


def public_api() -> dict[str, object]:
    """``{first public name: object}``, one entry per object."""
    found: dict[int, tuple[str, object]] = {}
    for modname in MODULES:
        mod = importlib.import_module(modname)
        for name in _public_names(mod):
            obj = getattr(mod, name)
            if _is_api(obj):
                found.setdefault(id(obj), (f"{modname}.{name}", obj))
    return dict(found.values())


API = public_api()


def test_the_api_is_found():
    # a guard against a walk that silently finds nothing
    assert len(API) > 150
    for name in (
        "flowkit.Tensor",
        "flowkit.add",
        "flowkit.nn.Linear",
        "flowkit.optim.SGD",
        "flowkit.nn.functional.relu",
        "flowkit.utils.data.DataLoader",
    ):
        assert name in API
    assert "flowkit.float32" not in API and "flowkit.nn.functional" not in API


# --------------------------------------------------------------------------- docstrings
def _example_lines(doc: str) -> list[str]:
    """The ``>>>`` lines of the docstring's Google-style ``Examples:`` section."""
    lines = inspect.cleandoc(doc).splitlines()
    for i, line in enumerate(lines):
        if re.fullmatch(r"Examples:\s*", line):
            body = []
            for item in lines[i + 1 :]:
                if item.strip() and not item[0].isspace():
                    break  # the next section
                body.append(item.strip())
            return [b for b in body if b.startswith(">>> ")]
    return []


@pytest.mark.parametrize("name", sorted(API))
def test_docstring_has_an_example(name):
    obj = API[name]
    doc = obj.__doc__  # its own: inspect.getdoc would fall back to a base class's docstring
    assert doc and doc.strip(), f"{name} has no docstring"
    assert _example_lines(doc), (
        f"{name}: the docstring has no 'Examples:' section with a '>>>' line; add a short "
        "runnable one (it is run as a doctest on every backend; a singular 'Example:' is not a "
        "section for mkdocstrings and renders as block quotes)"
    )


# --------------------------------------------------------------------------- Tensor's methods
_OPERATORS = {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"}  # (object has them too)
_PLUMBING = (set(dir(object)) - _OPERATORS) | {
    "__weakref__",
    "__slots__",
    "__module__",
    "__annotations__",
    "__dict__",
    "__static_attributes__",
    "__firstlineno__",
    "__array_priority__",
}


def tensor_members() -> list[str]:
    """Every public method and property of flowkit.Tensor, operators included: what the API
    reference must list, each once."""
    return sorted(
        n
        for n in dir(flow.Tensor)
        if (not n.startswith("_") or n.startswith("__")) and n not in _PLUMBING
    )


@pytest.mark.parametrize("name", tensor_members())
def test_every_tensor_method_has_an_example(name):
    attr = inspect.getattr_static(flow.Tensor, name)
    doc = (attr.fget if isinstance(attr, property) else attr).__doc__
    assert doc and _example_lines(doc), (
        f"Tensor.{name}: its declaration (flowkit/ops/<family>.py or flowkit/tensor.py) needs a "
        "docstring with an 'Examples:' section; the API reference shows it"
    )


# --------------------------------------------------------------------------- the API page
def _directives(page: Path) -> list[tuple[str, dict]]:
    """``[(dotted path, options)]`` of the page's ``::: path`` directives."""
    out = []
    lines = page.read_text("utf-8").splitlines()
    for i, line in enumerate(lines):
        m = re.fullmatch(r":::\s+([\w.]+)\s*", line)
        if not m:
            continue
        block = []
        for item in lines[i + 1 :]:
            if item.strip() and not item[0].isspace():
                break
            block.append(item)
        config = yaml.safe_load("\n".join(block)) if "".join(block).strip() else None
        out.append((m.group(1), (config or {}).get("options", {}) or {}))
    return out


def _all_directives(lang: str) -> list[tuple[str, str, dict]]:
    """``[(page, dotted path, options)]`` of every directive on ``lang``'s API pages."""
    return [
        (_rel(page), path, opts) for page in api_pages(lang) for path, opts in _directives(page)
    ]


def _resolve(path: str):
    """The object at ``path``, resolved as mkdocstrings (griffe) does: a submodule wins over an
    attribute of the same name (``flowkit.backend`` is the module, not the function)."""
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError:
        pass
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise LookupError(path)


def _covered(obj, options: dict) -> list:
    """What a directive renders at the top level: the object, and for a module its members
    (``options.members``, else ``__all__``, else the public names defined in it) less those
    its ``filters`` leave out."""
    if not isinstance(obj, types.ModuleType):
        return [obj]
    members = options.get("members")
    if members is False:
        return [obj]
    if not isinstance(members, list):
        members = getattr(obj, "__all__", None)
    if members is None:
        members = [
            n
            for n, v in vars(obj).items()
            if not n.startswith("_") and getattr(v, "__module__", None) == obj.__name__
        ]
    # ``filters`` as mkdocstrings applies them to member names ("!^re$" leaves a name out)
    excluded = [re.compile(f[1:]) for f in options.get("filters", []) if f.startswith("!")]
    members = [n for n in members if not any(r.search(n) for r in excluded)]
    return [obj] + [getattr(obj, n) for n in members]


@pytest.mark.parametrize("lang", LANGS)
def test_each_area_has_its_page(lang):
    pages = {_rel(p).split("/", 2)[2] for p in api_pages(lang)}
    expected = {"index.md"} | {f"{area}.md" for area in AREAS}
    assert pages == expected, (
        f"docs/{lang}/api/: missing {sorted(expected - pages)}, "
        f"unexpected {sorted(pages - expected)}"
    )
    for area in AREAS:
        page = API_DIRS[lang] / f"{area}.md"
        assert _directives(page), f"{_rel(page)} has no ::: directives"
        index = (API_DIRS[lang] / "index.md").read_text("utf-8")
        assert f"]({area}.md)" in index, f"docs/{lang}/api/index.md does not link {area}.md"


@pytest.mark.parametrize("lang", LANGS)
def test_every_directive_resolves(lang):
    directives = _all_directives(lang)
    assert directives, f"docs/{lang}/api/ has no ::: directives"
    for page, path, options in directives:
        obj = _resolve(path)
        for member in options.get("members") or []:
            assert hasattr(obj, member), f"{page}: ::: {path} lists unknown member {member}"
    where: dict[str, list[str]] = {}
    for page, path, _ in directives:
        where.setdefault(path, []).append(page)
    twice = {path: pages for path, pages in where.items() if len(pages) > 1}
    assert not twice, f"docs/{lang}/api/ renders something twice: {twice}"


def test_both_languages_have_the_same_pages_and_directives():
    # zh adds `skip_local_inventory: true` to each: the objects are registered for
    # cross-references once, on the English pages (two pages registering the same identifiers
    # make every link to them ambiguous, a warning that fails `mkdocs build --strict`)
    en_pages = [p.relative_to(API_DIRS["en"]).as_posix() for p in api_pages("en")]
    zh_pages = [p.relative_to(API_DIRS["zh"]).as_posix() for p in api_pages("zh")]
    assert en_pages == zh_pages, "docs/en/api/ and docs/zh/api/ must have the same page files"
    for name in en_pages:
        en = _directives(API_DIRS["en"] / name)
        zh = _directives(API_DIRS["zh"] / name)
        assert all(not opts.get("skip_local_inventory") for _, opts in en), name
        for path, opts in zh:
            assert opts.get("skip_local_inventory") is True, (
                f"docs/zh/api/{name}: ::: {path} needs the option skip_local_inventory: true"
            )
        zh = [(p, {k: v for k, v in o.items() if k != "skip_local_inventory"}) for p, o in zh]
        assert en == zh, (
            f"docs/zh/api/{name} must carry the same ::: directives (and options) as "
            f"docs/en/api/{name}"
        )


def _rendered_on() -> dict[int, list[str]]:
    """``{id(object): [page/::: path, ...]}``: where the English pages render each object (an
    alias in a module's ``__all__``, ``mm = matmul``, is rendered once, under its first name)."""
    out: dict[int, list[str]] = {}
    for page, path, options in _all_directives("en"):
        for key in {id(obj) for obj in _covered(_resolve(path), options)}:
            out.setdefault(key, []).append(f"{page}: ::: {path}")
    return out


def test_every_api_is_in_the_reference():
    rendered = _rendered_on()
    text = "\n".join(page.read_text("utf-8") for page in api_pages("en"))
    missing = []
    for name, obj in sorted(API.items()):
        if name in UNRENDERABLE:
            if UNRENDERABLE[name] not in text:
                missing.append(f"{name} (not renderable: name {UNRENDERABLE[name]} in the text)")
        elif id(obj) not in rendered:
            missing.append(name)
    assert not missing, "not in docs/en/api/ (add a ::: directive): " + ", ".join(missing)


def test_every_api_is_rendered_once():
    rendered = _rendered_on()
    twice = {
        name: rendered[id(obj)]
        for name, obj in sorted(API.items())
        if len(rendered.get(id(obj), [])) > 1
    }
    assert not twice, f"rendered more than once across docs/en/api/: {twice}"

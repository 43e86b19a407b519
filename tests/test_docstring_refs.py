"""Docstrings cross-reference in Markdown, the syntax mkdocstrings renders as links.

The API reference (docs/*/api/*.md) is rendered by mkdocstrings-python, which reads docstrings as
Markdown: a reStructuredText role such as ``:class:`~flowkit.Size``` shows up on the page as raw
text. A reference is written the mkdocs-autorefs way instead::

    [`Size`][flowkit.Size]            (a link; the text is what the reader sees)
    `_run`                            (plain code, for something the reference does not render)

The target is the full dotted path under which the API reference renders the object (its ``:::``
directive's path, or that path plus the member name), e.g. ``flowkit.manual_seed`` rather than
``flowkit.random.manual_seed``. A target that is not rendered anywhere fails ``mkdocs build
--strict`` when the docstring is on the page, and is a dead reference when it is not, so the
build test below checks every target in flowkit's docstrings against the built API pages (one
per area; a link from one page to another resolves through mkdocs-autorefs).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.once  # static checks and the docs build: the same on every backend

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "flowkit"

# Sphinx roles (``:py:class:`` spelled out too), opening their backquoted target
SPHINX_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj):`")
# a Markdown cross-reference: [title][flowkit.dotted.path]
CROSS_REF = re.compile(r"\]\[(flowkit(?:\.\w+)*)\]")


def _docstrings(path: Path) -> list[tuple[int, str]]:
    """``[(line, text)]`` of every docstring in the file: the module's, each class's and
    function's, and the bare string statements that document attributes."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for stmt in body:
            if (
                isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
            ):
                found.append((stmt.lineno, stmt.value.value))
    return found


def _all_docstrings() -> list[tuple[str, int, str]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        out.extend((rel, line, text) for line, text in _docstrings(path))
    return out


def test_the_docstrings_are_found():
    # a guard against a walk that silently finds nothing
    docs = _all_docstrings()
    assert len(docs) > 500
    assert any(f == "flowkit/random.py" and "manual_seed" in t for f, _, t in docs)


def test_no_sphinx_roles_in_docstrings():
    bad = []
    for rel, line, text in _all_docstrings():
        for i, row in enumerate(text.splitlines()):
            m = SPHINX_ROLE.search(row)
            if m:
                bad.append(f"{rel}:{line + i}: {row.strip()}")
    assert not bad, (
        "reStructuredText roles in docstrings (mkdocstrings shows them as raw text); write "
        "[`name`][flowkit.full.path] for an object the API reference renders, else `name`:\n"
        + "\n".join(bad)
    )


def test_the_role_pattern():
    assert SPHINX_ROLE.search("see :class:`~flowkit.Size`")
    assert SPHINX_ROLE.search(":py:func:`flowkit.manual_seed`")
    assert SPHINX_ROLE.search("the :exc:`ValueError`")
    assert not SPHINX_ROLE.search("see [`Size`][flowkit.Size] and ``x: int``")
    assert CROSS_REF.findall("[`Size`][flowkit.Size], [`a`][flowkit.Tensor.add_]") == [
        "flowkit.Size",
        "flowkit.Tensor.add_",
    ]


# --------------------------------------------------------------------------- the built site
@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built once for this module (a few seconds)."""
    pytest.importorskip("mkdocs")
    out = tmp_path_factory.mktemp("docstring-refs") / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _api_pages(site: Path, lang: str) -> list[Path]:
    """The built API reference pages of ``lang`` (the overview and one page per area): English
    under /en/api/ or, for a site whose default language is at the root, /api/; Chinese under
    /zh/api/."""
    for folder in (site / lang / "api", site / "api"):
        if (folder / "index.html").exists():
            pages = sorted(folder.rglob("index.html"))
            assert (folder / "tensor" / "index.html") in pages, f"no {lang} API page for tensors"
            return pages
    raise AssertionError(f"no API reference pages for {lang!r} in the built site")


def _rendered(site: Path) -> set[str]:
    """The identifiers the API reference renders: the ``id`` of each object's heading on the
    English pages (the anchors cross-references resolve to; an alias such as
    ``flowkit.random.manual_seed`` has none of its own)."""
    return {
        ident
        for page in _api_pages(site, "en")
        for ident in re.findall(r'\sid="(flowkit(?:\.\w+)*)"', page.read_text("utf-8"))
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_api_pages_show_links_not_roles(site, lang):
    links = set()
    for page in _api_pages(site, lang):
        html = page.read_text("utf-8")
        name = page.parent.relative_to(site).as_posix()
        for role in ("class", "func", "meth", "mod", "attr", "data", "exc", "obj"):
            assert f":{role}:" not in html, f"{name} shows a raw :{role}: role"
        assert "][flowkit." not in html, f"{name} shows an unresolved Markdown cross-reference"
        links |= {
            href.rpartition("#")[2]
            for tag in re.findall(r"<a\s[^>]*>", html)
            if "autorefs" in tag
            for href in re.findall(r'href="([^"]*)"', tag)
        }
    for target in (
        "flowkit.Size",
        "flowkit.manual_seed",
        "flowkit.Tensor.clamp",
        "flowkit.errors.BackendNotImplementedError",
        "flowkit.utils.data.DataLoader",
    ):
        assert target in links, f"the {lang} API pages have no cross-reference link to {target}"


def test_every_docstring_reference_is_rendered(site):
    rendered = _rendered(site)
    assert {"flowkit.manual_seed", "flowkit.Tensor", "flowkit.Tensor.add"} <= rendered
    assert "flowkit.random.manual_seed" not in rendered  # an alias, not a rendered path
    bad = [
        f"{rel}:{line + i}: [{target}]"
        for rel, line, text in _all_docstrings()
        for i, row in enumerate(text.splitlines())
        for target in CROSS_REF.findall(row)
        if target not in rendered
    ]
    assert not bad, (
        "cross-reference targets that no API page renders under that path (link "
        "to the path its ::: directive renders, e.g. flowkit.manual_seed, not "
        "flowkit.random.manual_seed; or write plain `name`):\n" + "\n".join(bad)
    )

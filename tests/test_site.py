"""The built site (mkdocs.yml, docs/_hooks/site.py, docs/_overrides): two languages with their own
chrome, nav, search and a switch to the same page; labelled outputs; downloads of every course
page as a program and a notebook (the notebooks run); repository, edit and version links; no
Google Fonts.

The site is built once per session (~15 s); the notebook tests call the hook's generator
directly and run on this process's backend (FLOWKIT_BACKEND).
"""

from __future__ import annotations

import importlib.util
import json
import os
import posixpath
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flowkit.testing import docs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
REPO = "https://github.com/flowkit-dev/flowkit"


def _hook():
    spec = importlib.util.spec_from_file_location("flowkit_site_hook", DOCS / "_hooks" / "site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = _hook()


def _pages(lang: str) -> list[str]:
    """The pages of ``lang`` as paths below docs/<lang>/ without ``.md``: ``quickstart``, and in
    a folder ``api/index`` (the API reference's overview), ``api/tensor``."""
    return sorted(
        p.relative_to(DOCS / lang).with_suffix("").as_posix() for p in (DOCS / lang).rglob("*.md")
    )


def _url(stem: str) -> str:
    """A page's location below its language's root: ``""`` for the home, ``quickstart/``,
    ``api/`` for api/index.md, ``api/tensor/``."""
    if stem == "index":
        return ""
    return (stem.removesuffix("/index") if stem.endswith("/index") else stem) + "/"


def _course_pages() -> list[Path]:
    return docs.pages()


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _html_path(site: Path, lang: str, stem: str) -> Path:
    """Where a page lands: English at the root, Chinese under /zh/; index.md is the home."""
    base = site if lang == "en" else site / lang
    return base / _url(stem) / "index.html"


def _read(site: Path, lang: str, stem: str) -> str:
    return _html_path(site, lang, stem).read_text("utf-8")


ALL = [(lang, stem) for lang in ("en", "zh") for stem in _pages(lang)]


# --------------------------------------------------------------------------- two languages
@pytest.mark.once
@pytest.mark.parametrize("lang,stem", ALL)
def test_each_page_has_its_language_and_a_switch_to_the_same_page(site, lang, stem):
    html = _read(site, lang, stem)
    assert f'<html lang="{lang}"' in html
    other = "zh" if lang == "en" else "en"
    here = _html_path(site, lang, stem).parent

    def lands(href: str) -> Path:
        return Path(posixpath.normpath(posixpath.join(here.as_posix(), href)))

    # the language menu in the header goes to the same page in each language (no script needed)
    menu = dict(
        (hreflang, href)
        for href, hreflang in re.findall(r'<a href="([^"]*)" hreflang="([a-z]+)"', html)
    )
    assert set(menu) == {"en", "zh"}, menu
    for target_lang in (lang, other):
        assert lands(menu[target_lang]) / "index.html" == _html_path(site, target_lang, stem), (
            f"{lang}/{stem}: the {target_lang} menu link {menu[target_lang]} goes elsewhere"
        )
    # the head's alternates name each language's root, where Material's script finds the
    # sitemap it maps pages with (a per-page alternate makes it fetch <page>/sitemap.xml: 404)
    heads = dict(
        (hreflang, href)
        for href, hreflang in re.findall(
            r'<link rel="alternate" href="([^"]*)" hreflang="([a-z]+)">', html
        )
    )
    assert set(heads) == {"en", "zh"}, heads
    for target_lang in (lang, other):
        root = lands(heads[target_lang])
        assert root == (site if target_lang == "en" else site / target_lang), (lang, stem, root)
        assert (root / "sitemap.xml").exists()


@pytest.mark.once
def test_chinese_pages_have_chinese_chrome_and_their_own_nav(site):
    zh, en = _read(site, "zh", "autograd"), _read(site, "en", "autograd")
    for chrome in ('aria-label="搜索"', 'placeholder="搜索"', "目录", "下一页"):
        assert chrome in zh, chrome
    for chrome in ('aria-label="Search"', 'placeholder="Search"', "Table of contents"):
        assert chrome in en and chrome not in zh, chrome
    # one nav per language, with translated titles (12 pages and the home)
    nav = lambda html: html.split('class="md-nav md-nav--primary"', 1)[1].split("</nav>", 1)[0]  # noqa: E731
    assert "快速上手" in nav(zh) and "Quick start" not in nav(zh)
    assert "Quick start" in nav(en) and "快速上手" not in nav(en)
    for html in (nav(zh), nav(en)):
        assert "zh/" not in re.findall(r'href="([^"]*)"', html)[0]


# --------------------------------------------------------------------------- search
def _index(site: Path, lang: str) -> dict:
    path = site / "search" if lang == "en" else site / lang / "search"
    return json.loads((path / "search_index.json").read_text("utf-8"))


def _segment(query: str, terms: set[str]) -> set[str]:
    """Material's search worker segments Chinese queries greedily on the index's own terms
    (integrations/search/query/segment); a port of it."""
    n = len(query)
    cuts = [0] * n
    for i in range(n):
        for j in range(i + 1, n):
            if query[i:j] in terms:
                cuts[i] = j - i
    segments: set[str] = set()
    stack = [0]
    while stack:
        p = stack.pop()
        for q in range(1, cuts[p]):
            if cuts[p + q] > cuts[p] - q:
                segments.add(query[p : p + q])
                stack.append(p + q)
        q = p + cuts[p]
        if q < n and cuts[q] and q < n - 1:
            stack.append(q)
        segments.add(query[p:q])
    return {query} if "" in segments else segments


def _search(index: dict, query: str) -> set[str]:
    """The pages (locations without the anchor) Material's search returns for ``query``: every
    term a prefix query (Material adds ``*``) over tokens split by the index's separator."""
    sep = re.compile(index["config"]["separator"])
    pages: dict[str, set[str]] = {}
    for doc in index["docs"]:
        tokens = pages.setdefault(doc["location"].split("#")[0], set())
        tokens.update(t.lower() for t in sep.split(doc["title"] + " " + doc["text"]) if t)
    terms = set().union(*pages.values())
    clauses = set()
    for part in query.split():
        clauses |= _segment(part, terms) if re.search(r"[\u4e00-\u9fff]", part) else {part}
    return {
        page
        for page, tokens in pages.items()
        if any(t.startswith(c.lower()) for c in clauses for t in tokens)
    }


@pytest.mark.once
def test_each_language_has_its_own_search_index(site):
    en, zh = _index(site, "en"), _index(site, "zh")
    assert en["config"]["lang"] == ["en"] and zh["config"]["lang"] == ["zh"]
    han = re.compile(r"[\u4e00-\u9fff]")
    assert not any(han.search(d["title"] + d["text"]) for d in en["docs"])
    en_pages = {d["location"].split("#")[0] for d in en["docs"]}
    zh_pages = {d["location"].split("#")[0] for d in zh["docs"]}
    expected = {_url(s) for s in _pages("en")}
    assert en_pages == expected and zh_pages == expected
    # every Chinese page is in the Chinese index (its title is Chinese)
    zh_titles = {d["location"]: d["title"] for d in zh["docs"]}
    assert han.search(zh_titles["quickstart/"]) and han.search(zh_titles["tensors/"])
    # English queries return English pages only
    assert _search(en, "optimizer") and not any(
        p.startswith("zh/") for p in _search(en, "optimizer")
    )


@pytest.mark.once
@pytest.mark.parametrize("query", ["优化器", "自动求导", "张量"])
def test_chinese_search_finds_every_page_that_contains_the_query(site, query):
    zh = _index(site, "zh")
    containing = {
        d["location"].split("#")[0]
        for d in zh["docs"]
        if query in (d["title"] + d["text"]).replace("\u200b", "")
    }
    # as many pages as the Chinese sources that say it in their prose (at least)
    sources = [p for p in (DOCS / "zh").rglob("*.md") if query in p.read_text("utf-8")]
    assert len(containing) >= len(sources) - 1 >= 5, (containing, sources)
    found = _search(zh, query)
    assert containing <= found, f"{query}: not found on {sorted(containing - found)}"


# --------------------------------------------------------------------------- pages
@pytest.mark.once
@pytest.mark.parametrize("path", _course_pages(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_outputs_are_labelled_and_downloads_are_there(site, path):
    from sybil import Document

    lang, stem = path.parent.name, path.stem
    html = _read(site, lang, stem)
    steps, _ = docs.parse_steps(Document(path.read_text("utf-8"), str(path)))
    label = {"en": "Output", "zh": "输出"}[lang]
    outputs = sum(1 for s in steps if s.expected is not None)
    assert html.count(f'fk-output no-copy highlight"><span class="filename">{label}</span>') == (
        outputs
    )
    download = hook.download_stem(f"{lang}/{path.name}")
    folder = _html_path(site, lang, stem).parent
    assert f'href="{download}.py" download' in html and f'href="{download}.ipynb" download' in html
    compile((folder / f"{download}.py").read_text("utf-8"), f"{download}.py", "exec")
    import nbformat

    nb = nbformat.read(str(folder / f"{download}.ipynb"), as_version=4)
    nbformat.validate(nb)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code_cells) == sum(1 for s in steps if not s.nproc)


@pytest.mark.once
def test_repository_edit_links_version_and_no_google_fonts(site):
    from flowkit._version import __version__

    for lang, stem in ALL:
        html = _read(site, lang, stem)
        assert f'href="{REPO}"' in html
        assert f'href="{REPO}/edit/main/docs/{lang}/{stem}.md"' in html
        assert f'fk-version">{__version__}<' in html
    for path in site.rglob("*"):
        if path.suffix in (".html", ".css", ".js"):
            assert "fonts.googleapis.com" not in path.read_text("utf-8", "replace"), path


@pytest.mark.once
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_home_page_links_every_part(site, lang):
    html = _read(site, lang, "index")
    text = re.sub(r"<[^>]+>", "", html)
    assert "flowkit examples" in text and "flowkit test" in text and "pip install" in text
    for stem in _pages(lang):
        # every page, or for a folder of pages (the API reference) its index, which links the rest
        if stem != "index" and (stem.count("/") == 0 or stem.endswith("/index")):
            assert f'href="{_url(stem)}"' in html, f"{lang} home does not link {_url(stem)}"


# --------------------------------------------------------------------------- notebooks
# Every course page (one with python blocks) in English, and one Chinese page: the Chinese pages'
# code is the English pages' (tests/test_docs.py checks), only the prose differs.
NOTEBOOK_PAGES = [
    *sorted(
        p.relative_to(DOCS).as_posix()
        for p in (DOCS / "en").glob("*.md")
        if "```python" in p.read_text("utf-8")
    ),
    "zh/tensors.md",
]


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_a_course_notebook_runs_top_to_bottom_and_prints_what_the_page_shows(page, tmp_path):
    """The page's notebook, executed by a Jupyter kernel (nbclient) that inherits this process's
    FLOWKIT_BACKEND, prints what the page's outputs show (under the page's output rules)."""
    pytest.importorskip("ipykernel")
    nbclient = pytest.importorskip("nbclient")
    import flowkit as flow

    markdown = (DOCS / page).read_text("utf-8")
    nb = hook.notebook(markdown, page)
    env = {**os.environ, "FLOWKIT_BACKEND": flow.backend().name}
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    old = dict(os.environ)
    os.environ.update(env)  # the kernel is started with this environment
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    steps = {s.index: s for s in hook.steps_of(markdown, page)}
    checked = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        step = steps[cell.metadata["flowkit"]["block"]]
        if step.requires or step.expected is None:
            continue
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        problem = docs.compare(step.expected, printed, step.rules)
        assert problem is None, f"{page} block {step.index + 1} (line {step.line}): {problem}"
        checked += 1
    assert checked >= 1


def test_a_course_program_runs_and_prints_what_the_page_shows(tmp_path):
    """The .py download of the overview runs as a program and prints the page's output."""
    import flowkit as flow

    markdown = (DOCS / "en" / "index.md").read_text("utf-8")
    script = tmp_path / "overview.py"
    script.write_text(hook.program(markdown, "en/index.md"), "utf-8")
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "FLOWKIT_BACKEND": flow.backend().name},
    )
    assert proc.returncode == 0, proc.stderr
    expected = "".join(s.expected for s in hook.steps_of(markdown, "en/index.md") if s.expected)
    assert docs.compare(expected, proc.stdout, docs.OutputRules()) is None


def test_blocks_that_raise_or_need_a_backend_or_processes_become_safe_code():
    page = (
        "# T\n\n<!-- run: raises=ValueError -->\n```python\nraise ValueError('no')\n```\n\n"
        "```text\nValueError: no\n```\n\n<!-- run: requires=cuda -->\n```python\nx = 1\n```\n\n"
        "<!-- run: nproc=2 -->\n```python\nimport flowkit\n```\n\nThe end.\n"
    )
    nb = hook.notebook(page, "en/t.md")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 2 and code[0].metadata["tags"] == ["raises-exception"]
    assert "except Exception" in code[0].source and "cuda.is_available()" in code[1].source
    launch = "python -m flowkit.distributed.launch --nproc_per_node 2 t_block3.py"
    assert any(launch in c.source for c in nb.cells if c.cell_type == "markdown")
    assert "<!-- run" not in "".join(c.source for c in nb.cells)
    program = hook.program(page, "en/t.md")
    compile(program, "t.py", "exec")
    assert f"#     {launch}" in program and "# import flowkit" in program
    labelled = hook.label_outputs(page, "zh")
    assert '``` { .text .fk-output .no-copy title="输出" }' in labelled

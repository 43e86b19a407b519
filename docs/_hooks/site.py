"""The site's build-time machinery (an mkdocs hook; mkdocs.yml ``hooks:``). The pages' markdown
files stay as they are; everything here happens while the site is built.

* **Output labels.** The ```` ```text ```` fence right after a code block is that block's output
  (the pairing is flowkit.testing.docs.parse_steps', the same the test runner uses): it gets the
  title "Output" / "输出", the class ``fk-output`` (styled as output by docs/assets/site.css) and
  ``no-copy`` (Material's copy button copies code only).
* **Downloads.** Every course page (a page with python blocks) is also written, next to its HTML,
  as a program (``<page>.py``: the blocks in order, each output as comments) and a notebook
  (``<page>.ipynb``: the prose as markdown cells, the blocks as code cells with their outputs);
  the page links both at its top. A block that must raise is wrapped so the program goes on; a
  block for one backend or for CUDA runs under an ``if``; a multi-process block
  (``<!-- run: nproc=N -->``) is a program of its own: it is shown with the command that launches
  it, not run. :func:`program` and :func:`notebook` are what tests/test_site.py calls.
* **Landing page.** Each language's home (``index.md``, the course overview) opens with
  docs/_landing/<lang>.md: what flowkit is, how to install it, the two commands, and a link to
  every part of the site.
* **Version.** ``extra.flowkit_version`` (from flowkit/_version.py) is shown in the header next to
  the repository link (docs/_overrides/partials/source.html); no mike needed.
* **One search index per language.** mkdocs-static-i18n builds each language in turn and leaves
  one index for all of them at /search/. After the last build this writes /search/ with the
  English pages only and /zh/search/ with the Chinese pages only, each with Material's search
  settings for its language (Chinese: the separator that splits jieba's segmentation, which
  Material's search plugin applies at build time when jieba is installed). Chinese pages load
  /zh/search/ (docs/_overrides/main.html points Material's ``base`` at the language's root).
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

from mkdocs.plugins import event_priority

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
LANGS = ("en", "zh")
DEFAULT_LANG = "en"

TEXT = {
    "en": {
        "output": "Output",
        "download": "Download this page as a program or a notebook:",
        "generated": "Generated from {src} of the flowkit course; every code block of the page, "
        "in order. It runs on the backend named by FLOWKIT_BACKEND (numpy by default).",
        "raises": "this block raises {error} on purpose (the page shows the error)",
        "requires": "this block runs on the {what} only",
        "nproc": "A program of its own, on {n} processes (it does not share the page's "
        "variables): save it as `{file}` and run",
        "output_comment": "Output:",
    },
    "zh": {
        "output": "输出",
        "download": "将本页下载为程序或 notebook：",
        "generated": "由 flowkit 教程的 {src} 生成：页面中的全部代码块，按顺序排列。"
        "它在 FLOWKIT_BACKEND 指定的后端上运行（默认 numpy）。",
        "raises": "这段代码会有意抛出 {error}（页面展示的就是这个错误）",
        "requires": "这段代码只在 {what} 上运行",
        "nproc": "这是一个独立的程序，在 {n} 个进程上运行（不共享页面中的变量）："
        "保存为 `{file}` 后运行",
        "output_comment": "输出：",
    },
}

# Material's search settings per language (its partials/languages/<lang>.html defaults)
SEARCH_CONFIG = {
    "en": {"lang": ["en"], "separator": r"[\s\-]+", "pipeline": ["stopWordFilter"]},
    "zh": {
        "lang": ["zh"],
        "separator": r"[\s\u200b\u3000\-、。，．？！；]+",
        "pipeline": ["stemmer"],
    },
}

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*(\{[^}]*\})?\s*$", re.M)
_DIRECTIVE = re.compile(r"^[ \t]*<!--\s*(run|output|page):.*?-->[ \t]*\n?", re.M | re.S)


def _lang_of(src_uri: str) -> str:
    first = src_uri.split("/", 1)[0]
    return first if first in LANGS else DEFAULT_LANG


def version() -> str:
    text = (ROOT / "flowkit" / "_version.py").read_text("utf-8")
    return re.search(r"__version__\s*=\s*[\"']([^\"']+)", text).group(1)


# --------------------------------------------------------------------------- parsing a page
def steps_of(markdown: str, path: str = "page.md"):
    """The code steps of a page's markdown, as the docs test runner pairs them."""
    from sybil import Document

    from flowkit.testing.docs import parse_steps

    steps, _ = parse_steps(Document(markdown, path))
    return steps


def download_stem(src_uri: str) -> str:
    """``en/autograd.md`` -> ``autograd``; a language's home is its ``overview``."""
    stem = Path(src_uri).stem
    return "overview" if stem == "index" else stem


def _backend_guard(requires: str) -> str:
    if requires == "cuda":
        return '__import__("flowkit").cuda.is_available()'
    return f'__import__("flowkit").backend().name == "{requires}"'


def runnable(step, lang: str = "en") -> str:
    """The code of one step as it runs outside the page's test runner: a block that must raise
    catches and prints its error (as the page shows it); a block for one backend (or CUDA) runs
    under an ``if``. Multi-process blocks are not runnable in a notebook (see :func:`program`)."""
    t = TEXT[lang]
    code = step.source.rstrip("\n") + "\n"
    if step.raises:
        body = textwrap.indent(code, "    ")
        code = (
            f"try:  # {t['raises'].format(error=step.raises)}\n{body}"
            "except Exception as error:\n"
            '    print(f"{type(error).__name__}: {error}")\n'
        )
    if step.requires:
        what = "CUDA" if step.requires == "cuda" else f"{step.requires} backend"
        body = textwrap.indent(code, "    ")
        code = f"if {_backend_guard(step.requires)}:  # {t['requires'].format(what=what)}\n{body}"
    return code


def _nproc_file(stem: str, step) -> str:
    return f"{stem}_block{step.index + 1}.py"


def _launch_command(stem: str, step) -> str:
    return f"python -m flowkit.distributed.launch --nproc_per_node {step.nproc} " + _nproc_file(
        stem, step
    )


def _title(markdown: str, fallback: str) -> str:
    m = re.search(r"^#\s+(.+?)\s*$", markdown, re.M)
    return m.group(1) if m else fallback


# --------------------------------------------------------------------------- .py and .ipynb
def program(markdown: str, src_uri: str) -> str:
    """The page as one Python program: the blocks in order (``# %%`` cells, as Jupyter, VS Code
    and jupytext read them), each output as comments, the headings as comments."""
    lang = _lang_of(src_uri)
    t = TEXT[lang]
    stem = download_stem(src_uri)
    steps = steps_of(markdown, src_uri)
    out = [
        f"# {_title(markdown, stem)}",
        "#",
        *("# " + ln for ln in textwrap.wrap(t["generated"].format(src=f"docs/{src_uri}"), 94)),
        f"#     python {stem}.py",
        f"#     FLOWKIT_BACKEND=torch python {stem}.py",
        "",
    ]
    pos = 0
    for step in steps:
        start, end = step.region
        headings = [m.group(2) for m in _HEADING.finditer(markdown, pos, start)]
        pos = end
        out.append("")
        out.append("# %%" + (f" {headings[-1]}" if headings else ""))
        if step.nproc:
            out.append(f"# {t['nproc'].format(n=step.nproc, file=_nproc_file(stem, step))}")
            out.append(f"#     {_launch_command(stem, step)}")
            out.append("#")
            out += [("# " + ln).rstrip() for ln in step.source.rstrip("\n").split("\n")]
        else:
            out.append(runnable(step, lang).rstrip("\n"))
        if step.expected is not None and step.expected.strip():
            out.append(f"# {t['output_comment']}")
            out += [("#   " + ln).rstrip() for ln in step.expected.rstrip("\n").split("\n")]
    return "\n".join(out).rstrip("\n") + "\n"


def _markdown_cell_text(text: str) -> str:
    text = _DIRECTIVE.sub("", text)
    return text.strip("\n")


def notebook(markdown: str, src_uri: str):
    """The page as a Jupyter notebook (an ``nbformat`` v4 node): the prose as markdown cells,
    each block as a code cell with the page's output as its stored output; it runs top to bottom
    (``jupyter nbconvert --execute``, nbclient) on the backend the kernel's FLOWKIT_BACKEND
    names."""
    import nbformat
    from nbformat import v4

    lang = _lang_of(src_uri)
    t = TEXT[lang]
    stem = download_stem(src_uri)
    steps = steps_of(markdown, src_uri)
    cells = [
        v4.new_markdown_cell(
            f"*{t['generated'].format(src=f'docs/{src_uri}')}*",
        )
    ]
    pos = 0
    for step in steps:
        start, end = step.region
        prose = _markdown_cell_text(markdown[pos:start])
        if prose:
            cells.append(v4.new_markdown_cell(prose))
        pos = end
        if step.nproc:
            cells.append(
                v4.new_markdown_cell(
                    f"{t['nproc'].format(n=step.nproc, file=_nproc_file(stem, step))}\n\n"
                    f"```bash\n{_launch_command(stem, step)}\n```\n\n"
                    f"```python\n{step.source.rstrip()}\n```"
                    + (
                        f"\n\n{t['output']}:\n\n```text\n{step.expected.rstrip()}\n```"
                        if step.expected
                        else ""
                    )
                )
            )
            continue
        cell = v4.new_code_cell(runnable(step, lang).rstrip("\n"))
        cell.metadata["flowkit"] = {"block": step.index}  # which block of the page it is
        if step.raises:
            cell.metadata["tags"] = ["raises-exception"]
        if step.expected is not None and step.expected.strip():
            cell.outputs = [v4.new_output("stream", name="stdout", text=step.expected)]
        cells.append(cell)
    prose = _markdown_cell_text(markdown[pos:])
    if prose:
        cells.append(v4.new_markdown_cell(prose))
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return nb


# --------------------------------------------------------------------------- page markdown
def label_outputs(markdown: str, lang: str, path: str = "page.md") -> str:
    """Mark every output fence (the ```text after a code block) as output: title, classes."""
    title = TEXT[lang]["output"]
    edits = []
    for step in steps_of(markdown, path):
        if step.output_span is None:
            continue
        start = step.output_span[0]
        line_start = markdown.rfind("\n", 0, max(start - 1, 0)) + 1
        opening = markdown[line_start:start]
        m = re.match(r"^([ \t>]*)(`{3,}|~{3,})\s*text\s*\n?$", opening)
        if not m:
            continue
        new = f'{m.group(1)}{m.group(2)} {{ .text .fk-output .no-copy title="{title}" }}\n'
        edits.append((line_start, start, new))
    for a, b, new in sorted(edits, reverse=True):
        markdown = markdown[:a] + new + markdown[b:]
    return markdown


def _download_links(stem: str, lang: str) -> str:
    t = TEXT[lang]
    return (
        f'<p class="fk-downloads">{t["download"]} '
        f'<a href="{stem}.py" download class="fk-download">{stem}.py</a> '
        f'<a href="{stem}.ipynb" download class="fk-download">{stem}.ipynb</a></p>\n'
    )


def _after_title(markdown: str, insert: str) -> str:
    m = re.search(r"^#\s+.*\n", markdown, re.M)
    if not m:
        return insert + "\n" + markdown
    return markdown[: m.end()] + "\n" + insert + "\n" + markdown[m.end() :]


_downloads: dict[str, tuple[str, str]] = {}  # dest folder -> (stem, src_uri, markdown)


def on_config(config, **kwargs):
    config.extra["flowkit_version"] = version()
    return config


def on_page_markdown(markdown, page, config, files, **kwargs):
    src_uri = page.file.src_uri
    lang = _lang_of(src_uri)
    steps = steps_of(markdown, src_uri)
    if steps:
        stem = download_stem(src_uri)
        _downloads[page.file.dest_uri] = (stem, src_uri, markdown)
        markdown = label_outputs(markdown, lang, src_uri)
        markdown = _after_title(markdown, _download_links(stem, lang))
    if Path(src_uri).name == "performance.md":
        # the chart (docs/assets/performance.svg, 1000 px wide) gets the table of contents'
        # column too: its labels are drawn at ~0.9 of their size instead of ~0.7
        page.meta.setdefault("hide", ["toc"])
    if src_uri in (f"{lang}/index.md", "index.md"):  # the home, not a section's index.md
        landing = DOCS / "_landing" / f"{lang}.md"
        if landing.exists():
            markdown = landing.read_text("utf-8").rstrip("\n") + "\n\n" + markdown
    return markdown


def on_post_page(output, page, config, **kwargs):
    entry = _downloads.pop(page.file.dest_uri, None)
    if entry is not None:
        import nbformat

        stem, src_uri, markdown = entry
        folder = Path(config.site_dir) / Path(page.file.dest_uri).parent
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{stem}.py").write_text(program(markdown, src_uri), "utf-8")
        nbformat.write(notebook(markdown, src_uri), str(folder / f"{stem}.ipynb"))
    return output


# --------------------------------------------------------------------------- search
def split_search_index(site_dir: str | Path) -> dict[str, int]:
    """Rewrite /search/search_index.json (every language's entries, as mkdocs-static-i18n leaves
    it) as one index per language: /search/ for the default language, /<lang>/search/ for the
    others (locations relative to that language's root). Returns entries per language."""
    site = Path(site_dir)
    path = site / "search" / "search_index.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text("utf-8"))
    per_lang: dict[str, list] = {lang: [] for lang in LANGS}
    for doc in data["docs"]:
        loc = doc["location"]
        lang = loc.split("/", 1)[0] if loc.split("/", 1)[0] in LANGS else DEFAULT_LANG
        if lang != DEFAULT_LANG:
            doc = {**doc, "location": loc[len(lang) + 1 :]}
        per_lang[lang].append(doc)
    counts = {}
    for lang, docs in per_lang.items():
        config = {**data.get("config", {}), **SEARCH_CONFIG[lang]}
        target = path if lang == DEFAULT_LANG else site / lang / "search" / "search_index.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            json.dumps({"config": config, "docs": docs}, separators=(",", ":")), "utf-8"
        )
        counts[lang] = len(docs)
    return counts


@event_priority(-110)  # after mkdocs-static-i18n (-100) has built every language
def on_post_build(config, **kwargs):
    split_search_index(config.site_dir)
    copy_sitemaps(config.site_dir)


def copy_sitemaps(site_dir: str | Path) -> None:
    """Every language's root gets the sitemap (it lists every page with its alternates): the
    language switch's script fetches <root>/sitemap.xml for each language root in the head."""
    site = Path(site_dir)
    for lang_root in (p for p in site.iterdir() if p.is_dir() and (p / "search").is_dir()):
        for name in ("sitemap.xml", "sitemap.xml.gz"):
            if (site / name).exists():
                shutil.copyfile(site / name, lang_root / name)


# --------------------------------------------------------------------------- language switch
@event_priority(40)  # after mkdocs-static-i18n's page context (50)
def on_page_context(context, page, config, nav, **kwargs):
    """The language switch (and <link rel="alternate" hreflang>) of every page leads to the same
    page in the other language, as a relative link: mkdocs-static-i18n leaves the homes' links
    absolute ("/", "/zh/"), which break on a site served under a path or from files."""
    alternates = getattr(page.file, "alternates", None) or {}
    # (mkdocs-static-i18n sets config.extra.alternate as an attribute, which templates read)
    for alt in getattr(config.extra, "alternate", None) or config.extra.get("alternate") or []:
        target = alternates.get(alt.get("lang"))
        if target is not None:
            alt["link"] = target.url or "./"
    return context

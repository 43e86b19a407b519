"""The docs machinery: the site builds, every hook is documented, the output rules and the stale
checks work, and the two languages carry the same programs.

(The pages themselves are collected as tests by the root conftest.py: one item per code block.)
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flowkit import hookspecs
from flowkit.testing import docs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # any pytest import mode
DOCS = ROOT / "docs"


# --------------------------------------------------------------------------- the site
@pytest.mark.once
def test_mkdocs_build_strict(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # two sites (mkdocs-static-i18n): English at the root, Chinese under /zh/
    site = {"en": tmp_path / "site", "zh": tmp_path / "site" / "zh"}
    assert (site["en"] / "backprop_and_optimizer" / "index.html").exists()
    assert (site["zh"] / "backprop_and_optimizer" / "index.html").exists()
    # the API reference (one page per area, docs/<lang>/api/) lists every Tensor method exactly
    # once across its pages, in both languages
    from test_api_docs import AREAS, tensor_members

    for lang in ("en", "zh"):
        pages = sorted((site[lang] / "api").rglob("index.html"))
        assert {p.parent.name for p in pages} == {"api", *AREAS}, pages
        ids = [
            i
            for page in pages
            for i in re.findall(r'id="flowkit\.Tensor\.([^"]+)"', page.read_text("utf-8"))
        ]
        assert sorted(ids) == tensor_members(), (
            f"{lang}/api: missing {sorted(set(tensor_members()) - set(ids))}, more than once "
            f"{sorted({i for i in ids if ids.count(i) > 1})}, unexpected "
            f"{sorted(set(ids) - set(tensor_members()))}"
        )


def _hooks():
    return {n: f for n, f in vars(hookspecs).items() if n.startswith("flowkit_")}


@pytest.mark.once
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_hook_is_documented_with_its_signature(lang):
    page = (DOCS / lang / "backends.md").read_text("utf-8")
    hooks = _hooks()
    assert len(hooks) >= 5
    for name, fn in hooks.items():
        sig = str(inspect.signature(fn)).replace("'", "")
        assert f"### {name}" in page, f"{lang}/backends.md has no section for hook {name}"
        assert f"`{name}{sig}`" in page, f"{lang}/backends.md lacks the signature {name}{sig}"
        assert fn.__doc__ and fn.__doc__.strip(), f"hook {name} has no docstring"
    documented = set(re.findall(r"^### (flowkit_\w+)", page, re.M))
    assert documented == set(hooks), f"documented, but not hooks: {documented - set(hooks)}"


def _code_blocks(path: Path) -> list[str]:
    from sybil import Document

    steps, _ = docs.parse_steps(Document(path.read_text("utf-8"), str(path)))
    # comments may be translated; the code itself must be the same
    return [re.sub(r"\s*#.*", "", s.source).strip() for s in steps]


@pytest.mark.once
def test_translations_run_the_same_programs():
    en_pages = sorted(p.relative_to(DOCS / "en").as_posix() for p in (DOCS / "en").rglob("*.md"))
    zh_pages = sorted(p.relative_to(DOCS / "zh").as_posix() for p in (DOCS / "zh").rglob("*.md"))
    assert en_pages == zh_pages
    for name in en_pages:
        assert _code_blocks(DOCS / "en" / name) == _code_blocks(DOCS / "zh" / name), name


# --------------------------------------------------------------------------- output rules
def test_exact_match_and_text_mismatch():
    rules = docs.OutputRules()
    assert docs.compare("a 1.5\nb", "a 1.5\nb  \n", rules) is None  # trailing spaces ignored
    assert "text differs" in docs.compare("loss: 1", "lost: 1", rules)
    assert "expected 1.5, got 1.6" in docs.compare("x 1.5", "x 1.6", rules)


def test_relative_tolerance_and_below():
    rules = docs.OutputRules(rtol=1e-3, below=1e-9)
    assert docs.compare("loss:0.0015626", "loss:0.0015630", rules) is None
    assert docs.compare("loss:0.0015626", "loss:0.0016", rules) is not None
    assert docs.compare("loss:9.09e-13", "loss:3.86e-12", rules) is None
    assert docs.compare("loss:9.09e-13", "loss:2e-9", rules) is not None


def test_ignore_elision_and_cuda_device():
    rules = docs.OutputRules(ignore=re.compile(r"took [0-9.]+ s"))
    assert docs.compare("done, took 1.2 s", "done, took 9.87 s", rules) is None
    rules = docs.OutputRules(head=1, tail=1)
    assert docs.elide("a\nb\nc\nd", rules) == "a\n...\nd"
    assert docs.compare("a\n...\nd", "a\nb\nc\nd", rules) is None
    plain = docs.OutputRules()
    assert (
        docs.compare(
            "tensor([1.], dtype=flowkit.float32)",
            "tensor([1.], device='cuda:0', dtype=flowkit.float32)",
            plain,
        )
        is None
    )


def test_unknown_rule_is_an_error():
    with pytest.raises(ValueError, match="unknown output rule"):
        docs.OutputRules.from_args({"rtl": "1e-3"})


# --------------------------------------------------------------------------- stale pages
PAGE = """# A page

<!-- page: loss=v -->

```python
v = 1.5
print(v * 2)
```

{output}

<!-- run: raises=ZeroDivisionError -->
```py title="boom"
1 / 0
```

```text
ZeroDivisionError: division by zero
```
"""


def _page(tmp_path, output: str) -> Path:
    p = tmp_path / "page.md"
    p.write_text(PAGE.format(output=output), "utf-8")
    return p


def test_a_correct_page_passes_and_reports(tmp_path):
    r = docs.run_page(_page(tmp_path, "```text\n3.0\n```"))
    assert r["failures"] == []
    assert (r["blocks_run"], r["outputs_checked"], r["loss"]) == (2, 2, 1.5)


def test_stale_output_fails(tmp_path):
    r = docs.run_page(_page(tmp_path, "```text\n3.5\n```"))
    assert len(r["failures"]) == 1 and "expected 3.5, got 3.0" in r["failures"][0]
    assert "flowkit docs regen" in r["failures"][0]


def test_missing_output_block_fails_and_regen_writes_it(tmp_path):
    page = _page(tmp_path, "")
    r = docs.run_page(page)
    assert any("no ```text block" in f for f in r["failures"])
    assert docs.regen_page(page) is True
    assert "```text\n3.0\n```" in page.read_text("utf-8")
    assert docs.run_page(page)["failures"] == []
    assert docs.regen_page(page) is False  # regenerating a fresh page changes nothing


def test_block_that_should_raise_but_does_not(tmp_path):
    p = tmp_path / "p.md"
    p.write_text("<!-- run: raises=ValueError -->\n```python\nx = 1\n```\n", "utf-8")
    r = docs.run_page(p)
    assert any("should raise ValueError" in f for f in r["failures"])


def test_unexpected_exception_fails_with_the_page_line(tmp_path):
    p = tmp_path / "p.md"
    p.write_text("# t\n\n```python\nx = 1\ny = undefined_name\n```\n", "utf-8")
    r = docs.run_page(p)
    assert len(r["failures"]) == 1
    assert "NameError" in r["failures"][0] and "line 5" in r["failures"][0]


def test_a_block_for_one_backend_runs_only_there(tmp_path):
    """``requires=<backend>``: the block runs (and its output is checked) on that backend only;
    elsewhere it is skipped, with the reason."""
    import flowkit as flow

    here = flow.backend().name
    other = "torch" if here == "numpy" else "numpy"
    p = tmp_path / "p.md"
    p.write_text(
        f"<!-- run: requires={here} -->\n```python\nprint('here')\n```\n\n"
        "```text\nhere\n```\n\n"
        f"<!-- run: requires={other} -->\n```python\nprint('there')\n```\n\n"
        "```text\nthere\n```\n",
        "utf-8",
    )
    r = docs.run_page(p)
    assert r["failures"] == [] and r["skipped"] == 1 and r["blocks_run"] == 1
    p.write_text(p.read_text("utf-8").replace("```text\nhere", "```text\nelsewhere"), "utf-8")
    assert len(docs.run_page(p)["failures"]) == 1  # the block that runs is checked


DISTRIBUTED_PAGE = """# Two processes

<!-- run: nproc=2 -->
```python
import flowkit as flow
x = flow.ones(1) * (flow.env.get_rank() + 1)
flow.comm.all_reduce(x)
print(flow.env.get_rank(), x.item())
```

```text
{every}
```

<!-- run: nproc=2 rank=1 -->
```python
import flowkit as flow
print("I am", flow.env.get_rank(), "of", flow.env.get_world_size())
```

```text
{one}
```
"""


def test_a_block_runs_on_several_processes_and_each_rank_output_is_checked(tmp_path):
    """``nproc=2``: the block is its own program on two processes (through the launcher); the
    output is every rank's, prefixed and in rank order, or one rank's with ``rank=R``."""
    pytest.importorskip("torch.distributed")
    p = tmp_path / "p.md"
    good = {"every": "[rank 0] 0 3.0\n[rank 1] 1 3.0", "one": "I am 1 of 2"}
    p.write_text(DISTRIBUTED_PAGE.format(**good), "utf-8")
    r = docs.run_page(p)
    assert r["failures"] == [] and (r["blocks_run"], r["outputs_checked"]) == (2, 2), r
    p.write_text(DISTRIBUTED_PAGE.format(every=good["every"], one="I am 0 of 2"), "utf-8")
    (failure,) = docs.run_page(p)["failures"]
    assert "I am 1 of 2" in failure  # the other rank's output is not mixed in
    p.write_text(p.read_text("utf-8").replace("x.item())", "x.item(), undefined)"), "utf-8")
    failures = docs.run_page(p)["failures"]
    assert "the distributed block (nproc=2) failed" in failures[0]
    assert "NameError: name 'undefined' is not defined" in failures[0]


def test_distributed_rules_are_checked(tmp_path):
    p = tmp_path / "p.md"
    p.write_text("<!-- run: rank=0 -->\n```python\nx = 1\n```\n", "utf-8")
    with pytest.raises(ValueError, match="rank= needs nproc="):
        docs.run_page(p)


@pytest.mark.once
def test_flowkit_examples_cli_runs_a_page_on_each_backend(tmp_path):
    page = _page(tmp_path, "```text\n3.0\n```")
    # this interpreter's flowkit, not whatever `flowkit` comes first on PATH
    proc = subprocess.run(
        [sys.executable, "-m", "flowkit", "examples", str(page)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "numpy" in proc.stdout and "1.5" in proc.stdout and "ok" in proc.stdout

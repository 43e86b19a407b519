"""The docs site in a real browser: headless Chromium driven by Playwright.

Runs where both are present (``.ci/run`` installs Debian's ``chromium`` and the ``test`` extra
brings ``playwright``; Playwright is pointed at the system's Chromium, never at a download of its
own); skipped with the reason elsewhere. The site is built once into a temporary folder and
served on a free localhost port. On a failure the page's screenshot is written next to the
report (``browser-failures/`` in the working folder) and named in the message.

Checked: every page of both languages loads without console errors or failed requests; the
language switch lands on the same page in the other language; a search finds the expected pages
in each language and only pages of that language; every image (the Performance chart
included) renders with a non-zero size; a code block's copy button copies exactly its code; a
phone-width viewport has no horizontal scroll.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.once

CHROMIUM = os.environ.get("FLOWKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
FAILURES = Path.cwd() / "browser-failures"
CHROMIUM_ARGS = [  # a closed network: no background connections to fail
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    out = tmp_path_factory.mktemp("site")
    r = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield out, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _pages(out: Path) -> list[str]:
    """Every HTML page of the built site, as a URL path ("/", "/quickstart/", "/zh/api/")."""
    paths = []
    for f in sorted(out.rglob("index.html")):
        rel = f.parent.relative_to(out).as_posix()
        if rel.startswith(("assets", "search")) or rel == "404":
            continue
        paths.append("/" if rel == "." else f"/{rel}/")
    return paths


class _Watched:
    """A page with its console errors and failed requests recorded."""

    def __init__(self, context):
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"exception: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))
        self.page.on(
            "response",
            lambda r: self.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
        )

    def fail(self, message: str) -> None:
        FAILURES.mkdir(exist_ok=True)
        shot = FAILURES / f"{abs(hash(message)) % 10**8}.png"
        self.page.screenshot(path=str(shot), full_page=True)
        pytest.fail(f"{message}\n(screenshot: {shot})")


def test_every_page_loads_without_errors(site, browser):
    out, base = site
    pages = _pages(out)
    assert any(p.startswith("/zh/") for p in pages) and "/quickstart/" in pages, pages
    context = browser.new_context()
    problems = {}
    images_checked = 0
    for path in pages:
        w = _Watched(context)
        w.page.goto(base + path, wait_until="networkidle")
        sizes = w.page.eval_on_selector_all(
            "article img", "imgs => imgs.map(i => [i.src, i.naturalWidth, i.clientWidth])"
        )
        for src, natural, shown in sizes:
            images_checked += 1
            if not natural or not shown:
                w.errors.append(f"image not rendered: {src} ({natural}px, shown {shown}px)")
        if w.errors:
            problems[path] = w.errors
        w.page.close()
    context.close()
    assert not problems, problems
    assert images_checked >= 2  # the Performance chart in each language at least


def test_the_language_switch_keeps_the_page(site, browser):
    from urllib.parse import urljoin

    _, base = site
    page = browser.new_page()
    for start, lang, other in (("/quickstart/", "zh", "/zh/quickstart/"),
                               ("/zh/autograd/", "en", "/autograd/")):  # fmt: skip
        page.goto(base + start, wait_until="networkidle")
        assert page.locator("html").get_attribute("lang") == ("zh" if "/zh/" in start else "en")
        href = page.locator(f'.md-select a[hreflang="{lang}"]').first.get_attribute("href")
        page.goto(urljoin(page.url, href), wait_until="networkidle")  # (a hover menu's link)
        assert page.url == base + other, (start, href, page.url)
    page.close()


@pytest.mark.parametrize(
    ("start", "query", "must_find", "language", "entry"),
    [
        ("/", "optimizer", ["/backprop_and_optimizer/"], "en", "typed"),
        ("/", "dataloader", ["/data/"], "en", "pasted"),
        ("/zh/", "优化器", ["/zh/backprop_and_optimizer/", "/zh/save_load/"], "zh", "typed"),
        ("/zh/", "自动求导", ["/zh/autograd/"], "zh", "pasted"),
        ("/zh/", "张量", ["/zh/tensors/", "/zh/api/tensor/"], "zh", "typed"),
    ],
)
def test_search_finds_the_pages_of_its_language(
    site, browser, start, query, must_find, language, entry
):
    """Typed key by key (Chinese characters arrive as inserted text, as from an input method,
    with no key events) or pasted in one go: Material reads the query on keyup, and the site's
    docs/assets/search-input.js announces a keyup for input that comes without one."""
    _, base = site
    w = _Watched(browser.new_context())
    w.page.goto(base + start, wait_until="networkidle")
    box = w.page.locator("input.md-search__input")  # (in the header at desktop width)
    box.click()
    if entry == "typed":
        w.page.keyboard.type(query)
    else:
        box.fill(query)  # one input event, no keys: a paste
    try:
        w.page.wait_for_selector(".md-search-result__item", timeout=15000)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError
        w.fail(f"search for {query!r} ({entry}) on {start} showed no results")
    for _ in range(30):  # the worker streams results in: wait until the expected ones are there
        hrefs = w.page.eval_on_selector_all(
            ".md-search-result__item > a", "as => as.map(a => new URL(a.href).pathname)"
        )
        found = set(hrefs)
        missing = [p for p in must_find if p not in found]
        if not missing:
            break
        w.page.wait_for_timeout(300)
    if missing:
        w.fail(f"search for {query!r} missed {missing}; found {sorted(found)}")
    wrong = [h for h in found if h.startswith("/zh/") != (language == "zh")]
    if wrong:
        w.fail(f"search for {query!r} on the {language} site returned {wrong}")
    assert not w.errors, w.errors


def test_copying_a_code_block_copies_exactly_its_code(site, browser):
    _, base = site
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(base + "/quickstart/", wait_until="networkidle")
    block = page.locator("article div.highlight:not(.fk-output)").first
    code = block.locator("code").inner_text()
    block.locator("button[data-md-type='copy'], button.md-clipboard").first.click(force=True)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() == code.strip()
    assert ">>>" not in copied
    context.close()


def test_a_phone_width_page_has_no_horizontal_scroll(site, browser):
    out, base = site
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    wide = {}
    for path in ("/", "/quickstart/", "/distributed/", "/zh/distributed/", "/performance/"):
        page = context.new_page()
        page.goto(base + path, wait_until="networkidle")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 1:
            wide[path] = overflow
        page.close()
    context.close()
    assert not wide, f"pages wider than a phone (px of horizontal scroll): {wide}"


def test_copying_an_api_example_leaves_out_prompts_and_outputs(site, browser):
    out, base = site
    path = next(
        p for p in ("/api/tensor/", "/api/") if (out / p.strip("/") / "index.html").exists()
    )
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(base + path, wait_until="networkidle")
    block = page.locator("article div.highlight:has(.gp)").first  # a doctest example
    shown = block.locator("code").inner_text()
    assert shown.startswith(">>> import flowkit as flow"), shown[:80]
    block.locator("button[data-md-type='copy'], button.md-clipboard").first.click(force=True)
    copied = page.evaluate("navigator.clipboard.readText()")
    expected = [ln[4:] for ln in shown.splitlines() if ln.startswith((">>> ", "... "))]
    assert copied.splitlines() == expected, (shown, copied)
    context.close()

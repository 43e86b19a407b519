"""The docs pages as conformance checks: every page's code runs on the backend of this process
and its printed outputs must match the page (the rules of `flowkit.testing.docs`).

The pages come with a flowkit source checkout (``docs/``, `flowkit.testing.docs.DOCS_DIR`)
or from ``--flowkit-docs PATH``; an installed flowkit has none, and the kit then says so in its
report instead of failing.
"""

from __future__ import annotations

from pathlib import Path

from flowkit.errors import BackendNotImplementedError


def find_docs(option: str | None = None) -> tuple[Path | None, str]:
    """The docs root to check and a note for the report.

    Args:
        option: the ``--flowkit-docs`` path, if given (it must exist).

    Returns:
        tuple[Path | None, str]: the root (``None`` when no pages were found) and why.

    Examples:
        >>> from flowkit.testing.conformance.pages import find_docs
        >>> find_docs("/no/such/dir")[0] is None
        True
    """
    from flowkit.testing import docs

    if option:
        root = Path(option).expanduser().resolve()
        if not root.is_dir():
            return None, f"--flowkit-docs {option}: no such directory"
        found = docs.pages(root)
        if not found:
            return None, f"--flowkit-docs {option}: no page with a python block"
        return root, f"{root} ({len(found)} pages)"
    root = docs.DOCS_DIR
    # an installed flowkit has no docs/ beside it: a docs/ there belongs to something else
    # unless the checkout's mkdocs.yml is there too
    if root.is_dir() and (root.parent / "mkdocs.yml").is_file() and docs.pages(root):
        return root, f"{root} ({len(docs.pages(root))} pages)"
    return None, (
        "not found (an installed flowkit has no docs pages): pass --flowkit-docs PATH, "
        "the docs/ directory of a flowkit source checkout, to check them"
    )


QUICK_LANGUAGE = "en"


def page_ids(root: Path, quick: bool = False) -> list[str]:
    """The pages under ``root`` as ids relative to it (``en/quickstart.md``).

    With ``quick``, a site translated into several languages (``en/``, ``zh/``, ...) is checked
    in English only: each translation runs the same programs.
    """
    from flowkit.testing import docs

    ids = [p.relative_to(root).as_posix() for p in docs.pages(root)]
    if quick and (root / QUICK_LANGUAGE).is_dir():
        ids = [i for i in ids if i.startswith(QUICK_LANGUAGE + "/")]
    return ids


def check_page(path: Path) -> dict:
    """Run every block of the page at ``path`` in this process, in one namespace, and check
    each printed output.

    Raises:
        BackendNotImplementedError: the first failing block called an op the backend does not
            implement.
        AssertionError: a block failed (the first three failures, each with its line).

    Returns:
        dict: ``blocks_run``, ``outputs_checked``, ``skipped`` (blocks for CUDA or another
        backend).
    """
    from flowkit.testing import docs

    doc, failures = docs.evaluate_page(path)
    if failures:
        first = failures[0].error if isinstance(failures[0], docs.BlockRaised) else None
        if isinstance(first, BackendNotImplementedError):
            raise BackendNotImplementedError(f"{path}: {first}") from first
        more = f"\n\n(and {len(failures) - 3} more)" if len(failures) > 3 else ""
        raise AssertionError("\n\n".join(str(f) for f in failures[:3]) + more)
    stats = doc.namespace.get("__flowkit_stats__", docs.PageStats())
    return {
        "blocks_run": stats.blocks_run,
        "outputs_checked": stats.outputs_checked,
        "skipped": stats.skipped,
    }

"""Collects the documentation as tests, on the backend this pytest process uses:

* every code block of docs/**/*.md is a pytest item (see flowkit.testing.docs for the page
  conventions: shared namespace per page, checked ```text outputs, rules in HTML comments);
* every ``>>>`` example in flowkit's docstrings (the API reference is generated from them) runs
  as a doctest.
"""

from flowkit.testing.docs import docstrings_sybil
from flowkit.testing.docs import sybil as docs_pages

pytest_collect_file = (docs_pages() + docstrings_sybil()).pytest()

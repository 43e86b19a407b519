"""Collects the docs pages as tests: every code block of docs/**/*.md is a pytest item, run on
the backend this pytest process uses (see flowkit.testing.docs for the page conventions)."""

from flowkit.testing.docs import sybil

pytest_collect_file = sybil().pytest()

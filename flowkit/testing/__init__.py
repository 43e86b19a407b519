"""Testing helpers: the docs-as-tests runner (:mod:`flowkit.testing.docs`)."""

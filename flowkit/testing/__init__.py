"""Testing helpers: the docs-as-tests runner (`flowkit.testing.docs`)."""

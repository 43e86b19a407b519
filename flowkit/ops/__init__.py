"""The op contract, family by family.

Each module here is one op family (``arithmetic``, ``comparison``, ``reduction``, ``shape``,
``indexing``, ``inplace``, ``linalg``, ``autograd``) and holds three things:

1. a mixin of [`flowkit.Tensor`][flowkit.Tensor] that declares the family's tensor methods:
   signature, documentation, a runnable example, and no body (`backend_method`);
   each backend's tensor class implements them (``backends/flowkit_numpy/<family>.py``,
   ``backends/flowkit_torch/<family>.py``: the same file names);
2. the function forms users call (``flowkit.sum(x)``), one line each over the method or the
   backend's op table; ``__all__`` lists them and `flowkit` re-exports them;
3. the family's argument rules and error texts: pure normalisers (``normalize_dims``) and
   metadata-only diagnosers (shapes, dtypes, devices in; an exception out). Both backends raise
   these, so every message is written once; a backend calls a diagnoser from the ``except``
   block of a failed kernel, so the success path pays nothing.

Adding an op means: declare it (and its function form) here, implement it in each backend's
module of the same name, and give it a conformance case (``flowkit.testing.conformance``).
"""

from ._contract import backend_method, is_declaration  # what a backend author may inspect

__all__ = ["backend_method", "is_declaration"]

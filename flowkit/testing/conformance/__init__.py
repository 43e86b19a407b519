"""flowkit's backend conformance kit: what a backend must satisfy, as runnable checks.

``flowkit check-backend NAME`` (or ``pytest -p flowkit.testing.conformance`` with
``FLOWKIT_BACKEND=NAME``) checks the backend of that process, the way PyTorch's OpInfo database
and the Array API test suite check theirs:

* every public op (``flowkit.*``, ``Tensor.*`` methods and operators, ``F.*``) against an
  independent numpy reference of PyTorch's semantics: values, dtypes (type promotion), shapes;
* every gradient against central finite differences (float64);
* the error type of invalid inputs (shapes that do not broadcast, dtypes an op refuses);
* the optimizer kernels the backend offers against the reference updates, parameters and
  state, in float64;
* the docs pages' printed outputs, when the pages are available.

Layout: `core` (``Draw``/``Case``/``Spec``, the reference dtype rules, the checks, the
cross-backend record), `cases` (one module per op family), `optim`, `pages`, `coverage`, `suite`
(the pytest tests), `plugin` and `report` (the per-op table), `runner` (``flowkit
check-backend``). ``python -m flowkit.testing.conformance dump OUT.pkl`` records the fixed
cross-backend case set.

This package is itself the pytest plugin (it re-exports `plugin`'s hooks), so ``-p
flowkit.testing.conformance`` and ``-p flowkit.testing.conformance.plugin`` both load it.

Examples:
    >>> from flowkit.testing import conformance as kit
    >>> "Tensor.sum" in {kit.op_of(name) for name in kit.SPECS}
    True
"""

from . import cases
from .cases.findings import CROSS_EDGES
from .core import (
    EDGE,
    FINDINGS,
    SPECS,
    Case,
    Draw,
    Finding,
    HypDraw,
    RngDraw,
    Spec,
    check_error,
    check_forward,
    check_forward_with_grad,
    check_gradient_values,
    check_gradients,
    compare_records,
    dump,
    op_of,
)
from .plugin import (
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_runtest_makereport,
)

"""The op cases of the conformance kit, one module per op family; importing this package
registers every `Spec` in `SPECS` (and the cross-backend edges and findings).

A new op gets its case in the module of its family, next to its kin: a builder over `Draw`
(numpy only), a numpy reference of PyTorch's semantics, and
``spec("flowkit.name", build, grad, invalid)`` for each public entry point (function, method,
operator). ``test_every_public_op_has_a_case`` fails until it has one.
"""

from . import (
    conversion,
    creation,
    elementwise,
    findings,
    indexing,
    inplace,
    linalg,
    nn_functional,
    reduction,
    shape,
)

FAMILIES = (
    elementwise,
    reduction,
    shape,
    indexing,
    linalg,
    inplace,
    conversion,
    creation,
    nn_functional,
    findings,
)

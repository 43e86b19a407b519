"""Elementwise ops: binary arithmetic, comparison, logical and bitwise ops (function,
method and operator forms, reflected operators, PyTorch's type promotion), unary float and
dtype-keeping functions, ``isnan``/``isinf``/``isfinite``, ``bitwise_not``; and the dtype edges
the backends must agree on."""

from __future__ import annotations

import functools
import math
import operator
import statistics
from collections.abc import Callable

import numpy as np

import flowkit as flow

from ..core import (
    ALL,
    BOOL,
    F32,
    FLOATS,
    I8,
    INTS,
    NUM,
    U8,
    Case,
    Draw,
    as_dt,
    bad_pair,
    bcast_pair,
    edge,
    f64,
    float_out,
    method,
    result_dtype,
    shape,
    spec,
    values,
)

F = flow.nn.functional


# ============================================================================ binary elementwise
_NP2 = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.true_divide,
    "pow": np.power,
    "remainder": np.remainder,
    "floor_divide": np.floor_divide,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "eq": np.equal,
    "ne": np.not_equal,
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
    "bitwise_and": np.bitwise_and,
    "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor,
    "logical_and": np.logical_and,
    "logical_or": np.logical_or,
    "logical_xor": np.logical_xor,
    "atan2": np.arctan2,
    "logaddexp": np.logaddexp,
    "fmod": np.fmod,
}
_CMP = ("eq", "ne", "lt", "le", "gt", "ge")
_LOGICAL = ("logical_and", "logical_or", "logical_xor")
_BITWISE = ("bitwise_and", "bitwise_or", "bitwise_xor")
_EXACT = ("remainder", "floor_divide", "maximum", "minimum")  # computed in the result dtype


def ref_binary(op: str, a, b):
    """PyTorch's ``op(a, b)`` for arrays and Python numbers (either side)."""
    if op in _LOGICAL:
        return _NP2[op](np.asarray(a) != 0, np.asarray(b) != 0)
    rt = result_dtype(a, b)
    if op in _CMP:
        return _NP2[op](as_dt(a, rt), as_dt(b, rt))
    if op in ("div", "atan2") and rt.kind != "f":
        rt = F32  # true division (and atan2) of integers gives float32
    if rt.kind == "f" and op not in _EXACT:
        with np.errstate(all="ignore"):
            return np.asarray(_NP2[op](f64(a), f64(b))).astype(rt)
    if op == "pow":
        return np.asarray(_torch_int_pow(as_dt(a, rt), as_dt(b, rt))).astype(rt)
    with np.errstate(all="ignore"):
        return np.asarray(_NP2[op](as_dt(a, rt), as_dt(b, rt))).astype(rt)


def _int_pow1(x, y):
    # PyTorch's integer power, in Python ints: a negative exponent gives 1 for base 1, +-1 for
    # base -1 (by parity), 0 otherwise (numpy refuses negative integer powers)
    x, y = int(x), int(y)
    if y >= 0:
        return x**y
    return 1 if x == 1 else (-1 if y % 2 else 1) if x == -1 else 0


_torch_int_pow = np.vectorize(_int_pow1, otypes=[object])


# per op: tensor dtypes, scalars for the number operand, whether it has a gradient
# numpy scalars are weak like Python numbers (PyTorch's rule): np.float64(0.5) * float32 -> f32
_NPS = [np.float64(0.5), np.float32(-1.5), np.int64(3)]
_ARITH = {
    "add": (ALL + (U8, I8), [2, -1, 0.5, -1.5, True] + _NPS, True),
    "sub": (NUM + (U8, I8), [2, -1, 0.5, -1.5] + _NPS, True),
    "mul": (ALL + (U8, I8), [2, -1, 0.5, -1.5, True, 0] + _NPS, True),
    "div": (NUM, [2, -3, 0.5, -1.5] + _NPS, True),
    "pow": (NUM, [2, 3, 0, 0.5, -1.5, 2.0], True),
    "remainder": (NUM, [2, -3, 0.7, -1.5], True),
    "floor_divide": (NUM, [2, -3, 0.7, -1.5], False),
    "maximum": (ALL, [0, 1, 0.5, -1.5, True, np.float64(0.25)], True),
    "minimum": (ALL, [0, 1, 0.5, -1.5, True, np.float64(0.25)], True),
    **{op: (ALL + (U8,), [0, 1, 0.5, -1.5, True] + _NPS, False) for op in _CMP},
    **{op: (ALL, [0, 1, 2.5, True, False], False) for op in _LOGICAL},
    **{op: (INTS + (BOOL, U8), [1, 3, True, False, 0], False) for op in _BITWISE},
    "atan2": (NUM, [2, -1, 0.5, -1.5] + _NPS, True),
    "logaddexp": (FLOATS, [2, -1, 0.5, -1.5] + _NPS, True),
    "fmod": (NUM, [2, -3, 0.7, -1.5], True),
}
_DIVISOR = ("div", "remainder", "floor_divide", "fmod")


def _operand_dtypes(d: Draw, op: str):
    dts = _ARITH[op][0]
    da = d.choice(dts)
    db = da if d.int(0, 2) else d.choice(dts)  # mostly one dtype; mixed ones promote
    return da, db


def _doms(op: str, da, db, b_is_float_exponent: bool):
    if op in _DIVISOR:
        return "any", "nonzero"
    if op == "pow":
        base = "pos" if b_is_float_exponent else "any"
        # integer ** integer tensors take negative exponents (PyTorch: 1, +-1 or 0)
        return base, ("nonneg" if np.dtype(db).kind != "f" and np.dtype(da).kind == "f" else "any")
    return "any", "any"


def binary_builder(op: str, form: str, call: Callable):
    """``form``: "tt" / "ts" for a tensor on the left (the other a tensor or a number), "st"
    for a number on the left (reflected operators)."""
    dts, scalars, _ = _ARITH[op]

    def build(d: Draw) -> Case:
        rng = d.rng()
        f = d.choice(("tt", "tt", "ts")) if form == "tt" else form
        if f == "tt":
            sa, sb = bcast_pair(d)
            da, db = _operand_dtypes(d, op)
            if op == "pow" and np.dtype(da).kind != "f" and np.dtype(db).kind == "f":
                db = da  # int ** float tensor: fine in torch; keep the int ** int rule simple
            doma, domb = _doms(op, da, db, np.dtype(db).kind == "f")
            a, b = values(rng, sa, da, doma), values(rng, sb, db, domb)
            return Case(
                lambda x, y: call(x, y),
                [a, b],
                lambda x, y: ref_binary(op, x, y),
                label=f"{op} {da}{sa} {db}{sb}",
            )
        s = d.choice(scalars)
        da = d.choice([t for t in dts if t != U8])
        if op == "pow" and f == "ts":
            exp_float = isinstance(s, float)
            if np.dtype(da).kind != "f" and not exp_float and s < 0:
                s = 2  # integer tensor ** negative int: an error (binary_invalid's "dtype")
            dom = "pos" if exp_float else "any"
        elif op == "pow":  # number ** tensor: a positive base, exponents of either sign
            s = abs(s) or 2
            dom = "any"
        elif op in _DIVISOR:
            dom = "any" if f == "ts" else "nonzero"
            if f == "ts" and s == 0:
                s = 2
        else:
            dom = "any"
        if op in _BITWISE and isinstance(s, (float, np.floating)):
            s = 1
        a = values(rng, shape(d), da, dom)
        if f == "ts":
            return Case(
                lambda x: call(x, s),
                [a],
                lambda x: ref_binary(op, x, s),
                label=f"{op} {da}{a.shape} {s!r}",
            )
        return Case(
            lambda x: call(s, x),
            [a],
            lambda x: ref_binary(op, s, x),
            label=f"{s!r} {op} {da}{a.shape}",
        )

    return build


def binary_invalid(op: str, call: Callable, form: str = "tt", numpy_left: bool = True):
    def build(d: Draw) -> Case:
        rng = d.rng()
        kind = d.choice(("shape", "dtype") if op in _BITWISE + ("sub", "pow") else ("shape",))
        if form == "tt" and d.bool():
            # a numpy array as either operand: an error naming it and the fix (numpy on the
            # left reaches the tensor's reflected operator through __array_ufunc__)
            dt = d.choice(_ARITH[op][0])
            # (a 0-d array on the left reaches the tensor as a number, as numpy hands it over)
            a = values(rng, shape(d, zero=False) or (2,), dt, "nonzero")
            if d.bool() or not numpy_left:  # (a method cannot have the array first)
                return Case(lambda x: call(x, a.copy()), [a], error=flow.ArgumentTypeError)
            return Case(lambda x: call(a.copy(), x), [a], error=flow.ArgumentTypeError)
        if op == "sub" and (form == "st" or kind == "dtype"):
            return _sub_bool_invalid(d, call, form)
        if op == "pow" and kind == "dtype":  # an integer tensor to a negative int power
            x = values(rng, shape(d), d.choice(INTS + (BOOL, U8)))
            k = d.choice((-1, -2, np.int64(-3)))
            return Case(lambda t: call(t, k), [x], error=flow.DTypeError)
        if form == "st" or kind == "dtype":
            dt = d.choice(FLOATS)
            a = values(rng, shape(d, zero=False), dt)
            if form == "st":
                return Case(lambda x: call(1.5, x), [a], error=flow.DTypeError)
            return Case(lambda x, y: call(x, y), [a, a], error=flow.DTypeError)
        sa, sb = bad_pair(d)
        dt = d.choice(_ARITH[op][0])
        return Case(
            lambda x, y: call(x, y),
            [values(rng, sa, dt, "nonzero"), values(rng, sb, dt, "nonzero")],
            error=flow.ShapeError,
        )

    return build


def _sub_bool_invalid(d: Draw, call: Callable, form: str = "tt") -> Case:
    """A subtraction with a bool operand (a bool tensor, True or False): PyTorch refuses it."""
    rng = d.rng()
    other = d.choice(ALL)
    x = values(rng, shape(d), other)
    if form == "st":  # number - tensor: True - any tensor, or any number - a bool tensor
        if d.bool():
            s = d.choice((True, False))
            return Case(lambda t: call(s, t), [x], error=flow.DTypeError)
        s = d.choice((1, 2.5, True))
        return Case(lambda t: call(s, t), [values(rng, shape(d), BOOL)], error=flow.DTypeError)
    kind = d.choice(("bool_left", "bool_right", "number"))
    if kind == "number":  # any tensor - True, or a bool tensor - any number
        if d.bool():
            return Case(lambda t: call(t, True), [x], error=flow.DTypeError)
        s = d.choice((1, -2.5, False))
        return Case(lambda t: call(t, s), [values(rng, shape(d), BOOL)], error=flow.DTypeError)
    sa, sb = bcast_pair(d)
    b = values(rng, sb, BOOL)
    a = values(rng, sa, other)
    if kind == "bool_left":
        a, b = b, a
    return Case(lambda u, v: call(u, v), [a, b], error=flow.DTypeError)


_DUNDER = {
    "add": "add",
    "sub": "sub",
    "mul": "mul",
    "div": "truediv",
    "pow": "pow",
    "remainder": "mod",
    "floor_divide": "floordiv",
    "eq": "eq",
    "ne": "ne",
    "lt": "lt",
    "le": "le",
    "gt": "gt",
    "ge": "ge",
    "bitwise_and": "and",
    "bitwise_or": "or",
    "bitwise_xor": "xor",
}
_PYOP = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "remainder": operator.mod,
    "floor_divide": operator.floordiv,
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "bitwise_and": operator.and_,
    "bitwise_or": operator.or_,
    "bitwise_xor": operator.xor,
}
_REFLECTED = (
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "remainder",
    "floor_divide",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
)
_REFLECTED_GRAD = ("add", "sub", "mul", "div", "pow")  # PyTorch: none for number % x, number // x


def _register_binary():
    for op, (_, _, grad) in _ARITH.items():
        fn = getattr(flow, op)
        call_f, call_m = fn, method(op)
        spec(f"flowkit.{op}", binary_builder(op, "tt", call_f), grad, binary_invalid(op, call_f))
        spec(
            f"Tensor.{op}",
            binary_builder(op, "tt", call_m),
            grad,
            binary_invalid(op, call_m, numpy_left=False),
        )
        if op in _DUNDER:
            pyop = _PYOP[op]
            spec(
                f"Tensor.__{_DUNDER[op]}__",
                binary_builder(op, "tt", pyop),
                grad,
                binary_invalid(op, pyop),
            )
        if op in _REFLECTED:
            pyop = _PYOP[op]
            spec(
                f"Tensor.__r{_DUNDER[op]}__",
                binary_builder(op, "st", pyop),
                op in _REFLECTED_GRAD,
                binary_invalid(op, pyop, "st") if op in _BITWISE + ("sub",) else None,
            )
    # a number on the left of the function forms that are operators underneath
    for op in ("add", "sub", "mul", "div", "pow", "remainder", "floor_divide"):
        fn = getattr(flow, op)
        spec(
            f"flowkit.{op}[number_first]",
            binary_builder(op, "st", fn),
            op in _REFLECTED_GRAD,
            binary_invalid(op, fn, "st") if op == "sub" else None,
        )


_register_binary()


# ============================================================================ unary elementwise
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _erfinv1(y: float) -> float:
    """The inverse error function of one float, from the standard normal's quantile."""
    if abs(y) >= 1:
        return math.copysign(math.inf, y) if abs(y) == 1 else math.nan
    if y == 0:
        return y
    return statistics.NormalDist().inv_cdf((1 + y) / 2) / math.sqrt(2)


# float functions: integer (and bool) inputs give float32, as in PyTorch
_UFLOAT: dict[str, tuple[Callable, str]] = {
    "exp": (np.exp, "any"),
    "log": (np.log, "pos"),
    "sqrt": (np.sqrt, "nonneg"),
    "sin": (np.sin, "any"),
    "cos": (np.cos, "any"),
    "tanh": (np.tanh, "any"),
    "sigmoid": (_sigmoid, "any"),
    "reciprocal": (lambda x: 1.0 / x, "nonzero"),
    "rsqrt": (lambda x: 1.0 / np.sqrt(x), "pos"),
    "log1p": (np.log1p, "unit"),
    "expm1": (np.expm1, "any"),
    "log2": (np.log2, "pos"),
    "log10": (np.log10, "pos"),
    "tan": (np.tan, "unit"),
    "asin": (np.arcsin, "unit"),
    "acos": (np.arccos, "unit"),
    "atan": (np.arctan, "any"),
    "sinh": (np.sinh, "any"),
    "cosh": (np.cosh, "any"),
    "asinh": (np.arcsinh, "any"),
    "acosh": (np.arccosh, "above1"),
    "atanh": (np.arctanh, "unit"),
    "erf": (np.vectorize(math.erf, otypes=[float]), "any"),
    "erfc": (np.vectorize(math.erfc, otypes=[float]), "any"),
    "erfinv": (np.vectorize(_erfinv1, otypes=[float]), "unit"),
}
_UFLOAT_ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan"}
# dtype-keeping functions (integers stay integers)
_UKEEP: dict[str, tuple[Callable, str, bool]] = {
    "neg": (np.negative, "any", True),
    "abs": (np.abs, "nonzero", True),
    "relu": (lambda x: np.maximum(x, 0).astype(x.dtype), "nonzero", True),
    "sign": (np.sign, "any", True),
    "floor": (np.floor, "any", True),
    "ceil": (np.ceil, "any", True),
    "round": (np.round, "any", True),
    "trunc": (np.trunc, "any", True),
    "square": (lambda x: x * x, "any", True),
}


def unary_float_builder(op: str, call):
    fn, dom = _UFLOAT[op]

    def build(d: Draw) -> Case:
        dts = NUM + ((BOOL,) if dom in ("any", "nonneg") else ())
        dt = d.choice(dts)
        idom = (
            dom
            if dt.kind == "f"
            else {"unit": "nonneg", "nonzero": "nonzero"}.get(dom, "pos" if dom == "pos" else "any")
        )
        if dom == "above1":  # acosh: 1 and above (integers from 1)
            idom = "pos"
        a = values(d.rng(), shape(d), dt, idom)
        if dom == "above1" and dt.kind == "f":
            a = (a + 0.6).astype(dt)  # away from the pole of the gradient at 1

        def ref(x):
            with np.errstate(all="ignore"):
                return np.asarray(fn(f64(x))).astype(float_out(x.dtype))

        return Case(call, [a], ref, label=f"{op} {dt}{a.shape}")

    return build


def unary_keep_builder(op: str, call):
    fn, dom, _ = _UKEEP[op]

    def build(d: Draw) -> Case:
        dt = d.choice(NUM)
        a = values(d.rng(), shape(d), dt, dom)
        if op == "round" and dt.kind == "f":
            a = (a * 3).astype(dt)  # several integers apart: halves round to even
        return Case(
            call, [a], lambda x: np.asarray(fn(x)).astype(x.dtype), label=f"{op} {dt}{a.shape}"
        )

    return build


_UKEEP_NO_BOOL = ("neg", "relu", "floor", "ceil", "round", "trunc")  # PyTorch: no bool kernel


def unary_bool_invalid(call):
    return lambda d: Case(call, [values(d.rng(), shape(d), BOOL)], error=flow.DTypeError)


def _register_unary():
    for op in _UFLOAT:
        b = unary_float_builder(op, getattr(flow, op))
        spec(f"flowkit.{op}", b, True)
        spec(f"Tensor.{op}", unary_float_builder(op, method(op)), True)
    for alias, op in _UFLOAT_ALIASES.items():
        spec(f"flowkit.{alias}", unary_float_builder(op, getattr(flow, alias)), True)
        spec(f"Tensor.{alias}", unary_float_builder(op, method(alias)), True)
    for op in _UKEEP:
        bad = op in _UKEEP_NO_BOOL
        spec(
            f"flowkit.{op}",
            unary_keep_builder(op, getattr(flow, op)),
            True,
            unary_bool_invalid(getattr(flow, op)) if bad else None,
        )
        spec(
            f"Tensor.{op}",
            unary_keep_builder(op, method(op)),
            True,
            unary_bool_invalid(method(op)) if bad else None,
        )
    spec(
        "Tensor.__neg__",
        unary_keep_builder("neg", operator.neg),
        True,
        unary_bool_invalid(operator.neg),
    )
    spec("Tensor.__abs__", unary_keep_builder("abs", abs), True)
    for name in ("sigmoid", "tanh"):
        spec(f"F.{name}", unary_float_builder(name, getattr(F, name)), True)

    def relu_f(d):
        c = unary_keep_builder("relu", F.relu)(d)
        if d.bool():
            c.fn = lambda x: F.relu(x, inplace=False)
        return c

    spec("F.relu", relu_f, True, unary_bool_invalid(F.relu))

    def round_decimals(call):
        def build(d):
            dt = d.choice(FLOATS)
            k = d.choice((1, 2, -1))
            a = values(d.rng(), shape(d), dt)
            return Case(
                lambda x: call(x, k),
                [a],
                lambda x: np.round(x, k),
                label=f"round {dt}{a.shape} decimals={k}",
            )

        return build

    def round_invalid(call):
        return lambda d: Case(
            lambda x: call(x, 1), [values(d.rng(), shape(d), d.choice(INTS))], error=flow.DTypeError
        )

    spec(
        "flowkit.round[decimals]",
        round_decimals(lambda x, k: flow.round(x, decimals=k)),
        True,
        round_invalid(lambda x, k: flow.round(x, k)),
    )
    spec(
        "Tensor.round[decimals]",
        round_decimals(lambda x, k: x.round(k)),
        True,
        round_invalid(lambda x, k: x.round(decimals=k)),
    )

    # predicates: any dtype in, bool out; floats with nan and inf mixed in
    preds = {
        "isnan": np.isnan,
        "isinf": np.isinf,
        "isfinite": np.isfinite,
        "logical_not": np.logical_not,
    }
    for op, fn in preds.items():

        def build(d, op=op, fn=fn, call=None):
            dt = d.choice(ALL)
            a = values(d.rng(), shape(d), dt, "special")
            return Case(call, [a], lambda x: fn(x), label=f"{op} {dt}{a.shape}")

        spec(f"flowkit.{op}", functools.partial(build, call=getattr(flow, op)))
        spec(f"Tensor.{op}", functools.partial(build, call=method(op)))

    def bitwise_not(call):
        def build(d):
            dt = d.choice(INTS + (BOOL, U8, I8))
            a = values(d.rng(), shape(d), dt)
            return Case(call, [a], lambda x: np.invert(x), label=f"~ {dt}{a.shape}")

        return build

    def bitwise_not_invalid(call):
        return lambda d: Case(
            call, [values(d.rng(), shape(d), d.choice(FLOATS))], error=flow.DTypeError
        )

    for name, call in (
        ("flowkit.bitwise_not", flow.bitwise_not),
        ("Tensor.bitwise_not", lambda x: x.bitwise_not()),
        ("Tensor.__invert__", operator.invert),
    ):
        spec(name, bitwise_not(call), False, bitwise_not_invalid(call))


_register_unary()


# ============================================================================ frac, clamp_min/max
def _frac_builder(call):
    def build(d: Draw) -> Case:
        dt = d.choice(FLOATS)
        a = (values(d.rng(), shape(d), dt) * 3).astype(dt)
        return Case(call, [a], lambda x: x - np.trunc(x), label=f"frac {dt}{a.shape}")

    return build


def _frac_invalid(call):
    return lambda d: Case(
        call, [values(d.rng(), shape(d), d.choice(INTS + (BOOL,)))], error=flow.DTypeError
    )


def clamp_one_builder(which: str, call):
    """``clamp_min(x, bound)`` / ``clamp_max(x, bound)``: a number or a broadcasting tensor."""
    pick = np.maximum if which == "min" else np.minimum

    def ref(v, b):
        rt = result_dtype(v, b)
        return pick(as_dt(v, rt), as_dt(b, rt))

    def build(d: Draw) -> Case:
        rng = d.rng()
        dt = d.choice(NUM)
        if d.bool():
            b = d.choice((-0.5, 0.7, 1, -1))
            x = values(rng, shape(d), dt)
            return Case(lambda t: call(t, b), [x], lambda v: ref(v, b), label=f"{dt} {b!r}")
        sa, sb = bcast_pair(d)
        bdt = dt if d.int(0, 2) else d.choice(NUM)
        return Case(
            lambda t, m: call(t, m),
            [values(rng, sa, dt), values(rng, sb, bdt)],
            ref,
            label=f"{dt}{sa} {bdt}{sb}",
        )

    return build


def clamp_one_invalid(call):
    def build(d: Draw) -> Case:
        if d.bool():
            return Case(lambda t: call(t, 0), [np.array([True, False])], error=flow.DTypeError)
        return Case(
            lambda t, m: call(t, m),
            [np.zeros((2, 3), np.float32), np.zeros((4,), np.float32)],
            error=flow.ShapeError,
        )

    return build


def _softmax_builder(d: Draw) -> Case:
    from .nn_functional import ref_softmax

    dt = d.choice(FLOATS)
    x = values(d.rng(), shape(d, zero=False) or (3,), dt)
    dim = d.int(-x.ndim, x.ndim - 1)
    return Case(
        lambda t: flow.softmax(t, dim=dim),
        [x],
        lambda a: ref_softmax(a, dim),
        label=f"softmax {dt}{x.shape} dim={dim}",
    )


def _close_pair(d: Draw, dts=FLOATS):
    """Two arrays of one dtype, broadcasting, close or not (nan and inf mixed in for floats)."""
    rng = d.rng()
    dt = d.choice(dts)
    sa, sb = bcast_pair(d)
    a = values(rng, sa, dt, "special" if dt.kind == "f" and d.bool() else "any")
    if d.bool():
        b = np.broadcast_to(a, np.broadcast_shapes(sa, sb))
        if dt.kind == "f":
            with np.errstate(all="ignore"):
                b = b * (1 + d.choice((1e-7, 1e-2)))
        b = np.array(b).astype(dt)
    else:
        b = values(rng, sb, dt)
    kw = d.choice(
        ({}, {"rtol": 1e-3}, {"atol": 0.5}, {"rtol": 0.0, "atol": 0.0}, {"equal_nan": True})
    )
    return a, b, kw


def _isclose_builder(call):
    def build(d: Draw) -> Case:
        a, b, kw = _close_pair(d, FLOATS + INTS)
        return Case(
            lambda x, y: call(x, y, **kw),
            [a, b],
            lambda x, y: np.isclose(x, y, **kw),
            label=f"isclose {a.dtype}{a.shape} {b.shape} {kw}",
        )

    return build


def _isclose_invalid(call):
    def build(d: Draw) -> Case:
        kind = d.choice(("dtype", "shape", "tol"))
        if kind == "dtype":  # as in PyTorch: convert one first
            arrays = [np.zeros(3, np.float32), np.zeros(3, np.int64)]
            return Case(lambda x, y: call(x, y), arrays, error=flow.DTypeError)
        if kind == "shape":
            arrays = [np.zeros((2, 3), np.float32), np.zeros((4,), np.float32)]
            return Case(lambda x, y: call(x, y), arrays, error=flow.ShapeError)
        arrays = [np.zeros(3, np.float32), np.zeros(3, np.float32)]
        return Case(lambda x, y: call(x, y, rtol=-1.0), arrays, error=flow.ArgumentValueError)

    return build


def _allclose_method(d: Draw) -> Case:
    a, b, kw = _close_pair(d)
    return Case(
        lambda x, y: x.allclose(y, **kw),
        [a, b],
        lambda x, y: bool(np.allclose(x, y, **kw)),
        label=f"allclose {a.dtype}{a.shape} {b.shape} {kw}",
    )


def _equal_builder(call):
    def build(d: Draw) -> Case:
        rng = d.rng()
        da = d.choice(ALL)
        db = da if d.int(0, 2) else d.choice(ALL)
        sa = shape(d)
        sb = sa if d.int(0, 2) else shape(d)
        a = values(rng, sa, da)
        b = a.astype(db) if sa == sb and d.bool() else values(rng, sb, db)
        return Case(
            lambda x, y: call(x, y),
            [a, b],
            lambda x, y: x.shape == y.shape and bool(np.array_equal(x, y)),
            label=f"equal {da}{sa} {db}{sb}",
        )

    return build


def _equal_invalid(call):
    return lambda d: Case(lambda x: call(x, [1.0]), [np.zeros(1, np.float32)], error=TypeError)


def _register_more():
    spec("flowkit.softmax", _softmax_builder, True)
    for name, call in (("flowkit.isclose", flow.isclose), ("Tensor.isclose", method("isclose"))):
        spec(name, _isclose_builder(call), False, _isclose_invalid(call))
    spec("Tensor.allclose", _allclose_method)
    for name, call in (("flowkit.equal", flow.equal), ("Tensor.equal", method("equal"))):
        spec(name, _equal_builder(call), False, _equal_invalid(call))
    for name, call in (("flowkit.frac", flow.frac), ("Tensor.frac", method("frac"))):
        spec(name, _frac_builder(call), True, _frac_invalid(call))
    for which in ("min", "max"):
        op = f"clamp_{which}"
        for name, call in ((f"flowkit.{op}", getattr(flow, op)), (f"Tensor.{op}", method(op))):
            spec(name, clamp_one_builder(which, call), True, clamp_one_invalid(call))
    spec(
        "flowkit.arctan2",
        binary_builder("atan2", "tt", flow.arctan2),
        True,
        binary_invalid("atan2", flow.arctan2),
    )
    spec(
        "Tensor.arctan2",
        binary_builder("atan2", "tt", method("arctan2")),
        True,
        binary_invalid("atan2", method("arctan2"), numpy_left=False),
    )


_register_more()

# dtype edges with no reference (the backends must agree): bool through dtype-keeping ops,
# integers to negative integer powers
for _op in ("neg", "abs", "relu", "sign", "floor", "ceil", "round", "square"):
    edge(f"bool.{_op}", (lambda op: lambda x: getattr(x, op)())(_op), np.array([True, False]))
edge("bool.sub", lambda x, y: x - y, np.array([True, False]), np.array([True, True]))
edge("bool.rsub", lambda x: True - x, np.array([True, False]))
edge("int.pow.negative_number", lambda x: x**-1, np.array([1, 2, -1]))
edge("int.pow.negative_tensor", lambda x, y: x**y, np.array([1, 2, 3]), np.array([-1, 2, -2]))
edge("int.rpow.negative", lambda x: 2**x, np.array([-1, 2]))
edge("bool.div", lambda x, y: x / y, np.array([True, False]), np.array([True, True]))
edge("bool.floor_divide", lambda x, y: x // y, np.array([True, False]), np.array([True, True]))
edge("bool.remainder", lambda x, y: x % y, np.array([True, False]), np.array([True, True]))
edge("bool.pow", lambda x: x**2, np.array([True, False]))
edge(
    "bool.pow_bool", lambda x, y: (x**y, x ** y[0]), np.array([True, False]), np.array([True, True])
)
edge("bool.pow_bool_number", lambda x: x**True, np.array([True, False]))
edge("bool.rpow_bool", lambda x: True**x, np.array([True, False]))
edge("bool.clamp", lambda x: x.clamp(0, 1), np.array([True, False]))
edge("int.div_zero", lambda x, y: x / y, np.array([1, 0, -1]), np.array([0, 0, 0]))
edge("int.floor_divide_zero", lambda x, y: x // y, np.array([1, 2]), np.array([0, 1]))
edge("int.remainder_zero", lambda x: x % 0, np.array([1, 2]))
edge("int.rfloordiv_zero", lambda x: 3 // x, np.array([1, 0]))
edge("float.floor_divide_zero", lambda x: x // 0.0, np.array([1.0, -1.0, 0.0]))
edge("float.remainder_zero", lambda x: x % 0.0, np.array([1.0, -1.0]))
edge("uint8.neg", lambda x: -x, np.array([1, 2], np.uint8))
edge("uint8.sub_wrap", lambda x, y: x - y, np.array([1, 2], np.uint8), np.array([3, 1], np.uint8))
edge("int8.add_overflow", lambda x, y: x + y, np.array([100], np.int8), np.array([100], np.int8))
edge("int.sqrt_negative", lambda x: x.sqrt(), np.array([-4, 4]))
edge("float.log_negative", lambda x: x.log(), np.array([-1.0, 0.0, 1.0]))
edge(
    "float16.add",
    lambda x, y: x + y,
    np.array([1.5, 2.25], np.float16),
    np.array([0.1, 1e4], np.float16),
)
edge(
    "float16.mul_float32",
    lambda x, y: x * y,
    np.array([1.5], np.float16),
    np.array([3.0], np.float32),
)
edge("float16.exp", lambda x: x.exp(), np.array([1.5, -2.0], np.float16))
edge("float16.sum", lambda x: x.sum(), np.array([1.5, -2.0, 7.0], np.float16))

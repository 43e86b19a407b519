"""The core of the conformance kit: choices, cases, specs, the numpy reference's dtype rules,
and the checks that run a case on the backend of this process.

Every public op (``flowkit.*`` functions, tensor methods and operators, creation functions and
``flowkit.nn.functional``) has a `Spec`, registered by the modules of
`flowkit.testing.conformance.cases`: a builder that turns a stream of choices (a `Draw`) into a
`Case` -- a function over the *public* API, its input arrays and an
independent numpy reference. The same builders serve two drivers:

* hypothesis (`HypDraw`): the property-based checks of the kit
  (`flowkit.testing.conformance.suite`), on the backend of the pytest process: forward
  values/dtypes/shapes against the numpy reference, float64 gradients against central finite
  differences, error types of invalid inputs;
* a seeded numpy generator (`RngDraw`): the fixed cross-backend set, run as
  ``python -m flowkit.testing.conformance dump OUT.pkl`` in one child process per backend (a
  process has one backend) and compared by flowkit's own test suite.

The references are plain numpy formulas of PyTorch's semantics (which flowkit follows),
including PyTorch's type promotion; they never call flowkit's backend code. Builders only use
numpy (never flowkit), so a case is the same on every backend.
"""

from __future__ import annotations

import functools
import math
import pickle
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import flowkit as flow
from flowkit.errors import BackendNotImplementedError

F = flow.nn.functional


# ============================================================================ choices
class Draw:
    """A source of choices; builders call only these methods.

    ``for_grad``: the case is for a gradient check, so a choice among dtypes keeps the float
    ones and shapes have no zero-size dimension (those gradients would be vacuous)."""

    for_grad = False

    def int(self, lo: int, hi: int) -> int:  # inclusive bounds
        raise NotImplementedError

    def choice(self, seq):
        seq = list(seq)
        if (
            self.for_grad
            and seq
            and all(isinstance(x, np.dtype) for x in seq)
            and any(x.kind == "f" for x in seq)
        ):
            seq = [x for x in seq if x.kind == "f"]
        return self._choice(seq)

    def _choice(self, seq):
        raise NotImplementedError

    def bool(self) -> bool:
        return bool(self.choice((False, True)))

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.int(0, 2**32 - 1))


class HypDraw(Draw):
    """Choices from hypothesis (``st.data()``): shrinkable, derandomized in CI."""

    def __init__(self, data, for_grad: bool = False):
        from hypothesis import strategies as st

        self._data, self._st, self.for_grad = data, st, for_grad

    def int(self, lo, hi):
        return self._data.draw(self._st.integers(lo, hi))

    def _choice(self, seq):
        return self._data.draw(self._st.sampled_from(seq))

    def bool(self):
        return self._data.draw(self._st.booleans())


class RngDraw(Draw):
    """Choices from a seeded numpy generator: the cross-backend set."""

    def __init__(self, seed: int, for_grad: bool = False):
        self._r = np.random.default_rng(seed)
        self.for_grad = for_grad

    def int(self, lo, hi):
        return int(self._r.integers(lo, hi + 1))

    def _choice(self, seq):
        return seq[int(self._r.integers(len(seq)))]


# ============================================================================ cases
@dataclass
class Case:
    """One call of an op.

    ``fn(*tensors)`` runs it through the public API on ``flow.tensor(a)`` of each array;
    ``ref(*arrays)`` is the expected result (numpy arrays carry the expected dtype; Python
    values compare by type and value; `Named` for ``(values, indices)`` results).
    ``error``: the exception type the call must raise instead (an invalid input).
    """

    fn: Callable
    arrays: list
    ref: Callable | None = None
    error: type[BaseException] | tuple[type[BaseException], ...] | None = None
    check: Callable | None = None  # check(out, arrays): properties, for random results
    grad: bool = True  # differentiate (if the spec is differentiable): False for lossy casts
    diff: tuple | None = None  # which inputs to differentiate (default: every float input)
    grad_fix: Callable | None = None  # grad_fix(fd_grads, arrays) -> expected gradients
    rtol: float | None = None  # forward tolerances (default: per dtype)
    atol: float | None = None
    fd_eps: float = 1e-6
    fd_rtol: float = 1e-5
    fd_atol: float = 1e-6
    seed: int = 0  # flow.manual_seed(seed) before every call (random ops, dropout)
    label: str = ""

    def __post_init__(self):
        self.arrays = [np.asarray(a) for a in self.arrays]  # 0-d results of numpy are scalars


@dataclass
class Spec:
    name: str  # "flowkit.add", "Tensor.__add__", "F.conv2d", ...
    build: Callable[[Draw], Case]
    grad: bool = False  # float64 gradients checked against finite differences
    invalid: Callable[[Draw], Case] | None = None  # invalid inputs: the error type


SPECS: dict[str, Spec] = {}
EDGE: dict[str, Callable[[], Case]] = {}  # cross-backend only: no reference, the backends agree


def spec(name: str, build, grad: bool = False, invalid=None) -> None:
    """Register the case builder of one public op entry point (a variant of an entry point
    takes a ``[suffix]``: ``"flowkit.round[decimals]"``)."""
    assert name not in SPECS, name
    SPECS[name] = Spec(name, build, grad, invalid)


def op_of(spec_name: str) -> str:
    """The public op a spec checks.

    Examples:
        >>> from flowkit.testing.conformance.core import op_of
        >>> op_of("flowkit.round[decimals]"), op_of("Tensor.__add__")
        ('flowkit.round', 'Tensor.__add__')
    """
    return spec_name.split("[")[0]


def edge(name: str, fn: Callable, *arrays) -> None:
    assert name not in EDGE, name
    EDGE[name] = lambda: Case(fn, [np.asarray(a) for a in arrays])


@dataclass
class Named:
    """Expected ``flowkit.return_types.<name>(values, indices)``."""

    name: str
    items: tuple


# ============================================================================ dtypes (reference)
# PyTorch's promotion, written out here independently of flowkit.dtypes: float beats int beats
# bool; within a kind the wider type wins; uint8 with int8 gives int16. Tensors with dimensions
# decide; a 0-d tensor only when its kind is higher; a Python number only lifts the kind (to
# int64 or float32).
F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
I8, I16, I32, I64, U8 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8))
BOOL = np.dtype(np.bool_)
FLOATS = (F32, F64)
INTS = (I32, I64)
NUM = FLOATS + INTS
ALL = NUM + (BOOL,)


def _kind(dt) -> int:
    dt = np.dtype(dt)
    return 0 if dt.kind == "b" else (2 if dt.kind == "f" else 1)


def promote(a, b) -> np.dtype:
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        return a if ka > kb else b
    if ka == 1 and U8 in (a, b):
        other = b if a == U8 else a
        return I16 if other == I8 else other
    return a if a.itemsize >= b.itemsize else b


def _scalar_dtype(s) -> np.dtype:
    """Python (and numpy) numbers are weak: they only lift the kind, to bool/int64/float32."""
    if isinstance(s, (bool, np.bool_)):
        return BOOL
    return F32 if isinstance(s, (float, np.floating)) else I64


def result_dtype(*operands) -> np.dtype:
    dimmed = [o.dtype for o in operands if isinstance(o, np.ndarray) and o.ndim]
    zero_d = [o.dtype for o in operands if isinstance(o, np.ndarray) and not o.ndim]
    res = functools.reduce(promote, dimmed) if dimmed else None
    if zero_d:
        z = functools.reduce(promote, zero_d)
        if res is None or _kind(z) > _kind(res):
            res = z
    for s in operands:
        if not isinstance(s, np.ndarray):
            sd = _scalar_dtype(s)
            if res is None or _kind(sd) > _kind(res):
                res = sd
    assert res is not None, "result_dtype of no operands"
    return res


def as_dt(x, dt) -> np.ndarray:
    return np.asarray(x).astype(dt)


def f64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def float_out(dt) -> np.dtype:
    """The result dtype of a float function (exp, sqrt...) of a ``dt`` input."""
    return np.dtype(dt) if np.dtype(dt).kind == "f" else F32


# ============================================================================ values and shapes
SIDES = (2, 3, 1, 0, 2, 3, 1)  # a zero-size dimension now and then


def shape(d: Draw, min_nd=0, max_nd=3, zero=True, sides=SIDES) -> tuple:
    nd = d.int(min_nd, max_nd)
    zero = zero and not d.for_grad
    return tuple(d.choice(sides if zero else [s for s in sides if s]) for _ in range(nd))


def bcast_pair(d: Draw, zero=True, min_nd=0) -> tuple[tuple, tuple]:
    """Two shapes that broadcast: size-1 dimensions on either side, leading ones dropped."""
    base = shape(d, min_nd=min_nd, zero=zero)
    a, b = list(base), list(base)
    for i in range(len(base)):
        r = d.choice(("same", "same", "a1", "b1"))
        if r == "a1":
            a[i] = 1
        elif r == "b1":
            b[i] = 1
    k = d.int(0, len(base))
    if d.bool():
        a = a[k:]
    else:
        b = b[k:]
    return tuple(a), tuple(b)


def bad_pair(d: Draw) -> tuple[tuple, tuple]:
    """Two shapes that do not broadcast."""
    n = d.int(2, 3)
    m = d.choice([k for k in (2, 3, 4) if k != n])
    lead = shape(d, 0, 1, zero=False)
    return lead + (n,), (m,) if d.bool() else lead + (m,)


def values(rng: np.random.Generator, shp, dt, dom: str = "any") -> np.ndarray:
    """Random values of dtype ``dt`` in a domain: any, pos (> 0), nonzero, unit (|x| < 0.9),
    nonneg, special (floats with nan/inf mixed in)."""
    shp, dt = tuple(shp), np.dtype(dt)
    if dt.kind == "b":
        return np.asarray(rng.random(shp) < 0.5)
    if dt.kind == "f":
        if dom == "pos":
            a = rng.uniform(0.5, 2.0, shp)
        elif dom == "nonzero":
            a = rng.uniform(0.5, 2.0, shp) * rng.choice([-1.0, 1.0], shp)
        elif dom == "unit":
            a = rng.uniform(-0.9, 0.9, shp)
        elif dom == "nonneg":
            a = rng.uniform(0.0, 2.0, shp)
        else:
            a = rng.uniform(-2.0, 2.0, shp)
            if dom == "special":
                pick = rng.random(shp)
                a = np.where(pick < 0.15, np.nan, a)
                a = np.where((pick >= 0.15) & (pick < 0.25), np.inf, a)
                a = np.where((pick >= 0.25) & (pick < 0.3), -np.inf, a)
        return np.asarray(a).astype(dt)
    lo, hi = {"pos": (1, 5), "nonneg": (0, 4), "unit": (-1, 1)}.get(dom, (-4, 4))
    if dt == U8:
        lo, hi = max(lo, 0), hi + 2
    a = rng.integers(lo, hi + 1, shp)
    if dom == "nonzero":
        a = np.where(a == 0, 1, a)
    return np.asarray(a).astype(dt)


def dims_arg(d: Draw, nd: int, tuples: bool = True, none: bool = True):
    """None, one dim (maybe negative) or a tuple of distinct dims (maybe negative)."""
    n = max(nd, 1)
    opts = ["one"] + (["none"] if none else []) + (["tuple"] if tuples and nd else [])
    kind = d.choice(opts)
    if kind == "none":
        return None
    if kind == "one":
        return d.int(-n, n - 1)
    k = d.int(1, nd)
    picked = []
    for _ in range(k):
        dd = d.int(0, nd - 1)
        if dd not in picked:
            picked.append(dd)
    return tuple(p - nd if d.bool() else p for p in picked)


def norm_dims(dim, nd):
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(x % max(nd, 1) for x in dims) if nd else ()


# ============================================================================ running a case
def method(name: str):
    """``t.<name>(*args, **kwargs)`` as a function of the tensor."""
    return lambda t, *a, **k: getattr(t, name)(*a, **k)


def to_tensors(arrays, requires_grad=()):
    return [flow.tensor(a, requires_grad=i in requires_grad) for i, a in enumerate(arrays)]


def run(case: Case, arrays=None, requires_grad=()):
    flow.manual_seed(case.seed)
    return case.fn(*to_tensors(case.arrays if arrays is None else arrays, requires_grad))


def normalize(out):
    """A result as plain data: tensors as (dtype name, shape, values); sequences; numbers."""
    if isinstance(out, flow.Tensor):
        return ("T", out.dtype.name, tuple(out.shape), np.array(out.numpy(), copy=True))
    if isinstance(out, Named):
        return ("seq", out.name, [normalize(x) for x in out.items])
    if isinstance(out, (np.ndarray, np.generic)):
        a = np.asarray(out)
        return ("T", a.dtype.name, a.shape, a.copy())
    if isinstance(out, (tuple, list)):
        kind = (
            type(out).__name__
            if type(out).__module__ == "flowkit.return_types"
            else ("list" if isinstance(out, list) else "tuple")
        )
        if kind in ("tuple", "list") and _is_plain(out):
            return ("py", kind, _plain(out))  # Size, tolist(): plain Python values
        return ("seq", kind, [normalize(x) for x in out])
    if out is None or isinstance(out, (bool, int, float, str)):
        return ("py", type(out).__name__, out)
    return ("py", type(out).__name__, repr(out))


def _is_plain(v) -> bool:
    if isinstance(v, (tuple, list)):
        return all(_is_plain(x) for x in v)
    return isinstance(v, (bool, int, float, str)) or v is None


def _plain(v):
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    return v


DEFAULT_TOL = {"float64": (1e-10, 1e-12), "float32": (2e-5, 2e-6), "float16": (2e-3, 2e-3)}


def mismatch(got, exp, rtol=None, atol=None, path="out") -> str | None:
    """Why normalized ``got`` differs from ``exp`` (None if they agree)."""
    if got[0] != exp[0]:
        return f"{path}: {got[0]} result, expected {exp[0]} ({got!r:.200} vs {exp!r:.200})"
    if got[0] == "py":
        if got[1] != exp[1]:
            return f"{path}: a Python {got[1]}, expected {exp[1]}"
        if not _py_equal(got[2], exp[2], rtol):
            return f"{path}: {got[2]!r} != expected {exp[2]!r}"
        return None
    if got[0] == "seq":
        if got[1] != exp[1] or len(got[2]) != len(exp[2]):
            return f"{path}: {got[1]} of {len(got[2])}, expected {exp[1]} of {len(exp[2])}"
        for i, (g, e) in enumerate(zip(got[2], exp[2])):
            why = mismatch(g, e, rtol, atol, f"{path}[{i}]")
            if why:
                return why
        return None
    _, gd, gs, gv = got
    _, ed, es, ev = exp
    if gd != ed:
        return f"{path}: dtype {gd}, expected {ed}"
    if tuple(gs) != tuple(es):
        return f"{path}: shape {tuple(gs)}, expected {tuple(es)}"
    if ev.dtype.kind == "f":
        r, a = DEFAULT_TOL.get(ed, (1e-5, 1e-6))
        r = r if rtol is None else rtol
        a = a if atol is None else atol
        fin = np.isfinite(ev)
        scale = max(1.0, float(np.max(np.abs(ev[fin])))) if fin.any() else 1.0
        gv64, ev64 = gv.astype(np.float64), ev.astype(np.float64)
        ok = np.isclose(gv64, ev64, rtol=r, atol=a * scale, equal_nan=True)
        if not ok.all():
            bad = np.argwhere(~ok)[:3].tolist()
            return (
                f"{path}: values differ at {bad} (rtol={r}, atol={a * scale:.3g}):\n"
                f"got      {np.array2string(gv.reshape(-1)[:12], precision=12)}\n"
                f"expected {np.array2string(ev.reshape(-1)[:12], precision=12)}"
            )
        return None
    if not np.array_equal(gv, ev):
        return f"{path}: values differ:\ngot      {gv!r:.300}\nexpected {ev!r:.300}"
    return None


def _py_equal(a, b, rtol):
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_py_equal(x, y, rtol) for x, y in zip(a, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=rtol or 1e-6, abs_tol=1e-7)
    return a == b


def error_name(exc: BaseException) -> str:
    t = type(exc)
    return f"{t.__module__}.{t.__qualname__}"


def float_outputs(out) -> list:
    """The floating-point tensors of a result (a tensor, a tuple of them, a named tuple)."""
    if isinstance(out, flow.Tensor):
        return [out] if out.dtype.is_floating_point else []
    if isinstance(out, (tuple, list)):
        return [t for x in out for t in float_outputs(x)]
    return []


def grad_arrays(case: Case):
    """The case's inputs with every float array made float64."""
    return [a.astype(np.float64) if a.dtype.kind == "f" else a for a in case.arrays]


def diff_indices(case: Case, arrays) -> list[int]:
    idx = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    if case.diff is not None:
        idx = [i for i in idx if i in case.diff]
    return idx


def cotangents(out, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(tuple(t.shape)) for t in float_outputs(out)]


def autograd(case: Case, arrays, diff):
    """(output, cotangents, gradients) of ``sum(out_i * cot_i)`` through backward()."""
    leaves = to_tensors(arrays, requires_grad=set(diff))
    flow.manual_seed(case.seed)
    out = case.fn(*leaves)
    outs = [o for o in float_outputs(out)]
    # outputs that do not require grad (updated running statistics) take no part
    cots = [c if o.requires_grad else np.zeros_like(c) for o, c in zip(outs, cotangents(out))]
    total = None
    for o, c in zip(outs, cots):
        if o.requires_grad:
            term = (o * flow.tensor(c, dtype=o.dtype)).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()
    grads = []
    for i in diff:
        g = leaves[i].grad
        grads.append(
            None
            if g is None
            else ("T", g.dtype.name, tuple(g.shape), np.array(g.numpy(), copy=True))
        )
    return out, cots, grads


FD_FULL = 24  # inputs with at most this many elements get a full finite-difference gradient


def finite_differences(case: Case, arrays, diff, cots, grads_seen):
    """Central finite differences of ``sum(out_i * cot_i)``: the full gradient of each small
    input; for a larger one, its directional derivatives along three random directions (they
    are compared with the autograd gradient projected on the same directions)."""

    def f(arrs):
        with flow.no_grad():
            flow.manual_seed(case.seed)
            o = case.fn(*to_tensors(arrs))
        return float(
            sum((t.numpy().astype(np.float64) * c).sum() for t, c in zip(float_outputs(o), cots))
        )

    eps = case.fd_eps
    results: list[tuple] = []
    rng = np.random.default_rng(7)
    for i in diff:
        a = arrays[i]
        if a.size <= FD_FULL:
            num = np.zeros(a.shape)
            for idx in np.ndindex(a.shape):
                arrs = list(arrays)
                p, m = a.copy(), a.copy()
                p[idx] += eps
                m[idx] -= eps
                arrs[i] = p
                fp = f(arrs)
                arrs[i] = m
                num[idx] = (fp - f(arrs)) / (2 * eps)
            results.append(("full", num))
        else:
            dirs, nums = [], []
            for _ in range(3):
                v = rng.standard_normal(a.shape)
                arrs = list(arrays)
                arrs[i] = a + eps * v
                fp = f(arrs)
                arrs[i] = a - eps * v
                nums.append((fp - f(arrs)) / (2 * eps))
                dirs.append(v)
            results.append(("dirs", dirs, np.array(nums)))
    return results


def check_gradients(case: Case) -> None:
    """Autograd gradients (float64) equal central finite differences, through the public API."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _check_gradients(case)


def _check_gradients(case: Case) -> None:
    arrays = grad_arrays(case)
    diff = diff_indices(case, arrays)
    if not diff:
        return
    out, cots, grads = autograd(case, arrays, diff)
    if not all(np.isfinite(t.numpy()).all() for t in float_outputs(out)):
        return  # nan/inf results (the mean of nothing): no derivative to compare
    fd = finite_differences(case, arrays, diff, cots, grads)
    if case.grad_fix is not None:
        fd = case.grad_fix(fd, arrays, diff)
    for i, g, num in zip(diff, grads, fd):
        a = arrays[i]
        if g is None:  # no gradient reached the input: only right when it does not matter
            g = ("T", "float64", a.shape, np.zeros(a.shape))
            assert not np.any(num[1] if num[0] == "full" else num[2]), (
                f"input {i} got no gradient (None), but finite differences say it matters"
            )
        _, gd, gs, gv = g
        assert gd == "float64", f"input {i}: gradient dtype {gd}"
        assert tuple(gs) == a.shape, f"input {i}: gradient shape {gs}, input shape {a.shape}"
        if num[0] == "full":
            np.testing.assert_allclose(
                gv,
                num[1],
                rtol=case.fd_rtol,
                atol=case.fd_atol,
                err_msg=f"gradient of input {i} vs finite differences",
            )
        else:
            proj = np.array([(gv * v).sum() for v in num[1]])
            np.testing.assert_allclose(
                proj,
                num[2],
                rtol=case.fd_rtol,
                atol=case.fd_atol * max(1.0, np.abs(num[2]).max()),
                err_msg=f"gradient of input {i} along random directions",
            )


def check_forward(case: Case) -> None:
    """Values, dtype and shape of the result against the numpy reference (or properties)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = run(case)
        got = normalize(out)
        if case.check is not None:
            case.check(out, case.arrays)
        if case.ref is not None:
            exp = normalize(case.ref(*case.arrays))
            why = mismatch(got, exp, case.rtol, case.atol)
            assert why is None, f"{case.label}\n{why}"


def check_forward_with_grad(case: Case) -> None:
    """The forward check with every float input requiring grad (grad mode changes the path)."""
    assert case.ref is not None, "a forward check needs the case's reference"
    arrays = grad_arrays(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = run(case, arrays, requires_grad=set(diff_indices(case, arrays)))
        why = mismatch(normalize(out), normalize(case.ref(*arrays)), case.rtol, case.atol)
    assert why is None, why


def check_gradient_values(case: Case) -> None:
    """Gradients of ``out.sum()`` (float64) at points where finite differences cannot decide
    (kinks, 0 ** 0): ``case.ref`` gives PyTorch's values, one array per float input."""
    assert case.ref is not None, "a gradient-values check needs the case's reference"
    arrays = grad_arrays(case)
    diff = diff_indices(case, arrays)
    leaves = to_tensors(arrays, requires_grad=set(diff))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        case.fn(*leaves).sum().backward()
    for i, want in zip(diff, case.ref(*arrays)):
        g = leaves[i].grad
        assert g is not None, f"input {i} got no gradient"
        np.testing.assert_allclose(
            g.numpy(), want, rtol=1e-10, atol=1e-12, err_msg=f"gradient of input {i}"
        )


def check_error(case: Case) -> None:
    """The invalid input raises ``case.error`` (an op the backend does not implement raises
    [`BackendNotImplementedError`][flowkit.errors.BackendNotImplementedError], which passes through:
    it is not the error the case asks for, even where that is ``NotImplementedError``)."""
    assert case.error is not None, "an invalid-input check needs the error the case expects"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            out = run(case)
        except BackendNotImplementedError:
            raise
        except case.error:
            return
        raise AssertionError(
            f"{case.label or 'the call'}: expected "
            f"{_names(case.error)}, but it returned {normalize(out)!r:.300}"
        )


def _names(error) -> str:
    errs = error if isinstance(error, tuple) else (error,)
    return " or ".join(e.__name__ for e in errs)


# ============================================================================ cross-backend record
def record(case: Case, with_grad: bool) -> dict:
    """What one backend does with a case: the result or the error type; float64 gradients."""
    rec = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            rec["out"] = normalize(run(case))
        except Exception as exc:  # noqa: BLE001 - the error type is the result
            rec["out"] = ("err", error_name(exc))
        if with_grad and rec["out"][0] != "err":
            arrays = grad_arrays(case)
            diff = diff_indices(case, arrays)
            if diff:
                try:
                    _, _, grads = autograd(case, arrays, diff)
                    rec["grad"] = (
                        "seq",
                        "grads",
                        [("py", "NoneType", None) if g is None else g for g in grads],
                    )
                except Exception as exc:  # noqa: BLE001
                    rec["grad"] = ("err", error_name(exc))
    return rec


SEEDS_PER_SPEC = 2


@dataclass
class Finding:
    """A disagreement or bug found by this suite, pinned as one exact case (and kept out of the
    property strategies, which stay green): the lead fixes the library, the xfail turns XPASS."""

    id: str
    reason: str
    build: Callable[[], Case]
    check: str | None  # forward / forward_with_grad / gradient_values; None: cross only
    fails_on: tuple = ()  # backends whose reference check fails
    cross: bool = True  # the backends disagree on it


FINDINGS: dict[str, Finding] = {}


def finding(id, reason, build, check, fails_on=(), cross=True):
    assert id not in FINDINGS, id
    FINDINGS[id] = Finding(id, reason, build, check, tuple(fails_on), cross)


def case_seed(name: str, k: int) -> int:
    return zlib.crc32(f"{name}#{k}".encode()) + k


def dump(path: str) -> None:
    """Run the fixed cross-backend set on this process's backend and pickle what happened."""
    res: dict = {"backend": flow.backend().name}
    for name in sorted(SPECS):
        s = SPECS[name]
        for k in range(SEEDS_PER_SPEC):
            try:
                case = s.build(RngDraw(case_seed(name, k)))
            except Exception as exc:  # noqa: BLE001 - a builder bug shows up as a disagreement
                res[(name, k, "build")] = {"out": ("err", "build:" + error_name(exc))}
                continue
            res[(name, k, "valid")] = record(case, False)
            if s.grad:  # gradients on a case drawn for them (float dtypes, no empty tensors)
                gcase = s.build(RngDraw(case_seed(name + "'", k), for_grad=True))
                if gcase.grad:
                    res[(name, k, "grad")] = record(gcase, True)
            if s.invalid is not None:
                bad = s.invalid(RngDraw(case_seed(name + "!", k)))
                res[(name, k, "invalid")] = record(bad, False)
    for name in sorted(EDGE):
        res[("edge", name)] = record(EDGE[name](), True)
    for fid in sorted(FINDINGS):
        res[("finding", fid)] = record(FINDINGS[fid].build(), True)
    with open(path, "wb") as fh:
        pickle.dump(res, fh)


def compare_records(a: dict, b: dict) -> str | None:
    for part in ("out", "grad"):
        if (part in a) != (part in b):
            return f"{part}: recorded on one backend only"
        if part not in a:
            continue
        ga, gb = a[part], b[part]
        if ga[0] == "err" or gb[0] == "err":
            if ga != gb:
                return (
                    f"{part}: {ga[1] if ga[0] == 'err' else 'a result'} vs "
                    f"{gb[1] if gb[0] == 'err' else 'a result'}"
                )
            continue
        why = mismatch(ga, gb, path=part)  # DEFAULT_TOL: float64 1e-10, float32 2e-5; exact ints
        if why:
            return why
    return None

"""Op cases of the backend conformance suite (``tests/test_conformance.py``).

Every public op (``flowkit.*`` functions, tensor methods and operators, creation functions and
``flowkit.nn.functional``) has a :class:`Spec` here: a builder that turns a stream of choices
(a :class:`Draw`) into a :class:`Case` -- a function over the *public* API, its input arrays and
an independent numpy reference. The same builders serve two drivers:

* hypothesis (``HypDraw``): the property-based tests of test_conformance.py, on the backend of
  the pytest process: forward values/dtypes/shapes against the numpy reference, float64
  gradients against central finite differences, error types of invalid inputs;
* a seeded numpy generator (``RngDraw``): the fixed cross-backend set, run as
  ``python tests/conformance_cases.py dump OUT.pkl`` in one child process per backend (a process
  has one backend) and compared by test_conformance.py.

The references below are plain numpy formulas of PyTorch's semantics (which flowkit follows),
including PyTorch's type promotion; they never call flowkit's backend code. Builders only use
numpy (never flowkit), so a case is the same on every backend.
"""

from __future__ import annotations

import functools
import math
import operator
import pickle
import sys
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import flowkit as flow

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
        if self.for_grad and seq and all(isinstance(x, np.dtype) for x in seq) and any(
                x.kind == "f" for x in seq):
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
    values compare by type and value; :class:`Named` for ``(values, indices)`` results).
    ``error``: the exception type the call must raise instead (an invalid input).
    """

    fn: Callable
    arrays: list
    ref: Callable | None = None
    error: type | tuple | None = None
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
    assert name not in SPECS, name
    SPECS[name] = Spec(name, build, grad, invalid)


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
        kind = type(out).__name__ if type(out).__module__ == "flowkit.return_types" else (
            "list" if isinstance(out, list) else "tuple")
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
            return (f"{path}: {got[1]} of {len(got[2])}, expected {exp[1]} of "
                    f"{len(exp[2])}")
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
            return (f"{path}: values differ at {bad} (rtol={r}, atol={a * scale:.3g}):\n"
                    f"got      {np.array2string(gv.reshape(-1)[:12], precision=12)}\n"
                    f"expected {np.array2string(ev.reshape(-1)[:12], precision=12)}")
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
        grads.append(None if g is None else ("T", g.dtype.name, tuple(g.shape),
                                             np.array(g.numpy(), copy=True)))
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
        return float(sum((t.numpy().astype(np.float64) * c).sum()
                         for t, c in zip(float_outputs(o), cots)))

    eps = case.fd_eps
    results = []
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
                f"input {i} got no gradient (None), but finite differences say it matters")
        _, gd, gs, gv = g
        assert gd == "float64", f"input {i}: gradient dtype {gd}"
        assert tuple(gs) == a.shape, f"input {i}: gradient shape {gs}, input shape {a.shape}"
        if num[0] == "full":
            np.testing.assert_allclose(gv, num[1], rtol=case.fd_rtol, atol=case.fd_atol,
                                       err_msg=f"gradient of input {i} vs finite differences")
        else:
            proj = np.array([(gv * v).sum() for v in num[1]])
            np.testing.assert_allclose(proj, num[2], rtol=case.fd_rtol,
                                       atol=case.fd_atol * max(1.0, np.abs(num[2]).max()),
                                       err_msg=f"gradient of input {i} along random directions")


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
    arrays = grad_arrays(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = run(case, arrays, requires_grad=set(diff_indices(case, arrays)))
        why = mismatch(normalize(out), normalize(case.ref(*arrays)), case.rtol, case.atol)
    assert why is None, why


def check_gradient_values(case: Case) -> None:
    """Gradients of ``out.sum()`` (float64) at points where finite differences cannot decide
    (kinks, 0 ** 0): ``case.ref`` gives PyTorch's values, one array per float input."""
    arrays = grad_arrays(case)
    diff = diff_indices(case, arrays)
    leaves = to_tensors(arrays, requires_grad=set(diff))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        case.fn(*leaves).sum().backward()
    for i, want in zip(diff, case.ref(*arrays)):
        g = leaves[i].grad
        assert g is not None, f"input {i} got no gradient"
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-10, atol=1e-12,
                                   err_msg=f"gradient of input {i}")


def check_error(case: Case) -> None:
    import pytest

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(case.error):
            run(case)


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
                    rec["grad"] = ("seq", "grads", [("py", "NoneType", None) if g is None else g
                                                   for g in grads])
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
    res = {"backend": flow.backend().name}
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
                return f"{part}: {ga[1] if ga[0] == 'err' else 'a result'} vs " \
                       f"{gb[1] if gb[0] == 'err' else 'a result'}"
            continue
        why = mismatch(ga, gb, path=part)  # DEFAULT_TOL: float64 1e-10, float32 2e-5; exact ints
        if why:
            return why
    return None




# ============================================================================ binary elementwise
_NP2 = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "pow": np.power, "remainder": np.remainder, "floor_divide": np.floor_divide,
    "maximum": np.maximum, "minimum": np.minimum,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
    "ge": np.greater_equal,
    "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or, "bitwise_xor": np.bitwise_xor,
    "logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor,
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
    if op == "div" and rt.kind != "f":
        rt = F32  # true division of integers gives float32
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
        return x ** y
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
}
_DIVISOR = ("div", "remainder", "floor_divide")


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
        return base, ("nonneg" if np.dtype(db).kind != "f" and np.dtype(da).kind == "f"
                      else "any")
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
            return Case(lambda x, y: call(x, y), [a, b], lambda x, y: ref_binary(op, x, y),
                        label=f"{op} {da}{sa} {db}{sb}")
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
            return Case(lambda x: call(x, s), [a], lambda x: ref_binary(op, x, s),
                        label=f"{op} {da}{a.shape} {s!r}")
        return Case(lambda x: call(s, x), [a], lambda x: ref_binary(op, s, x),
                    label=f"{s!r} {op} {da}{a.shape}")

    return build


def binary_invalid(op: str, call: Callable, form: str = "tt"):
    def build(d: Draw) -> Case:
        rng = d.rng()
        kind = d.choice(("shape", "dtype") if op in _BITWISE + ("sub", "pow") else ("shape",))
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
        return Case(lambda x, y: call(x, y), [values(rng, sa, dt, "nonzero"),
                                               values(rng, sb, dt, "nonzero")],
                    error=flow.ShapeError)

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


_DUNDER = {"add": "add", "sub": "sub", "mul": "mul", "div": "truediv", "pow": "pow",
           "remainder": "mod", "floor_divide": "floordiv", "eq": "eq", "ne": "ne", "lt": "lt",
           "le": "le", "gt": "gt", "ge": "ge", "bitwise_and": "and", "bitwise_or": "or",
           "bitwise_xor": "xor"}
_PYOP = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
         "pow": operator.pow, "remainder": operator.mod, "floor_divide": operator.floordiv,
         "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
         "gt": operator.gt, "ge": operator.ge, "bitwise_and": operator.and_,
         "bitwise_or": operator.or_, "bitwise_xor": operator.xor}
_REFLECTED = ("add", "sub", "mul", "div", "pow", "remainder", "floor_divide", "bitwise_and",
              "bitwise_or", "bitwise_xor")
_REFLECTED_GRAD = ("add", "sub", "mul", "div", "pow")  # PyTorch: none for number % x, number // x


def _register_binary():
    for op, (_, _, grad) in _ARITH.items():
        fn = getattr(flow, op)
        call_f, call_m = fn, method(op)
        spec(f"flowkit.{op}", binary_builder(op, "tt", call_f), grad,
             binary_invalid(op, call_f))
        spec(f"Tensor.{op}", binary_builder(op, "tt", call_m), grad, binary_invalid(op, call_m))
        if op in _DUNDER:
            pyop = _PYOP[op]
            spec(f"Tensor.__{_DUNDER[op]}__", binary_builder(op, "tt", pyop), grad,
                 binary_invalid(op, pyop))
        if op in _REFLECTED:
            pyop = _PYOP[op]
            spec(f"Tensor.__r{_DUNDER[op]}__", binary_builder(op, "st", pyop),
                 op in _REFLECTED_GRAD,
                 binary_invalid(op, pyop, "st") if op in _BITWISE + ("sub",) else None)
    # a number on the left of the function forms that are operators underneath
    for op in ("add", "sub", "mul", "div", "pow", "remainder", "floor_divide"):
        fn = getattr(flow, op)
        spec(f"flowkit.{op}[number_first]", binary_builder(op, "st", fn),
             op in _REFLECTED_GRAD, binary_invalid(op, fn, "st") if op == "sub" else None)


_register_binary()


# ============================================================================ unary elementwise
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# float functions: integer (and bool) inputs give float32, as in PyTorch
_UFLOAT = {
    "exp": (np.exp, "any"), "log": (np.log, "pos"), "sqrt": (np.sqrt, "nonneg"),
    "sin": (np.sin, "any"), "cos": (np.cos, "any"), "tanh": (np.tanh, "any"),
    "sigmoid": (_sigmoid, "any"), "reciprocal": (lambda x: 1.0 / x, "nonzero"),
    "rsqrt": (lambda x: 1.0 / np.sqrt(x), "pos"), "log1p": (np.log1p, "unit"),
    "expm1": (np.expm1, "any"), "log2": (np.log2, "pos"), "log10": (np.log10, "pos"),
}
# dtype-keeping functions (integers stay integers)
_UKEEP = {
    "neg": (np.negative, "any", True), "abs": (np.abs, "nonzero", True),
    "relu": (lambda x: np.maximum(x, 0).astype(x.dtype), "nonzero", True),
    "sign": (np.sign, "any", True), "floor": (np.floor, "any", True),
    "ceil": (np.ceil, "any", True), "round": (np.round, "any", True),
    "square": (lambda x: x * x, "any", True),
}


def unary_float_builder(op: str, call):
    fn, dom = _UFLOAT[op]

    def build(d: Draw) -> Case:
        dts = NUM + ((BOOL,) if dom in ("any", "nonneg") else ())
        dt = d.choice(dts)
        idom = dom if dt.kind == "f" else {"unit": "nonneg", "nonzero": "nonzero"}.get(
            dom, "pos" if dom == "pos" else "any")
        a = values(d.rng(), shape(d), dt, idom)

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
        return Case(call, [a], lambda x: np.asarray(fn(x)).astype(x.dtype),
                    label=f"{op} {dt}{a.shape}")

    return build


_UKEEP_NO_BOOL = ("neg", "relu", "floor", "ceil", "round")  # PyTorch: no bool kernel


def unary_bool_invalid(call):
    return lambda d: Case(call, [values(d.rng(), shape(d), BOOL)], error=flow.DTypeError)


def _register_unary():
    for op in _UFLOAT:
        b = unary_float_builder(op, getattr(flow, op))
        spec(f"flowkit.{op}", b, True)
        spec(f"Tensor.{op}", unary_float_builder(op, method(op)),
             True)
    for op in _UKEEP:
        bad = op in _UKEEP_NO_BOOL
        spec(f"flowkit.{op}", unary_keep_builder(op, getattr(flow, op)), True,
             unary_bool_invalid(getattr(flow, op)) if bad else None)
        spec(f"Tensor.{op}", unary_keep_builder(op, method(op)),
             True, unary_bool_invalid(method(op)) if bad else None)
    spec("Tensor.__neg__", unary_keep_builder("neg", operator.neg), True,
         unary_bool_invalid(operator.neg))
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
            return Case(lambda x: call(x, k), [a], lambda x: np.round(x, k),
                        label=f"round {dt}{a.shape} decimals={k}")
        return build

    def round_invalid(call):
        return lambda d: Case(lambda x: call(x, 1), [values(d.rng(), shape(d), d.choice(INTS))],
                              error=flow.DTypeError)

    spec("flowkit.round[decimals]", round_decimals(lambda x, k: flow.round(x, decimals=k)), True,
         round_invalid(lambda x, k: flow.round(x, k)))
    spec("Tensor.round[decimals]", round_decimals(lambda x, k: x.round(k)), True,
         round_invalid(lambda x, k: x.round(decimals=k)))

    # predicates: any dtype in, bool out; floats with nan and inf mixed in
    preds = {"isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite,
             "logical_not": np.logical_not}
    for op, fn in preds.items():
        def build(d, op=op, fn=fn, call=None):
            dt = d.choice(ALL)
            a = values(d.rng(), shape(d), dt, "special")
            return Case(call, [a], lambda x: fn(x), label=f"{op} {dt}{a.shape}")
        spec(f"flowkit.{op}", functools.partial(build, call=getattr(flow, op)))
        spec(f"Tensor.{op}", functools.partial(
            build, call=method(op)))

    def bitwise_not(call):
        def build(d):
            dt = d.choice(INTS + (BOOL, U8, I8))
            a = values(d.rng(), shape(d), dt)
            return Case(call, [a], lambda x: np.invert(x), label=f"~ {dt}{a.shape}")
        return build

    def bitwise_not_invalid(call):
        return lambda d: Case(call, [values(d.rng(), shape(d), d.choice(FLOATS))],
                              error=flow.DTypeError)

    for name, call in (("flowkit.bitwise_not", flow.bitwise_not),
                       ("Tensor.bitwise_not", lambda x: x.bitwise_not()),
                       ("Tensor.__invert__", operator.invert)):
        spec(name, bitwise_not(call), False, bitwise_not_invalid(call))


_register_unary()

# dtype edges with no reference (the backends must agree): bool through dtype-keeping ops,
# integers to negative integer powers
for _op in ("neg", "abs", "relu", "sign", "floor", "ceil", "round", "square"):
    edge(f"bool.{_op}", (lambda op: lambda x: getattr(x, op)())(_op), np.array([True, False]))
edge("bool.sub", lambda x, y: x - y, np.array([True, False]), np.array([True, True]))
edge("bool.rsub", lambda x: True - x, np.array([True, False]))
edge("int.pow.negative_number", lambda x: x ** -1, np.array([1, 2, -1]))
edge("int.pow.negative_tensor", lambda x, y: x ** y, np.array([1, 2, 3]), np.array([-1, 2, -2]))
edge("int.rpow.negative", lambda x: 2 ** x, np.array([-1, 2]))
edge("bool.div", lambda x, y: x / y, np.array([True, False]), np.array([True, True]))
edge("bool.floor_divide", lambda x, y: x // y, np.array([True, False]), np.array([True, True]))
edge("bool.remainder", lambda x, y: x % y, np.array([True, False]), np.array([True, True]))
edge("bool.pow", lambda x: x ** 2, np.array([True, False]))
edge("bool.pow_bool", lambda x, y: (x ** y, x ** y[0]), np.array([True, False]),
     np.array([True, True]))
edge("bool.pow_bool_number", lambda x: x ** True, np.array([True, False]))
edge("bool.rpow_bool", lambda x: True ** x, np.array([True, False]))
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
edge("float16.add", lambda x, y: x + y, np.array([1.5, 2.25], np.float16),
     np.array([0.1, 1e4], np.float16))
edge("float16.mul_float32", lambda x, y: x * y, np.array([1.5], np.float16),
     np.array([3.0], np.float32))
edge("float16.exp", lambda x: x.exp(), np.array([1.5, -2.0], np.float16))
edge("float16.sum", lambda x: x.sum(), np.array([1.5, -2.0, 7.0], np.float16))


# ============================================================================ reductions
def _acc(x):
    """PyTorch's accumulation dtype of sum/prod: integers and bools in int64."""
    return x.astype(I64) if x.dtype.kind in "biu" else x


def _reduce(fn, x, dim, keepdim, out_dt=None):
    """``fn(x, axis, keepdims)`` with PyTorch's dims: a 0-d tensor takes dim 0 / -1 (itself);
    keepdim without dim keeps every dimension as 1."""
    axis = norm_dims(dim, x.ndim)
    if x.ndim == 0:
        out = np.asarray(fn(x, None, False))
    else:
        out = np.asarray(fn(x, axis, keepdim))
    return out.astype(out_dt or out.dtype)


def ref_sum(x, dim=None, keepdim=False, dtype=None):
    a = _acc(x)
    with np.errstate(all="ignore"):
        out = _reduce(lambda v, ax, k: np.sum(f64(v) if v.dtype.kind == "f" else v, axis=ax,
                                              keepdims=k), a, dim, keepdim, a.dtype)
    return out if dtype is None else out.astype(dtype)


def ref_mean(x, dim=None, keepdim=False):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _reduce(lambda v, ax, k: np.mean(f64(v), axis=ax, keepdims=k), x, dim, keepdim,
                       x.dtype)


def ref_prod(x, dim=None, keepdim=False, dtype=None):
    a = _acc(x) if dtype is None else x.astype(dtype)
    return _reduce(lambda v, ax, k: np.prod(f64(v) if v.dtype.kind == "f" else v, axis=ax,
                                            keepdims=k), a, dim, keepdim, a.dtype)


def ref_var(x, dim=None, unbiased=True, keepdim=False, correction=None, std=False):
    ddof = (1 if unbiased else 0) if correction is None else correction

    def fn(v, ax, k):
        v = f64(v)
        n = v.size if ax is None else int(np.prod([v.shape[i] for i in ax]))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = np.mean(v, axis=ax, keepdims=True) if v.size else np.zeros_like(v)
            out = np.sum((v - m) ** 2, axis=ax, keepdims=k) / max(n - ddof, 0)
        return np.sqrt(out) if std else out

    return _reduce(fn, x, dim, keepdim, x.dtype)


def ref_norm(x, p="fro", dim=None, keepdim=False):
    pv = 2.0 if p == "fro" else float(p)

    def fn(v, ax, k):
        a = np.abs(f64(v))
        if pv == np.inf:
            return np.max(a, axis=ax, keepdims=k)
        if pv == -np.inf:
            return np.min(a, axis=ax, keepdims=k)
        if pv == 0:
            return np.sum(a != 0, axis=ax, keepdims=k)
        return np.sum(a ** pv, axis=ax, keepdims=k) ** (1.0 / pv)

    return _reduce(fn, x, dim, keepdim, x.dtype)


def ref_any_all(x, dim=None, keepdim=False, op="any"):
    return _reduce(lambda v, ax, k: getattr(np, op)(v != 0, axis=ax, keepdims=k), x, dim,
                   keepdim, BOOL)


def ref_minmax(x, dim=None, keepdim=False, op="max"):
    if dim is None:
        v = np.max(x) if op == "max" else np.min(x)
        return np.asarray(v).reshape((1,) * x.ndim if keepdim else ()).astype(x.dtype)
    if x.ndim == 0:
        return Named(op, (x.copy(), np.asarray(0, I64)))
    d = dim % x.ndim
    idx = (np.argmax if op == "max" else np.argmin)(x, axis=d, keepdims=True)  # first one
    vals = np.take_along_axis(x, idx, axis=d)
    if not keepdim:
        idx, vals = idx.squeeze(d), vals.squeeze(d)
    return Named(op, (vals, idx.astype(I64)))


def ref_arg(x, dim=None, keepdim=False, op="argmax"):
    f = getattr(np, op)
    if dim is None or x.ndim == 0:
        return np.asarray(f(x.reshape(-1)), I64).reshape((1,) * x.ndim if keepdim else ())
    return np.asarray(f(x, axis=dim % x.ndim, keepdims=keepdim), I64)


def _kw(d: Draw, nd: int, tuples=True, keep=True, none=True):
    """Reduction arguments: dim (None / int / tuple) and keepdim, in several spellings."""
    dim = dims_arg(d, nd, tuples=tuples, none=none)
    keepdim = d.bool() if keep else False
    style = d.choice(("kw", "pos", "omit")) if dim is None and not keepdim else d.choice(
        ("kw", "pos"))
    return dim, keepdim, style


def _reduction_case(call, ref, x, dim, keepdim, style, label, **extra):
    if style == "omit":
        fn = lambda t: call(t, **extra)  # noqa: E731
    elif style == "pos":
        fn = lambda t: call(t, dim, keepdim, **extra)  # noqa: E731
    else:
        fn = lambda t: call(t, dim=dim, keepdim=keepdim, **extra)  # noqa: E731
    return Case(fn, [x], lambda v: ref(v, dim, keepdim, **extra),
                label=f"{label} {x.dtype}{x.shape} dim={dim} keepdim={keepdim} {extra or ''}")


def _nonempty_dims(x, dim):
    nd = norm_dims(dim, x.ndim)
    return x.size > 0 if nd is None or x.ndim == 0 else all(x.shape[i] > 0 for i in nd)


def _register_reductions():
    M = lambda name: (lambda name: lambda t, *a, **k: getattr(t, name)(*a, **k))(name)  # noqa

    def sum_b(call, method):
        def build(d):
            dt = d.choice(ALL + (U8,))
            x = values(d.rng(), shape(d), dt)
            dim, keepdim, style = _kw(d, x.ndim)
            extra = {}
            if method and d.int(0, 3) == 0:
                extra["dtype"] = d.choice((flow.float64, flow.int64, flow.float32))
                c = _reduction_case(call, ref_sum, x, dim, keepdim, "kw", "sum", **extra)
                want = np.dtype(extra["dtype"].name)
                c.ref = lambda v: ref_sum(v, dim, keepdim).astype(want)
                return c
            return _reduction_case(call, ref_sum, x, dim, keepdim, style, "sum")
        return build

    def mean_b(call):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(FLOATS))
            return _reduction_case(call, ref_mean, x, *_kw(d, x.ndim), "mean")
        return build

    def dim_invalid(call, dts=NUM, kind="range"):
        def build(d):
            x = values(d.rng(), shape(d, 1, 3, zero=False), d.choice(dts))
            if kind == "dtype":
                return Case(lambda t: call(t), [x.astype(d.choice(INTS))], error=flow.DTypeError)
            bad = d.choice((x.ndim, -x.ndim - 1, x.ndim + 2))
            return Case(lambda t: call(t, bad), [x], error=IndexError)
        return build

    def prod_b(call, method):
        def build(d):
            dt = d.choice(ALL)
            x = values(d.rng(), shape(d), dt)
            if x.size and dt.kind == "f" and d.bool():
                x.reshape(-1)[d.int(0, x.size - 1)] = 0  # the exact path for zeros
            dim, keepdim, style = _kw(d, x.ndim, tuples=False)
            if method and d.int(0, 3) == 0:
                want = d.choice((flow.float64, flow.int64))
                c = _reduction_case(call, ref_prod, x, dim, keepdim, "kw", "prod", dtype=want)
                c.ref = lambda v: ref_prod(v, dim, keepdim, np.dtype(want.name))
                return c
            return _reduction_case(call, ref_prod, x, dim, keepdim, style, "prod")
        return build

    def prod_invalid(call):
        def build(d):
            x = values(d.rng(), (2, 3), F32)
            return Case(lambda t: call(t, (0, 1)), [x], error=TypeError)
        return build

    def var_b(call, std):
        def build(d):
            x = values(d.rng(), shape(d, sides=(2, 3, 1, 0, 2, 3, 4)), d.choice(FLOATS))
            dim = dims_arg(d, x.ndim)
            keepdim = d.bool()
            axes = norm_dims(dim, x.ndim)
            n = x.size if axes is None or x.ndim == 0 else int(np.prod([x.shape[i] for i in axes]))
            form = d.choice(("unbiased", "correction", "positional_bool", "defaults"))
            if form == "positional_bool" and dim is None and not keepdim:
                ub = d.bool()
                c = Case(lambda t: call(t, ub), [x], lambda v: ref_var(v, None, ub, std=std),
                         label=f"({ub}) {x.shape}")
            elif form == "defaults" and dim is None and not keepdim:
                c = Case(lambda t: call(t), [x], lambda v: ref_var(v, std=std),
                         label=f"() {x.shape}")
            elif form == "correction":
                corr = d.choice((0, 1, 2))
                c = Case(lambda t: call(t, dim, keepdim=keepdim, correction=corr), [x],
                         lambda v: ref_var(v, dim, True, keepdim, corr, std),
                         label=f"{x.shape} dim={dim} correction={corr} keepdim={keepdim}")
            else:
                ub = d.bool()
                c = Case(lambda t: call(t, dim=dim, unbiased=ub, keepdim=keepdim), [x],
                         lambda v: ref_var(v, dim, ub, keepdim, std=std),
                         label=f"{x.dtype}{x.shape} dim={dim} unbiased={ub} keepdim={keepdim}")
            # one element per group: std is 0 (or nan) there, a kink finite differences cannot
            # check (edge "zero.std_grad" pins PyTorch's 0)
            c.grad = n > 1 or not std
            return c
        return build

    def norm_b(call):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(FLOATS), "nonzero")
            p = d.choice((2, 1, 3, 1.5, 0.5, -1, float("inf"), float("-inf"), 0, "fro"))
            dim = dims_arg(d, x.ndim)
            keepdim = d.bool()
            if p in (float("inf"), float("-inf")) and not _nonempty_dims(x, dim):
                p = 2  # the max / min of nothing
            if dim is None and not keepdim and d.bool():
                return Case(lambda t: call(t, p), [x], lambda v: ref_norm(v, p),
                            label=f"norm p={p} {x.shape}")
            return Case(lambda t: call(t, p, dim, keepdim), [x],
                        lambda v: ref_norm(v, p, dim, keepdim),
                        label=f"norm p={p} {x.dtype}{x.shape} dim={dim} keepdim={keepdim}")
        return build

    def anyall_b(call, op):
        def build(d):
            dt = d.choice(ALL)
            x = values(d.rng(), shape(d), dt, "unit" if dt.kind == "i" else "any")
            if dt.kind == "f" and d.bool():
                x = np.where(values(d.rng(), x.shape, BOOL), x, 0).astype(dt)
            dim, keepdim, style = _kw(d, x.ndim)
            return _reduction_case(call, functools.partial(ref_any_all, op=op), x, dim, keepdim,
                                   style, op)
        return build

    def minmax_b(call, op):
        def build(d):
            dt = d.choice(ALL)
            form = d.choice(("all", "dim", "dim", "other"))
            if form == "other":
                sa, sb = bcast_pair(d)
                x, y = values(d.rng(), sa, dt), values(d.rng(), sb, dt)
                npop = np.maximum if op == "max" else np.minimum
                return Case(lambda s, t: call(s, t), [x, y], lambda s, t: npop(s, t),
                            label=f"{op}(tensor) {dt}{sa} {sb}")
            if form == "all":
                x = values(d.rng(), shape(d, zero=False), dt)
                keepdim = d.bool()
                if keepdim:
                    return Case(lambda t: call(t, keepdim=True), [x],
                                lambda v: ref_minmax(v, None, True, op))
                return Case(lambda t: call(t), [x], lambda v: ref_minmax(v, None, False, op),
                            label=f"{op}() {dt}{x.shape}")
            x = values(d.rng(), shape(d), dt)
            dim = dims_arg(d, x.ndim, tuples=False, none=False)
            if x.ndim and x.shape[dim % x.ndim] == 0:
                x = values(d.rng(), tuple(s if i != dim % x.ndim else 2
                                          for i, s in enumerate(x.shape)), dt)
            keepdim = d.bool()
            style = d.choice(("pos", "kw", "unpack"))
            ref = lambda v: ref_minmax(v, dim, keepdim, op)  # noqa: E731
            label = f"{op}(dim={dim}, keepdim={keepdim}) {dt}{x.shape}"
            if style == "pos":
                return Case(lambda t: call(t, dim, keepdim), [x], ref, label=label)
            if style == "unpack":  # the named fields and tuple unpacking
                def fn(t):
                    r = call(t, dim=dim, keepdim=keepdim)
                    v, i = r
                    assert v is r.values and i is r.indices
                    return r
                return Case(fn, [x], ref, label=label)
            return Case(lambda t: call(t, dim=dim, keepdim=keepdim), [x], ref, label=label)
        return build

    def minmax_invalid(call):
        def build(d):
            if d.bool():
                return Case(lambda t: call(t), [np.zeros((2, 0), np.float32)],
                            error=flow.ShapeError)
            return Case(lambda t: call(t, 1), [np.zeros((2, 0), np.float32)],
                        error=flow.ShapeError)
        return build

    def arg_b(call, op):
        def build(d):
            dt = d.choice(NUM + (BOOL,))
            x = values(d.rng(), shape(d, zero=False), dt)
            dim, keepdim, style = _kw(d, x.ndim, tuples=False)
            return _reduction_case(call, functools.partial(ref_arg, op=op), x, dim, keepdim,
                                   style, op)
        return build

    for fname, call in (("flowkit.sum", flow.sum), ("Tensor.sum", M("sum"))):
        spec(fname, sum_b(call, fname.startswith("Tensor")), True, dim_invalid(call))
    for fname, call in (("flowkit.mean", flow.mean), ("Tensor.mean", M("mean"))):
        spec(fname, mean_b(call), True, dim_invalid(call, FLOATS, "dtype"))
    for fname, call in (("flowkit.prod", flow.prod), ("Tensor.prod", M("prod"))):
        spec(fname, prod_b(call, fname.startswith("Tensor")), True, prod_invalid(call))
    for op in ("var", "std"):
        for fname, call in ((f"flowkit.{op}", getattr(flow, op)), (f"Tensor.{op}", M(op))):
            spec(fname, var_b(call, op == "std"), True, dim_invalid(call, FLOATS, "dtype"))
    for fname, call in (("flowkit.norm", flow.norm), ("Tensor.norm", M("norm"))):
        spec(fname, norm_b(call), True, dim_invalid(call, FLOATS, "dtype"))
    for op in ("any", "all"):
        for fname, call in ((f"flowkit.{op}", getattr(flow, op)), (f"Tensor.{op}", M(op))):
            spec(fname, anyall_b(call, op), False, dim_invalid(call, ALL))
    for op in ("max", "min"):
        for fname, call in ((f"flowkit.{op}", getattr(flow, op)), (f"Tensor.{op}", M(op))):
            spec(fname, minmax_b(call, op), True, minmax_invalid(call))
    for op in ("argmax", "argmin"):
        for fname, call in ((f"flowkit.{op}", getattr(flow, op)), (f"Tensor.{op}", M(op))):
            spec(fname, arg_b(call, op), False, minmax_invalid(call))


_register_reductions()


# ============================================================================ shape ops
def _reshape_targets(shp):
    n = int(np.prod(shp)) if shp else 1
    t = [(-1,), (n,), (1, -1), (-1, 1), tuple(reversed(shp)), (1,) + tuple(shp)]
    if len(shp) >= 2 and n:
        t.append((shp[0], -1))
    return t


def _shape_invalid(call_bad, dts=NUM, error=flow.ShapeError, min_nd=1):
    def build(d):
        x = values(d.rng(), shape(d, min_nd, 3, zero=False), d.choice(dts))
        return Case(lambda t: call_bad(t, x.shape), [x], error=error)
    return build


def _register_shape_ops():
    def reshape_b(make):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(ALL))
            tgt = d.choice(_reshape_targets(x.shape))
            return Case(make(tgt, d), [x], lambda v: v.reshape(tgt),
                        label=f"reshape {x.shape} -> {tgt}")
        return build

    def forms(name):
        def make(tgt, d):
            form = d.choice(("tuple", "list", "star"))
            return {"tuple": lambda t: getattr(t, name)(tgt),
                    "list": lambda t: getattr(t, name)(list(tgt)),
                    "star": lambda t: getattr(t, name)(*tgt)}[form]
        return make

    spec("flowkit.reshape", reshape_b(lambda tgt, d: lambda t: flow.reshape(t, tgt)), True,
         _shape_invalid(lambda t, s: flow.reshape(t, (int(np.prod(s)) + 1,))))
    for name in ("reshape", "view"):
        spec(f"Tensor.{name}", reshape_b(forms(name)), True,
             _shape_invalid(lambda t, s, name=name: getattr(t, name)(int(np.prod(s)) + 1)))

    def ref_flatten(v, s, e):
        if v.ndim == 0:
            return v.reshape(1)
        s, e = s % v.ndim, e % v.ndim
        return v.reshape(v.shape[:s] + (int(np.prod(v.shape[s:e + 1])),) + v.shape[e + 1:])

    def flatten_b(call):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(ALL))
            n = max(x.ndim, 1)
            s = d.int(-n, n - 1)
            e = d.int(-n, n - 1)
            if s % n > e % n:
                s, e = e, s
            if d.bool() and s % n == 0 and e % n == n - 1:
                return Case(lambda t: call(t), [x], lambda v: ref_flatten(v, 0, -1),
                            label=f"flatten {x.shape}")
            return Case(lambda t: call(t, s, e), [x], lambda v: ref_flatten(v, s, e),
                        label=f"flatten {x.shape} {s} {e}")
        return build

    def flatten_invalid(call):
        def build(d):
            x = values(d.rng(), (2, 3, 2), F32)
            return Case(lambda t: call(t, 2, 0), [x], error=ValueError)
        return build

    for name, call in (("flowkit.flatten", flow.flatten), ("F.flatten", F.flatten),
                       ("Tensor.flatten", lambda t, *a: t.flatten(*a))):
        spec(name, flatten_b(call), True, flatten_invalid(call))

    def ref_squeeze(v, dim):
        if dim is None:
            return v.reshape(tuple(s for s in v.shape if s != 1))
        ds = norm_dims(dim, v.ndim)
        return v.reshape(tuple(s for i, s in enumerate(v.shape) if not (i in ds and s == 1)))

    def squeeze_b(call):
        def build(d):
            x = values(d.rng(), shape(d, 0, 4, sides=(1, 1, 2, 0, 3)), d.choice(ALL))
            dim = dims_arg(d, x.ndim)
            if dim is None:
                return Case(lambda t: call(t), [x], lambda v: ref_squeeze(v, None),
                            label=f"squeeze {x.shape}")
            return Case(lambda t: call(t, dim), [x], lambda v: ref_squeeze(v, dim),
                        label=f"squeeze {x.shape} {dim}")
        return build

    def range_invalid(call, extra=0):
        def build(d):
            x = values(d.rng(), shape(d, 1, 3, zero=False), F32)
            bad = d.choice((x.ndim + extra, -x.ndim - 1 - extra))
            return Case(lambda t: call(t, bad), [x], error=IndexError)
        return build

    for name, call in (("flowkit.squeeze", lambda t, *a: flow.squeeze(t, *a)),
                       ("Tensor.squeeze", lambda t, *a: t.squeeze(*a))):
        spec(name, squeeze_b(call), True, range_invalid(call))

    def unsqueeze_b(call):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(ALL))
            k = d.int(-x.ndim - 1, x.ndim)
            return Case(lambda t: call(t, k), [x], lambda v: np.expand_dims(v, k),
                        label=f"unsqueeze {x.shape} {k}")
        return build

    for name, call in (("flowkit.unsqueeze", flow.unsqueeze),
                       ("Tensor.unsqueeze", lambda t, k: t.unsqueeze(k))):
        spec(name, unsqueeze_b(call), True, range_invalid(call, 1))

    def permute_b(make):
        def build(d):
            x = values(d.rng(), shape(d, 1, 4, sides=(2, 3, 1, 0, 4)), d.choice(ALL))
            perm = list(range(x.ndim))
            for i in range(x.ndim - 1, 0, -1):  # Fisher-Yates from the draws
                j = d.int(0, i)
                perm[i], perm[j] = perm[j], perm[i]
            perm = tuple(p - x.ndim if d.bool() else p for p in perm)
            return Case(make(perm, d), [x], lambda v: np.transpose(v, perm),
                        label=f"permute {x.shape} {perm}")
        return build

    def permute_invalid(call):
        def build(d):
            x = values(d.rng(), (2, 3, 4), F32)
            return Case(lambda t: call(t, (0, 0, 1)), [x], error=flow.ShapeError)
        return build

    spec("flowkit.permute", permute_b(lambda p, d: lambda t: flow.permute(t, p)), True,
         permute_invalid(flow.permute))
    spec("Tensor.permute", permute_b(lambda p, d: (lambda t: t.permute(*p)) if d.bool()
                                     else (lambda t: t.permute(p))), True,
         permute_invalid(lambda t, p: t.permute(*p)))

    def transpose_b(call):
        def build(d):
            x = values(d.rng(), shape(d, 1, 3), d.choice(ALL))
            a, b = d.int(-x.ndim, x.ndim - 1), d.int(-x.ndim, x.ndim - 1)
            return Case(lambda t: call(t, a, b), [x], lambda v: np.swapaxes(v, a, b),
                        label=f"transpose {x.shape} {a} {b}")
        return build

    for name, call in (("flowkit.transpose", flow.transpose),
                       ("Tensor.transpose", lambda t, a, b: t.transpose(a, b))):
        spec(name, transpose_b(call), True, range_invalid(lambda t, k, call=call: call(t, 0, k)))

    def T_b(d):
        x = values(d.rng(), shape(d, 0, 3), d.choice(ALL))
        return Case(lambda t: t.T, [x], lambda v: v.T.copy(), label=f".T {x.shape}")

    spec("Tensor.T", T_b, True)

    def expand_b(d):
        x = values(d.rng(), shape(d, 0, 3, sides=(1, 1, 2, 3, 0)), d.choice(ALL))
        sizes = [d.choice((-1, 3, 0)) if s == 1 else d.choice((-1, s)) for s in x.shape]
        lead = [d.choice((1, 2, 3, 0)) for _ in range(d.int(0, 2))]
        sizes = tuple(lead + sizes)
        out_shape = tuple(lead) + tuple(s if z == -1 else z for s, z in zip(x.shape,
                                                                             sizes[len(lead):]))
        ref = lambda v: np.broadcast_to(v, out_shape).copy()  # noqa: E731
        form = d.choice(("star", "tuple", "as"))
        if form == "as":
            other = np.zeros(out_shape, np.float32)
            return Case(lambda t, o: t.expand_as(o), [x, other], lambda v, o: ref(v),
                        diff=(0,), label=f"expand_as {x.shape} {out_shape}")
        fn = (lambda t: t.expand(*sizes)) if form == "star" else (lambda t: t.expand(sizes))
        if not sizes:
            fn = lambda t: t.expand(())  # noqa: E731
        return Case(fn, [x], ref, label=f"expand {x.shape} {sizes}")

    def expand_invalid(d):
        x = values(d.rng(), (2, 3), F32)
        return Case(lambda t: t.expand(3, 3), [x], error=flow.ShapeError)

    spec("Tensor.expand", expand_b, True, expand_invalid)

    def expand_as_b(d):
        for _ in range(20):
            c = expand_b(d)
            if len(c.arrays) == 2:
                return c
        x = values(d.rng(), (3, 1), F64)
        return Case(lambda t, o: t.expand_as(o), [x, np.zeros((2, 3, 4))],
                    lambda v, o: np.broadcast_to(v, (2, 3, 4)).copy(), diff=(0,))

    spec("Tensor.expand_as", expand_as_b, True,
         lambda d: Case(lambda t, o: t.expand_as(o), [np.zeros((2, 3)), np.zeros((3, 3))],
                        error=flow.ShapeError))

    def flip_b(call, form):
        def build(d):
            x = values(d.rng(), shape(d, 1, 3), d.choice(ALL))
            k = d.int(1, x.ndim)
            dims = []
            for _ in range(k):
                dd = d.int(0, x.ndim - 1)
                if dd not in dims:
                    dims.append(dd)
            dims = tuple(dd - x.ndim if d.bool() else dd for dd in dims)
            fn = {"tuple": lambda t: call(t, dims), "list": lambda t: call(t, list(dims)),
                  "star": lambda t: call(t, *dims)}[d.choice(form)]
            return Case(fn, [x], lambda v: np.flip(v, dims).copy(),
                        label=f"flip {x.shape} {dims}")
        return build

    spec("flowkit.flip", flip_b(flow.flip, ("tuple", "list")), True,
         range_invalid(lambda t, k: flow.flip(t, (k,))))
    spec("Tensor.flip", flip_b(lambda t, *a: t.flip(*a), ("tuple", "list", "star")), True,
         range_invalid(lambda t, k: t.flip(k)))

    def ref_pieces(v, sizes, dim):
        cuts = np.cumsum(sizes)[:-1]
        return tuple(p.copy() for p in np.split(v, cuts, axis=dim))

    def split_b(call, chunk=False):
        def build(d):
            x = values(d.rng(), shape(d, 1, 3, sides=(2, 3, 1, 0, 4, 5)), d.choice(ALL))
            dim = d.int(-x.ndim, x.ndim - 1)
            n = x.shape[dim]
            if chunk:
                k = d.int(1, 4)
                size = -(-n // k) if n else 0
                sizes = [size] * (n // size) + ([n % size] if n % size else []) if n else [0] * k
                return Case(lambda t: call(t, k, dim), [x], lambda v: ref_pieces(v, sizes, dim),
                            label=f"chunk {x.shape} {k} dim={dim}")
            if d.bool():
                cut = d.int(0, n)
                secs = [cut, n - cut] if d.bool() else [n]
                return Case(lambda t: call(t, secs, dim), [x], lambda v: ref_pieces(v, secs, dim),
                            label=f"split {x.shape} {secs} dim={dim}")
            k = d.int(1, 4)
            sizes = [k] * (n // k) + ([n % k] if n % k else []) if n else [0]
            return Case(lambda t: call(t, k, dim), [x], lambda v: ref_pieces(v, sizes, dim),
                        label=f"split {x.shape} {k} dim={dim}")
        return build

    def split_invalid(call):
        return lambda d: Case(lambda t: call(t, [1, 1], 0), [values(d.rng(), (3, 2), F32)],
                              error=flow.ShapeError)

    spec("flowkit.split", split_b(flow.split), True, split_invalid(flow.split))
    spec("Tensor.split", split_b(lambda t, a, dd: t.split(a, dim=dd)), True,
         split_invalid(lambda t, a, dd: t.split(a, dd)))
    spec("flowkit.chunk", split_b(flow.chunk, True), True,
         lambda d: Case(lambda t: flow.chunk(t, 0), [values(d.rng(), (3, 2), F32)],
                        error=flow.ShapeError))
    spec("Tensor.chunk", split_b(lambda t, k, dd: t.chunk(k, dd), True), True,
         lambda d: Case(lambda t: t.chunk(-1), [values(d.rng(), (3, 2), F32)],
                        error=flow.ShapeError))

    def cat_b(call):
        def build(d):
            base = shape(d, 1, 3)
            dim = d.int(-len(base), len(base) - 1)
            k = d.int(1, 3)
            dts = [d.choice(ALL)] * k if d.int(0, 2) else [d.choice(ALL) for _ in range(k)]
            shapes = [tuple(d.choice((0, 1, 2, 3)) if i == dim % len(base) else s
                            for i, s in enumerate(base)) for _ in range(k)]
            arrays = [values(d.rng(), s, t) for s, t in zip(shapes, dts)]
            legacy = d.int(0, 3) == 0  # PyTorch skips 1-d empty tensors (an accumulator start)
            at = d.int(0, k) if legacy else None
            if legacy:
                arrays.insert(at, np.zeros((0,), np.float32))
            rt = functools.reduce(promote, [a.dtype for a in arrays])
            form = d.choice(("list", "tuple", "kw"))

            def fn(*ts):
                ts = list(ts) if form != "tuple" else tuple(ts)
                return call(ts, dim=dim) if form == "kw" else call(ts, dim)

            def ref(*vs):
                kept = [v for v in vs if v.shape != (0,)] or list(vs)
                return np.concatenate([v.astype(rt) for v in kept], axis=dim)

            # a skipped empty tensor still gets its (empty, zero) gradient, as in PyTorch
            return Case(fn, arrays, ref, label=f"cat {[a.shape for a in arrays]} dim={dim}")
        return build

    def cat_invalid(call):
        def build(d):
            kind = d.choice(("shape", "ndim", "zero_d"))
            if kind == "shape":
                arrays = [np.zeros((2, 3)), np.zeros((2, 4))]
            elif kind == "ndim":
                arrays = [np.zeros((2, 3)), np.zeros((2, 3, 1))]
            else:
                arrays = [np.zeros(()), np.zeros(())]
            return Case(lambda *ts: call(list(ts), 0), arrays, error=flow.ShapeError)
        return build

    for name in ("cat", "concat", "concatenate"):
        spec(f"flowkit.{name}", cat_b(getattr(flow, name)), True,
             cat_invalid(getattr(flow, name)))

    def stack_b(d):
        shp = shape(d)
        dim = d.int(-len(shp) - 1, len(shp))
        k = d.int(1, 3)
        dts = [d.choice(ALL)] * k if d.int(0, 2) else [d.choice(ALL) for _ in range(k)]
        arrays = [values(d.rng(), shp, t) for t in dts]
        rt = functools.reduce(promote, dts)
        tup = d.bool()
        return Case(lambda *ts: flow.stack(tuple(ts) if tup else list(ts), dim=dim), arrays,
                    lambda *vs: np.stack([v.astype(rt) for v in vs], axis=dim),
                    label=f"stack {shp} x{k} dim={dim}")

    spec("flowkit.stack", stack_b, True,
         lambda d: Case(lambda a, b: flow.stack([a, b]), [np.zeros((2, 3)), np.zeros((3, 2))],
                        error=flow.ShapeError))

    def identity_b(call, grad=True):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(ALL))
            return Case(call, [x], lambda v: v.copy(), grad=grad)
        return build

    spec("Tensor.contiguous", identity_b(lambda t: t.contiguous()), True)
    spec("Tensor.clone", identity_b(lambda t: t.clone()), True)
    spec("Tensor.cpu", identity_b(lambda t: t.cpu()), True)

    def detach_b(name):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(FLOATS))

            def fn(t):
                y = t * 1
                out = getattr(y, name)()
                assert not out.requires_grad
                return out

            return Case(fn, [x], lambda v: v.copy())
        return build

    spec("Tensor.detach", detach_b("detach"))
    spec("Tensor.detach_", detach_b("detach_"))


_register_shape_ops()


# ============================================================================ indexing, selection
def _index(d: Draw, rng, shp, repeats: bool):
    """An index for a tensor of ``shp`` (first dimension non-empty): (numpy key, index arrays
    passed as tensors, make(tensors) -> flowkit key)."""
    n0, nd = shp[0], len(shp)
    kinds = ["int", "slice", "slice", "mask", "mask_rows", "int_tensor", "list", "zero_d",
             "ellipsis", "none"]
    if nd >= 2:
        kinds += ["tuple", "tuple_rev", "pair_tensors", "slice_int_tensor"]
    kind = d.choice(kinds)
    if kind == "int":
        i = d.int(-n0, n0 - 1)
        return i, [], lambda: i
    if kind == "slice":
        step = d.choice((None, 1, 2, -1, -2))
        start = d.choice((None, d.int(-n0, n0 - 1)))
        stop = d.choice((None, d.int(-n0 - 1, n0)))
        sl = slice(start, stop, step)
        return sl, [], lambda: sl
    if kind == "ellipsis":
        i = d.int(-shp[-1], shp[-1] - 1) if shp[-1] else slice(None)
        return (Ellipsis, i), [], lambda: (Ellipsis, i)
    if kind == "none":
        return (None, slice(None, None, 2)), [], lambda: (None, slice(None, None, 2))
    if kind in ("tuple", "tuple_rev"):
        j = d.int(-shp[1], shp[1] - 1) if shp[1] else slice(None)
        key = (slice(None), j) if kind == "tuple" else (d.int(-n0, n0 - 1), slice(None, None, -1))
        return key, [], lambda: key
    if kind in ("mask", "mask_rows"):
        m = np.asarray(rng.random(shp if kind == "mask" else shp[:1]) < 0.5)
        return m, [m], lambda mt: mt
    if kind == "zero_d":
        i = np.asarray(d.int(-n0, n0 - 1), I64)
        return int(i), [i], lambda it: it
    size = d.int(1, 4)
    if repeats:
        idx = rng.integers(-n0, n0, size)
    else:
        idx = rng.permutation(n0)[:size]
    if kind == "list":
        lst = [int(i) for i in idx]
        return lst, [], lambda: lst
    if kind == "pair_tensors":
        j = rng.integers(0, shp[1], idx.shape) if shp[1] else np.zeros(0, I64)
        if not shp[1]:
            idx = idx[:0]
        return (idx, j), [idx, j], lambda it, jt: (it, jt)
    if kind == "slice_int_tensor":
        j = rng.integers(0, shp[1], 2) if shp[1] else np.zeros(0, I64)
        if not repeats and shp[1]:
            j = rng.permutation(shp[1])[:2]
        return (slice(None), j), [j], lambda jt: (slice(None), jt)
    return idx, [idx], lambda it: it


def _register_indexing():
    def getitem_b(d):
        rng = d.rng()
        shp = (d.choice((1, 2, 3)),) + shape(d, 0, 2)
        x = values(rng, shp, d.choice(ALL))
        key, idx_arrays, make = _index(d, rng, shp, repeats=True)
        return Case(lambda t, *ix: t[make(*ix)], [x] + idx_arrays,
                    lambda v, *ix: np.asarray(v[key]).copy(), label=f"{x.shape}[{key!r}]")

    def getitem_invalid(d):
        x = values(d.rng(), (2, 3), F32)
        key = d.choice((5, (0, 7), (0, 0, 0)))
        return Case(lambda t: t[key], [x], error=IndexError)

    spec("Tensor.__getitem__", getitem_b, True, getitem_invalid)

    def setitem_b(d):
        rng = d.rng()
        shp = (d.choice((1, 2, 3)),) + shape(d, 0, 2)
        dt = d.choice(ALL)
        x = values(rng, shp, dt)
        key, idx_arrays, make = _index(d, rng, shp, repeats=False)
        slot = np.asarray(x[key]).shape
        vkind = d.choice(("number", "zero_d", "full", "broadcast"))
        vdt = dt if d.int(0, 2) else d.choice(ALL)
        if vkind == "number":
            s = d.choice((0.25, -2, True)) if dt.kind == "f" else d.choice((3, -2, True))
            if dt.kind == "b":
                s = d.choice((True, False))

            def fn(t, *ix):
                y = t.clone()
                y[make(*ix)] = s
                return y * 1 if dt.kind == "f" else y

            def ref(v, *ix):
                y = v.copy()
                y[key] = s
                return y
            return Case(fn, [x] + idx_arrays, ref, label=f"{x.shape}[{key!r}] = {s!r}")
        vshape = {"zero_d": (), "full": slot, "broadcast": slot[-1:]}[vkind]
        val = values(rng, vshape, vdt)

        def fn(t, *rest):
            *ix, v = rest
            y = t.clone()
            y[make(*ix)] = v
            return y

        def ref(v, *rest):
            *ix, val = rest
            y = v.copy()
            y[key] = val.astype(y.dtype)
            return y

        return Case(fn, [x] + idx_arrays + [val], ref,
                    label=f"{x.shape}[{key!r}] = {vdt}{vshape}")

    def setitem_invalid(d):
        x = values(d.rng(), (2, 3), F32)

        def fn(t, v):
            t[0] = v
            return t
        return Case(fn, [x, np.zeros((4,), np.float32)], error=flow.ShapeError)

    spec("Tensor.__setitem__", setitem_b, True, setitem_invalid)

    # masked_fill: a bool mask broadcast to the tensor, a number or 0-d tensor value
    def masked_fill_b(name, inplace=False):
        def build(d):
            rng = d.rng()
            dt = d.choice(ALL)
            x = values(rng, shape(d), dt)
            mshape = d.choice((x.shape, x.shape[-1:], ()))
            m = np.asarray(rng.random(mshape) < 0.5)
            vkind = d.choice(("number", "tensor"))

            def call(t, mt, v):
                if name == "flowkit":
                    return flow.masked_fill(t, mt, v)
                if inplace:
                    y = t.clone()
                    r = y.masked_fill_(mt, v)
                    assert r is y
                    return y
                return t.masked_fill(mt, v)

            if vkind == "number":
                s = d.choice((0.25, -3, True, 2.7))
                return Case(lambda t, mt: call(t, mt, s), [x, m],
                            lambda v, mm: np.where(mm, np.asarray(s).astype(v.dtype), v),
                            label=f"masked_fill {x.dtype}{x.shape} {mshape} {s!r}")
            val = values(rng, (), d.choice(FLOATS) if dt.kind == "f" else dt)
            return Case(lambda t, mt, vt: call(t, mt, vt), [x, m, val],
                        lambda v, mm, vv: np.where(mm, vv.astype(v.dtype), v),
                        label=f"masked_fill {x.dtype}{x.shape} {mshape} tensor")
        return build

    def masked_fill_invalid(call):
        def build(d):
            kind = d.choice(("mask_dtype", "mask_shape", "value_shape"))
            x = values(d.rng(), (2, 3), F32)
            if kind == "mask_dtype":
                return Case(lambda t, m: call(t, m, 1.0), [x, np.ones((2, 3), I64)],
                            error=flow.DTypeError)
            if kind == "mask_shape":
                return Case(lambda t, m: call(t, m, 1.0), [x, np.ones((4,), bool)],
                            error=flow.ShapeError)
            return Case(lambda t, m, v: call(t, m, v), [x, np.ones((2, 3), bool),
                                                       np.ones(2, np.float32)],
                        error=flow.ShapeError)
        return build

    spec("flowkit.masked_fill", masked_fill_b("flowkit"), True,
         masked_fill_invalid(flow.masked_fill))
    spec("Tensor.masked_fill", masked_fill_b("method"), True,
         masked_fill_invalid(lambda t, m, v: t.masked_fill(m, v)))
    spec("Tensor.masked_fill_", masked_fill_b("method", True), True,
         masked_fill_invalid(lambda t, m, v: t.clone().masked_fill_(m, v)))

    # where(condition, x, y): tensors or numbers, all three broadcast together
    def where_b(method):
        def build(d):
            rng = d.rng()
            sa, sb = bcast_pair(d)
            out = np.broadcast_shapes(sa, sb)
            cshape = d.choice((out, out[-1:], (), sa))
            c = np.asarray(rng.random(cshape) < 0.5)
            form = d.choice(("tt", "tt", "ts", "st") if not method else ("tt", "ts"))
            da = d.choice(ALL)
            db = da if d.int(0, 2) else d.choice(ALL)
            a, b = values(rng, sa, da), values(rng, sb, db)
            s = d.choice((0.5, -2, True))

            def rf(cc, x, y):
                rt = result_dtype(x, y)
                return np.where(cc, as_dt(x, rt), as_dt(y, rt))

            if method:
                if form == "ts":
                    return Case(lambda x, ct: x.where(ct, s), [a, c],
                                lambda x, cc: rf(cc, x, s), label=f"where method {s!r}")
                return Case(lambda x, ct, y: x.where(ct, y), [a, c, b],
                            lambda x, cc, y: rf(cc, x, y), label=f"where {sa} {sb} {cshape}")
            if form == "ts":
                return Case(lambda ct, x: flow.where(ct, x, s), [c, a],
                            lambda cc, x: rf(cc, x, s), label=f"where t {s!r}")
            if form == "st":
                return Case(lambda ct, y: flow.where(ct, s, y), [c, b],
                            lambda cc, y: rf(cc, s, y), label=f"where {s!r} t")
            return Case(lambda ct, x, y: flow.where(ct, x, y), [c, a, b],
                        lambda cc, x, y: rf(cc, x, y),
                        label=f"where {cshape} {da}{sa} {db}{sb}")
        return build

    def where_invalid(method):
        def build(d):
            x = values(d.rng(), (2, 3), F32)
            if d.bool():
                c = np.ones((2, 3), I64)
                err = flow.DTypeError
            else:
                c = np.ones((4,), bool)
                err = flow.ShapeError
            if method:
                return Case(lambda ct, t: t.where(ct, 0.0), [c, x], error=err)
            return Case(lambda ct, t: flow.where(ct, t, 0.0), [c, x], error=err)
        return build

    spec("flowkit.where", where_b(False), True, where_invalid(False))
    spec("Tensor.where", where_b(True), True, where_invalid(True))

    # clamp / clip: numbers or tensors for min and max (either may be left out)
    def clamp_b(call, inplace=False):
        def build(d):
            rng = d.rng()
            sa, sb = bcast_pair(d)
            if inplace:
                sb = sa[len(sa) - len(sb):] if len(sb) <= len(sa) else sa
            dt = d.choice(NUM)
            x = values(rng, sa, dt)
            kind = d.choice(("both", "min", "max", "tensors", "tensor_min", "tensor_max"))
            nums = (-0.5, 0.7, 1, -1) if not inplace or dt.kind == "f" else (-1, 1, 2)
            lo, hi = d.choice(nums), d.choice(nums)

            def ref(v, lo_, hi_):
                ops = [v] + [b for b in (lo_, hi_) if b is not None]
                rt = result_dtype(*ops)
                out = as_dt(v, rt)
                if lo_ is not None:
                    out = np.maximum(out, as_dt(lo_, rt))
                if hi_ is not None:
                    out = np.minimum(out, as_dt(hi_, rt))
                return out.astype(v.dtype) if inplace else out

            label = f"clamp {kind} {dt}{sa} {sb}"
            if kind == "both":
                return Case(lambda t: call(t, lo, hi), [x], lambda v: ref(v, lo, hi),
                            label=label + f" {lo} {hi}")
            if kind == "min":
                return Case(lambda t: call(t, min=lo), [x], lambda v: ref(v, lo, None),
                            label=label + f" {lo}")
            if kind == "max":
                return Case(lambda t: call(t, max=hi), [x], lambda v: ref(v, None, hi),
                            label=label + f" {hi}")
            bdt = dt if inplace or d.int(0, 2) else d.choice(NUM)
            lo_a = (values(rng, sb, bdt) - (1 if bdt.kind != "f" else 0.5)).astype(bdt)
            hi_a = (values(rng, sb, bdt) + (1 if bdt.kind != "f" else 0.5)).astype(bdt)
            if kind == "tensor_min":
                return Case(lambda t, m: call(t, min=m), [x, lo_a], lambda v, m: ref(v, m, None),
                            label=label)
            if kind == "tensor_max":
                return Case(lambda t, m: call(t, None, m), [x, hi_a],
                            lambda v, m: ref(v, None, m), label=label)
            # bounds may cross (min > max): max wins, as in PyTorch
            return Case(lambda t, m, h: call(t, m, h), [x, lo_a, hi_a],
                        lambda v, m, h: ref(v, m, h), label=label)
        return build

    def clamp_invalid(call):
        def build(d):
            kind = d.choice(("none", "bool", "shape"))
            if kind == "none":
                return Case(lambda t: call(t), [values(d.rng(), (2,), F32)], error=ValueError)
            if kind == "bool":
                return Case(lambda t: call(t, 0, 1), [np.array([True, False])],
                            error=flow.DTypeError)
            return Case(lambda t, m: call(t, m), [np.zeros((2, 3), np.float32),
                                                   np.zeros((4,), np.float32)],
                        error=flow.ShapeError)
        return build

    def inplace_call(name):
        def call(t, *a, **k):
            y = t.clone()
            r = getattr(y, name)(*a, **k)
            assert r is y
            return y
        return call

    for name in ("clamp", "clip"):
        spec(f"flowkit.{name}", clamp_b(getattr(flow, name)), True,
             clamp_invalid(getattr(flow, name)))
        m = method(name)
        spec(f"Tensor.{name}", clamp_b(m), True, clamp_invalid(m))
        spec(f"Tensor.{name}_", clamp_b(inplace_call(name + "_"), True), True,
             clamp_invalid(inplace_call(name + "_")))


_register_indexing()


# ============================================================================ matmul
_MM_SHAPES = [
    lambda n, k, m, b, c: ((k,), (k,)), lambda n, k, m, b, c: ((k,), (k, m)),
    lambda n, k, m, b, c: ((n, k), (k,)), lambda n, k, m, b, c: ((n, k), (k, m)),
    lambda n, k, m, b, c: ((b, n, k), (k, m)), lambda n, k, m, b, c: ((n, k), (b, k, m)),
    lambda n, k, m, b, c: ((b, 1, n, k), (c, k, m)), lambda n, k, m, b, c: ((k,), (b, k, m)),
    lambda n, k, m, b, c: ((b, n, k), (k,)), lambda n, k, m, b, c: ((b, n, k), (b, k, m)),
]


def _register_matmul():
    def mm_b(call):
        def build(d):
            n, k, m, b, c = (d.choice((1, 2, 3, 0, 2)) for _ in range(5))
            sa, sb = d.choice(_MM_SHAPES)(n, k, m, b, c)
            dt = d.choice(FLOATS + (I64,))
            rng = d.rng()
            x, y = values(rng, sa, dt), values(rng, sb, dt)
            return Case(call, [x, y],
                        lambda u, v: np.matmul(f64(u), f64(v)).astype(dt) if dt.kind == "f"
                        else np.matmul(u, v), label=f"matmul {dt}{sa} {sb}")
        return build

    def mm_invalid(call):
        def build(d):
            kind = d.choice(("shape", "zero_d", "dtype"))
            if kind == "shape":
                return Case(call, [np.zeros((2, 3)), np.zeros((4, 2))], error=flow.ShapeError)
            if kind == "zero_d":
                return Case(call, [np.zeros(()), np.zeros((2,))], error=flow.ShapeError)
            return Case(call, [np.zeros((2, 3), np.float32), np.zeros((3, 2))],
                        error=flow.DTypeError)
        return build

    for name, call in (("flowkit.matmul", flow.matmul), ("flowkit.mm", flow.mm),
                       ("Tensor.matmul", lambda a, b: a.matmul(b)),
                       ("Tensor.__matmul__", operator.matmul)):
        spec(name, mm_b(call), True, mm_invalid(call))

    # a flowkit tensor on the right of a non-tensor: Python asks the tensor, which declines
    # (mixing numpy arrays or lists with tensors is refused everywhere)
    def rmatmul_b(d):
        x = values(d.rng(), (2, 2), d.choice(FLOATS))
        return Case(lambda a, b: a.__rmatmul__(b) is NotImplemented, [x, x], lambda a, b: True)

    def rmatmul_invalid(d):
        left = d.choice(([1.0, 2.0], np.array([1.0, 2.0])))
        return Case(lambda t: left @ t, [np.ones(2)], error=TypeError)

    spec("Tensor.__rmatmul__", rmatmul_b, False, rmatmul_invalid)


_register_matmul()


# ============================================================================ in-place arithmetic
_INPLACE = {"add_": "add", "sub_": "sub", "mul_": "mul", "div_": "div",
            "__iadd__": "add", "__isub__": "sub", "__imul__": "mul", "__itruediv__": "div"}
_IOP = {"__iadd__": operator.iadd, "__isub__": operator.isub, "__imul__": operator.imul,
        "__itruediv__": operator.itruediv}


def _inplace_ref(op, x, other, alpha=None):
    """The result written back into ``x``: PyTorch computes in the promoted dtype and casts to
    ``x``'s (an int tensor cannot take a float result)."""
    if alpha is not None:
        other = ref_binary("mul", other, alpha)
    return ref_binary(op, x, other).astype(x.dtype)


def _register_inplace():
    for name, op in _INPLACE.items():
        def build(d, name=name, op=op):
            rng = d.rng()
            dx = d.choice(FLOATS) if op == "div" else d.choice(NUM)
            sx = shape(d)
            form = d.choice(("tensor", "tensor", "number"))
            alpha = d.choice((None, 2, 0.5)) if name in ("add_", "sub_") else None
            if alpha == 0.5 and dx.kind != "f":
                alpha = 2

            def call(t, o):
                y = t.clone()
                if name in _IOP:
                    r = _IOP[name](y, o)
                else:
                    r = getattr(y, name)(o) if alpha is None else getattr(y, name)(o, alpha=alpha)
                assert r is y, "an in-place op returns the tensor itself"
                return y

            if form == "number":
                s = d.choice((2, -1, 0.5)) if dx.kind == "f" else d.choice((2, -1, True))
                if op == "sub" and s is True:
                    s = 1  # a bool number subtracted is an error: see invalid below
                x = values(rng, sx, dx)
                return Case(lambda t: call(t, s), [x], lambda v: _inplace_ref(op, v, s, alpha),
                            label=f"{name} {dx}{sx} {s!r} alpha={alpha}")
            k = d.int(0, len(sx))
            so = tuple(1 if d.bool() else z for z in sx[k:])  # broadcasts to x's shape
            do = dx if d.int(0, 2) else d.choice([t for t in NUM if _kind(t) <= _kind(dx)])
            x = values(rng, sx, dx)
            o = values(rng, so, do, "nonzero" if op == "div" else "any")
            return Case(lambda t, u: call(t, u), [x, o],
                        lambda v, u: _inplace_ref(op, v, u, alpha),
                        label=f"{name} {dx}{sx} {do}{so} alpha={alpha}")

        def invalid(d, name=name, op=op):
            def call(t, o):
                y = t.clone()
                return _IOP[name](y, o) if name in _IOP else getattr(y, name)(o)
            if op == "sub" and d.int(0, 2) == 0:  # a bool operand, as in PyTorch
                if d.bool():
                    return Case(lambda t: call(t, True), [values(d.rng(), (3,), d.choice(ALL))],
                                error=flow.DTypeError)
                bad = [values(d.rng(), (3,), d.choice(ALL)), values(d.rng(), (3,), BOOL)]
                return Case(call, bad[::-1] if d.bool() else bad, error=flow.DTypeError)
            if d.bool():  # the result cannot grow the tensor
                return Case(call, [np.zeros((3,), np.float32), np.zeros((2, 3), np.float32)],
                            error=flow.ShapeError)
            # nor change its dtype kind: float results into an int tensor
            return Case(call, [np.ones((3,), I64), np.full((3,), 1.5, np.float32)],
                        error=flow.DTypeError)

        spec(f"Tensor.{name}", build, True, invalid)

    def fill_b(name):
        def build(d):
            dt = d.choice(ALL)
            x = values(d.rng(), shape(d), dt)
            v = d.choice((1.5, -2, True, 0)) if dt.kind == "f" else d.choice((3, -1, True, 0))
            if dt.kind == "b":
                v = d.choice((True, False, 1))

            def fn(t):
                y = t.clone() if t.requires_grad else t
                with flow.no_grad():
                    r = y.zero_() if name == "zero_" else y.fill_(v)
                assert r is y
                return y

            val = 0 if name == "zero_" else v
            return Case(fn, [x], lambda a: np.full(a.shape, val).astype(a.dtype))
        return build

    spec("Tensor.fill_", fill_b("fill_"))
    spec("Tensor.zero_", fill_b("zero_"))

    def copy_b(d):
        rng = d.rng()
        sx = shape(d)
        k = d.int(0, len(sx))
        ss = tuple(1 if d.bool() else z for z in sx[k:])
        dx, ds = d.choice(ALL), d.choice(ALL)
        x, src = values(rng, sx, dx, "nonneg"), values(rng, ss, ds, "nonneg")

        def fn(t, s):
            with flow.no_grad():
                r = t.copy_(s)
            assert r is t
            return t

        return Case(fn, [x, src], lambda a, b: np.broadcast_to(b, a.shape).astype(a.dtype),
                    label=f"copy_ {dx}{sx} <- {ds}{ss}")

    spec("Tensor.copy_", copy_b, False,
         lambda d: Case(lambda t, s: t.copy_(s), [np.zeros((2, 3)), np.zeros((4,))],
                        error=flow.ShapeError))


_register_inplace()


# ============================================================================ casts and queries
_CASTS = {"float": F32, "double": F64, "half": F16, "int": I32, "long": I64, "bool": BOOL}


def _register_casts():
    def cast_b(make):
        def build(d):
            src = d.choice(ALL + (U8, F16))
            x = values(d.rng(), shape(d), src, "nonneg" if d.bool() else "any")
            if src.kind == "f":
                x = np.where(np.abs(x) < 1e-3, 0.5, x).astype(src)
            fn, want, label = make(d)
            # float64 -> float32/float16: linear up to the rounding, so a wide step keeps the
            # finite differences exact up to rounding / step
            step = {F32: (0.1, 1e-4), F16: (0.25, 3e-2)}.get(want, (1e-6, 1e-5))

            def ref(v):
                if want.kind in "iu" and v.dtype.kind == "f":
                    return np.trunc(v).astype(want)  # toward zero, as C casts
                return v.astype(want)

            if want == U8:
                x = np.abs(x)
            return Case(fn, [x], ref, fd_eps=step[0], fd_rtol=step[1], fd_atol=step[1],
                        label=f"{label} {src}{x.shape} -> {want}")
        return build

    for name, want in _CASTS.items():
        spec(f"Tensor.{name}",
             cast_b(lambda d, name=name, want=want: (lambda t: getattr(t, name)(), want, name)),
             True)

    targets = [("float32", F32), ("float64", F64), ("int64", I64), ("int32", I32),
               ("bool", BOOL), ("uint8", U8), ("int8", I8), ("int16", I16), ("float16", F16)]

    def to_make(d):
        tname, want = d.choice(targets)
        fdt = getattr(flow, tname)
        form = d.choice(("pos", "kw", "name", "tensor", "device_and_dtype"))
        if form == "pos":
            return (lambda t: t.to(fdt)), want, f"to({tname})"
        if form == "kw":
            return (lambda t: t.to(dtype=fdt)), want, f"to(dtype={tname})"
        if form == "name":
            return (lambda t: t.to(dtype=tname)), want, f"to(dtype='{tname}')"
        if form == "tensor":
            return (lambda t: t.to(flow.zeros(1, dtype=fdt))), want, f"to(<{tname} tensor>)"
        return (lambda t: t.to("cpu", fdt)), want, f"to('cpu', {tname})"

    spec("Tensor.to", cast_b(to_make), True)

    def type_make(d):
        tname, want = d.choice(targets)
        names = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
                 "int32": "IntTensor", "bool": "BoolTensor", "uint8": "ByteTensor",
                 "int8": "CharTensor", "int16": "ShortTensor", "float16": "HalfTensor"}
        if d.bool():
            return (lambda t: t.type(getattr(flow, tname))), want, f"type({tname})"
        return (lambda t: t.type("flowkit." + names[tname])), want, f"type('{names[tname]}')"

    spec("Tensor.type", cast_b(type_make), True)

    def type_as_make(d):
        tname, want = d.choice(targets)
        return (lambda t: t.type_as(flow.zeros(2, dtype=getattr(flow, tname)))), want, \
            f"type_as({tname})"

    spec("Tensor.type_as", cast_b(type_as_make), True)

    def type_name_b(d):
        dt = d.choice(ALL + (U8, I8, I16, F16))
        names = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
                 "int32": "IntTensor", "bool": "BoolTensor", "uint8": "ByteTensor",
                 "int8": "CharTensor", "int16": "ShortTensor", "float16": "HalfTensor"}
        x = values(d.rng(), shape(d), dt)
        return Case(lambda t: t.type(), [x], lambda v: "flowkit." + names[v.dtype.name])

    spec("Tensor.type[name]", type_name_b)

    # queries: Python values
    def query(fn, ref, dts=ALL, shp=None):
        def build(d):
            x = values(d.rng(), shp(d) if shp else shape(d), d.choice(dts))
            return Case(fn, [x], ref, label=f"{x.dtype}{x.shape}")
        return build

    one = lambda d: d.choice(((), (1,), (1, 1)))  # noqa: E731
    nonscalar = lambda d: shape(d, 1, 3, zero=True)  # noqa: E731
    spec("Tensor.size", query(lambda t: (t.size(), [t.size(i) for i in range(-t.dim(), t.dim())]),
                              lambda v: (list(v.shape), [v.shape[i] for i in
                                                         range(-v.ndim, v.ndim)])))
    spec("Tensor.dim", query(lambda t: t.dim(), lambda v: v.ndim))
    spec("Tensor.numel", query(lambda t: t.numel(), lambda v: int(v.size)))
    spec("Tensor.nelement", query(lambda t: t.nelement(), lambda v: int(v.size)))
    spec("flowkit.numel", query(flow.numel, lambda v: int(v.size)))
    spec("Tensor.element_size", query(lambda t: t.element_size(), lambda v: v.itemsize,
                                      ALL + (U8, I8, I16, F16)))
    spec("Tensor.is_floating_point", query(lambda t: t.is_floating_point(),
                                           lambda v: v.dtype.kind == "f", ALL + (F16,)))
    spec("Tensor.item", query(lambda t: t.item(), lambda v: v.item(), ALL, one),
         invalid=lambda d: Case(lambda t: t.item(), [np.zeros((2,))], error=flow.ShapeError))
    spec("Tensor.tolist", query(lambda t: t.tolist(), lambda v: v.tolist()))
    spec("Tensor.__float__", query(float, lambda v: float(v.item()), ALL, one),
         invalid=lambda d: Case(float, [np.zeros((2,))], error=flow.ShapeError))
    spec("Tensor.__int__", query(int, lambda v: int(v.item()), ALL, one),
         invalid=lambda d: Case(int, [np.zeros((3,))], error=flow.ShapeError))
    spec("Tensor.__bool__", query(bool, lambda v: bool(v.item()), ALL, one),
         invalid=lambda d: Case(bool, [np.zeros((2,))], error=flow.FlowkitError))
    spec("Tensor.__index__", query(operator.index, lambda v: int(v.item()), INTS + (U8,), one),
         invalid=lambda d: Case(operator.index, [np.zeros(())], error=TypeError))
    spec("Tensor.__len__", query(len, lambda v: v.shape[0], ALL, nonscalar),
         invalid=lambda d: Case(len, [np.zeros(())], error=TypeError))
    spec("Tensor.__iter__", query(lambda t: [r.tolist() for r in t], lambda v: list(v.tolist()),
                                  ALL, nonscalar),
         invalid=lambda d: Case(lambda t: list(t), [np.zeros(())], error=TypeError))
    spec("flowkit.is_tensor", lambda d: Case(
        lambda t: (flow.is_tensor(t), flow.is_tensor(t.numpy()), flow.is_tensor([1.0])),
        [values(d.rng(), shape(d), d.choice(ALL))], lambda v: (True, False, False)))

    def allclose_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        sa, sb = bcast_pair(d)
        a = values(rng, sa, dt)
        close = d.bool()
        b = (np.broadcast_to(a, np.broadcast_shapes(sa, sb)) * (1 + (1e-7 if close else 1e-2))
             ).astype(dt) if d.bool() else values(rng, sb, dt)
        kw = d.choice(({}, {"rtol": 1e-3}, {"atol": 0.5}, {"rtol": 0.0, "atol": 0.0}))
        return Case(lambda x, y: flow.allclose(x, y, **kw), [a, b],
                    lambda x, y: bool(np.allclose(x, y, **kw)), label=f"{sa} {sb} {kw}")

    spec("flowkit.allclose", allclose_b)


_register_casts()

edge("int.sub_bool_number", lambda x: x - True, np.array([1, 2]))
edge("int.isub_bool_number", lambda x: x.clone().sub_(True), np.array([1, 2]))
edge("int.rsub_bool_number", lambda x: True - x, np.array([1, 2]))
edge("float.sub_bool_tensor", lambda x, y: x - y, np.array([1.5, 2.0]), np.array([True, False]))


# ============================================================================ creation
_FDT = {"float32": F32, "float64": F64, "int64": I64, "int32": I32, "bool": BOOL,
        "float16": F16, "uint8": U8}


def _size_forms(d: Draw, size: tuple):
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` mean the same size."""
    form = d.choice(("star", "tuple", "list"))
    return {"star": lambda f, **k: f(*size, **k), "tuple": lambda f, **k: f(tuple(size), **k),
            "list": lambda f, **k: f(list(size), **k)}[form]


def _dtype_kw(d: Draw, default):
    name = d.choice((None, "float32", "float64", "int64", "int32", "bool"))
    return ({} if name is None else {"dtype": getattr(flow, name)}), (
        default if name is None else _FDT[name])


def _data(d: Draw, rng):
    """Data for flowkit.tensor: nested lists of Python numbers, Python numbers, numpy arrays."""
    kind = d.choice(("int_list", "float_list", "bool_list", "mixed_list", "nested", "number",
                     "array", "empty"))
    if kind == "array":
        return values(rng, shape(d), d.choice(ALL + (U8, F16)))
    if kind == "number":
        return d.choice((3, -2.5, True, 0))
    if kind == "empty":
        return []
    n = d.int(1, 4)
    if kind == "int_list":
        return [int(v) for v in rng.integers(-5, 5, n)]
    if kind == "float_list":
        return [float(v) for v in rng.uniform(-2, 2, n)]
    if kind == "bool_list":
        return [bool(v) for v in rng.random(n) < 0.5]
    if kind == "mixed_list":
        return [1, 2.5, True][:n] + [float(v) for v in rng.uniform(-1, 1, max(n - 3, 0))]
    return [[float(v) for v in rng.uniform(-2, 2, 3)] for _ in range(n)]


def _infer(data, dtype=None):
    if isinstance(data, np.ndarray):
        a = data.copy()
    else:
        a = np.array(data)
        a = a.astype({"f": F32 if dtype is None else F64, "i": I64, "u": I64, "b": BOOL}[
            a.dtype.kind]) if a.size or a.dtype.kind != "f" else a.astype(F32)
    return a if dtype is None else a.astype(dtype)


def _register_creation():
    def tensor_b(d):
        data = _data(d, d.rng())
        kw, want = _dtype_kw(d, None)
        ref = lambda: _infer(data, want)  # noqa: E731
        return Case(lambda: flow.tensor(data, **kw), [], ref, label=f"tensor({data!r:.60}, {kw})")

    def tensor_invalid(d):
        kind = d.choice(("ragged", "strings", "requires_grad_int"))
        if kind == "ragged":
            return Case(lambda: flow.tensor([[1.0, 2.0], [3.0]]), [], error=flow.ShapeError)
        if kind == "strings":
            return Case(lambda: flow.tensor(["a", "b"]), [], error=flow.DTypeError)
        return Case(lambda: flow.tensor([1, 2], requires_grad=True), [], error=flow.DTypeError)

    spec("flowkit.tensor", tensor_b, False, tensor_invalid)

    def filled_b(name, value):
        def build(d):
            size = shape(d)
            kw, want = _dtype_kw(d, F32)
            call = _size_forms(d, size)
            return Case(lambda: call(getattr(flow, name), **kw), [],
                        lambda: np.full(size, value).astype(want), label=f"{name}{size} {kw}")
        return build

    def size_invalid(name):
        return lambda d: Case(lambda: getattr(flow, name)(2, -1), [], error=flow.ShapeError)

    for name, value in (("zeros", 0), ("ones", 1), ("empty", 0)):
        spec(f"flowkit.{name}", filled_b(name, value), False, size_invalid(name))

    def full_b(d):
        size = shape(d)
        v = d.choice((2, -1.5, True, 0, 7))
        infer = BOOL if isinstance(v, bool) else (I64 if isinstance(v, int) else F32)
        kw, want = _dtype_kw(d, infer)
        as_int = d.bool() and len(size) == 1
        sz = size[0] if as_int else size
        return Case(lambda: flow.full(sz, v, **kw), [], lambda: np.full(size, v).astype(want),
                    label=f"full({sz}, {v!r}, {kw})")

    spec("flowkit.full", full_b, False,
         lambda d: Case(lambda: flow.full((2, -3), 1.0), [], error=flow.ShapeError))

    def like_b(name):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(ALL))
            v = d.choice((3, -0.5, True))
            kw, want = _dtype_kw(d, None)
            fill = {"zeros_like": 0, "ones_like": 1, "empty_like": 0, "full_like": v}[name]

            def fn(t):
                if name == "full_like":
                    return flow.full_like(t, v, **kw)
                return getattr(flow, name)(t, **kw)

            return Case(fn, [x], lambda a: np.full(a.shape, fill).astype(want or a.dtype),
                        label=f"{name} {x.dtype}{x.shape} {kw} {fill!r}")
        return build

    for name in ("zeros_like", "ones_like", "empty_like", "full_like"):
        spec(f"flowkit.{name}", like_b(name))

    def eye_b(d):
        n = d.int(0, 4)
        m = d.choice((None, 0, 1, 3))
        kw, want = _dtype_kw(d, F32)
        if m is None:
            return Case(lambda: flow.eye(n, **kw), [], lambda: np.eye(n).astype(want))
        return Case(lambda: flow.eye(n, m, **kw), [], lambda: np.eye(n, m).astype(want),
                    label=f"eye({n}, {m}, {kw})")

    spec("flowkit.eye", eye_b)

    def arange_b(d):
        form = d.choice(("end", "start_end", "step", "float", "neg_step"))
        args = {"end": (d.int(0, 6),), "start_end": (d.int(-3, 2), d.int(-3, 6)),
                "step": (d.int(-3, 2), d.int(3, 9), d.int(1, 3)),
                "float": (d.choice((0.0, -1.5, 0.5)), d.choice((2.0, 3.25, 4)), d.choice((0.5, 1,
                                                                                          0.75))),
                "neg_step": (d.int(3, 6), d.int(-2, 1), d.choice((-1, -2)))}[form]
        kw, want = _dtype_kw(d, F32 if any(isinstance(a, float) for a in args) else I64)
        if want == BOOL:
            kw, want = {}, (F32 if any(isinstance(a, float) for a in args) else I64)
        return Case(lambda: flow.arange(*args, **kw), [],
                    lambda: np.arange(*args).astype(want), label=f"arange{args} {kw}")

    spec("flowkit.arange", arange_b, False,
         lambda d: Case(lambda: flow.arange(0, 5, 0), [], error=ValueError))

    def linspace_b(d):
        start, end = d.choice((0.0, -1.0, 2)), d.choice((1.0, 3.5, -2))
        steps = d.int(0, 5)
        kw, want = _dtype_kw(d, F32)
        if want.kind != "f":
            kw, want = {"dtype": flow.float64}, F64
        return Case(lambda: flow.linspace(start, end, steps, **kw), [],
                    lambda: np.linspace(start, end, steps).astype(want),
                    label=f"linspace({start}, {end}, {steps}) {kw}")

    spec("flowkit.linspace", linspace_b)

    def random_b(name, lo=0.0, hi=1.0):
        def build(d):
            size = shape(d)
            dt = d.choice((None, "float32", "float64"))
            kw = {} if dt is None else {"dtype": getattr(flow, dt)}
            want = F32 if dt is None else _FDT[dt]
            seed = d.int(0, 1000)
            call = _size_forms(d, size)

            def fn():
                flow.manual_seed(seed)
                a = call(getattr(flow, name), **kw)
                flow.manual_seed(seed)
                b = call(getattr(flow, name), **kw)
                assert np.array_equal(a.numpy(), b.numpy()), "a seed gives the same numbers"
                return a

            def check(out, arrays):
                assert out.dtype.name == want.name and tuple(out.shape) == size
                v = out.numpy()
                assert np.isfinite(v).all()
                if name == "rand":
                    assert ((v >= 0) & (v < 1)).all()

            return Case(fn, [], check=check, seed=seed, label=f"{name}{size} {kw}")
        return build

    for name in ("rand", "randn"):
        spec(f"flowkit.{name}", random_b(name), False,
             lambda d, f=getattr(flow, name): Case(lambda: f(2, dtype=flow.int64), [],
                                                   error=flow.DTypeError))

    def random_like_b(name):
        def build(d):
            x = values(d.rng(), shape(d), d.choice(FLOATS))
            seed = d.int(0, 1000)

            def check(out, arrays):
                assert out.dtype.name == arrays[0].dtype.name
                assert tuple(out.shape) == arrays[0].shape
                v = out.numpy()
                assert np.isfinite(v).all()
                if name == "rand_like":
                    assert ((v >= 0) & (v < 1)).all()
            return Case(lambda t: getattr(flow, name)(t), [x], check=check, seed=seed)
        return build

    spec("flowkit.rand_like", random_like_b("rand_like"))
    spec("flowkit.randn_like", random_like_b("randn_like"))

    def randint_b(d):
        low, high = d.int(-5, 2), d.int(3, 9)
        size = shape(d)
        kw, want = _dtype_kw(d, I64)
        if want.kind != "i":
            kw, want = {}, I64
        one = d.bool()

        def check(out, arrays):
            assert out.dtype.name == want.name and tuple(out.shape) == size
            v = out.numpy()
            lo = 0 if one else low
            assert ((v >= lo) & (v < high)).all()

        if one:  # randint(high, size), positionally (PyTorch's form) or by keyword
            fn = (lambda: flow.randint(high, size, **kw)) if d.bool() else (
                lambda: flow.randint(high, size=size, **kw))
        else:
            fn = lambda: flow.randint(low, high, size, **kw)  # noqa: E731
        return Case(fn, [], check=check, seed=d.int(0, 1000), label=f"randint {low} {high}")

    spec("flowkit.randint", randint_b)

    def randperm_b(d):
        n = d.int(0, 8)
        kw, want = _dtype_kw(d, I64)
        if want.kind != "i":
            kw, want = {}, I64

        def check(out, arrays):
            assert out.dtype.name == want.name and tuple(out.shape) == (n,)
            assert sorted(out.tolist()) == list(range(n))
        return Case(lambda: flow.randperm(n, **kw), [], check=check, seed=d.int(0, 1000))

    spec("flowkit.randperm", randperm_b)

    def from_numpy_b(d):
        x = values(d.rng(), shape(d), d.choice(ALL + (U8, I8, I16, F16)))
        return Case(lambda: flow.from_numpy(x), [], lambda: x.copy(), label=f"{x.dtype}{x.shape}")

    spec("flowkit.from_numpy", from_numpy_b, False,
         lambda d: Case(lambda: flow.from_numpy([1, 2]), [], error=TypeError))

    # Tensor.new_*: this tensor's dtype unless given
    def new_b(name):
        def build(d):
            x = values(d.rng(), shape(d, 0, 2), d.choice(ALL))
            size = shape(d)
            kw, want = _dtype_kw(d, None)
            v = d.choice((2, -1.5, True))
            if name == "new_tensor":
                data = _data(d, d.rng())
                if isinstance(data, np.ndarray) and data.dtype == F16 and not kw:
                    data = data.astype(F32)
                return Case(lambda t: t.new_tensor(data, **kw), [x],
                            lambda a: _infer(data, F64).astype(want or a.dtype)
                            if not isinstance(data, np.ndarray) else data.astype(want or a.dtype),
                            label=f"new_tensor({data!r:.50}) {kw}")
            if name == "new_full":
                return Case(lambda t: t.new_full(size, v, **kw), [x],
                            lambda a: np.full(size, v).astype(want or a.dtype))
            fill = {"new_zeros": 0, "new_ones": 1, "new_empty": 0}[name]
            call = _size_forms(d, size)
            return Case(lambda t: call(getattr(t, name), **kw), [x],
                        lambda a: np.full(size, fill).astype(want or a.dtype),
                        label=f"{name}{size} {kw}")
        return build

    for name in ("new_tensor", "new_full", "new_zeros", "new_ones", "new_empty"):
        spec(f"Tensor.{name}", new_b(name))


_register_creation()


# ============================================================================ nn.functional
def _log_softmax(x, axis):
    if not x.size:
        return x.copy()
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def ref_softmax(x, dim, log=False):
    v = f64(x)
    if v.ndim == 0:
        out = np.zeros(()) if log else np.ones(())
    else:
        out = _log_softmax(v, dim % v.ndim)
        out = out if log else np.exp(out)
    return out.astype(x.dtype)


def ref_gelu(x, approximate="none"):
    v = f64(x)
    if approximate == "tanh":
        out = 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)))
    else:
        erf = np.vectorize(math.erf, otypes=[np.float64])
        out = 0.5 * v * (1 + erf(v / math.sqrt(2))) if v.size else v
    return np.asarray(out).astype(x.dtype)


def ref_conv2d(x, w, b, stride, pads, dil, groups):
    """Cross-correlation, by summing shifted slices: pads = (top, bottom, left, right)."""
    unbatched = x.ndim == 3
    xv = f64(x)[None] if unbatched else f64(x)
    n, c, h, wd = xv.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(xv, ((0, 0), (0, 0), (pads[0], pads[1]), (pads[2], pads[3])))
    ho = (h + pads[0] + pads[1] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + pads[2] + pads[3] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, ho, wo))
    og = o // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = f64(w)[g * og:(g + 1) * og]
        for i in range(kh):
            for j in range(kw):
                r0, c0 = i * dil[0], j * dil[1]
                patch = xs[:, :, r0:r0 + stride[0] * (ho - 1) + 1:stride[0],
                           c0:c0 + stride[1] * (wo - 1) + 1:stride[1]]
                out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch, ws[:, :, i, j])
    if b is not None:
        out += f64(b)[None, :, None, None]
    out = out.astype(x.dtype)
    return out[0] if unbatched else out


def _pool_len(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window must start inside the input or its left padding
    return out


def ref_max_pool2d(x, k, s, p, dil, ceil_mode):
    unbatched = x.ndim == 3
    xv = f64(x)[None] if unbatched else f64(x)
    n, c, h, w = xv.shape
    ho = _pool_len(h, k[0], s[0], p[0], dil[0], ceil_mode)
    wo = _pool_len(w, k[1], s[1], p[1], dil[1], ceil_mode)
    extra_h = max(0, (ho - 1) * s[0] + dil[0] * (k[0] - 1) + 1 - (h + 2 * p[0]))
    extra_w = max(0, (wo - 1) * s[1] + dil[1] * (k[1] - 1) + 1 - (w + 2 * p[1]))
    xp = np.pad(xv, ((0, 0), (0, 0), (p[0], p[0] + extra_h), (p[1], p[1] + extra_w)),
                constant_values=-np.inf)
    out = np.full((n, c, ho, wo), -np.inf)
    for i in range(k[0]):
        for j in range(k[1]):
            r0, c0 = i * dil[0], j * dil[1]
            out = np.maximum(out, xp[:, :, r0:r0 + s[0] * (ho - 1) + 1:s[0],
                                     c0:c0 + s[1] * (wo - 1) + 1:s[1]])
    out = out.astype(x.dtype)
    return out[0] if unbatched else out


def ref_classification(x, t, w, ignore_index, reduction, ls, log_input):
    """PyTorch's cross_entropy (``log_input=False``: logits) and nll_loss (log-probabilities)."""
    v = f64(x)
    cax = 0 if v.ndim == 1 else 1
    c = v.shape[cax]
    logp = v if log_input else _log_softmax(v, cax)
    wv = np.ones(c) if w is None else f64(w)
    if t.dtype.kind == "f":  # class probabilities (cross_entropy only)
        p = f64(t) * (1 - ls) + ls / c
        wshape = [1] * v.ndim
        wshape[cax] = c
        per = -(logp * p * wv.reshape(wshape)).sum(axis=cax)
        out = {"none": per, "sum": per.sum(), "mean": per.sum() / (v.size // c if c else 0)}[
            reduction]
        return np.asarray(out).astype(x.dtype)
    lc = np.moveaxis(logp, cax, -1)
    ign = t == ignore_index
    tt = np.where(ign, 0, t).astype(np.int64)
    picked = np.take_along_axis(lc, tt[..., None], -1)[..., 0]
    wt = np.where(ign, 0.0, wv[tt])
    nll = -picked * wt
    smooth = np.where(ign, 0.0, -(lc * wv).sum(-1))
    with np.errstate(all="ignore"):
        if reduction == "none":
            a, b_ = nll, smooth
        elif reduction == "sum":
            a, b_ = nll.sum(), smooth.sum()
        else:
            a, b_ = nll.sum() / wt.sum(), smooth.sum() / wt.sum()
        out = a if ls == 0 else (1 - ls) * a + ls / c * b_
    return np.asarray(out).astype(x.dtype)


def _register_nn():
    def linear_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        fin, fout = d.int(1, 4), d.int(1, 3)
        lead = shape(d, 0, 2)
        x, w = values(rng, lead + (fin,), dt), values(rng, (fout, fin), dt)
        ref = lambda a, ww, bb=None: (f64(a) @ f64(ww).T + (0 if bb is None else f64(bb))  # noqa
                                      ).astype(dt)
        if d.bool():
            return Case(lambda a, ww, bb: F.linear(a, ww, bb), [x, w, values(rng, (fout,), dt)],
                        ref, label=f"linear {lead} {fin}->{fout} bias")
        if d.bool():
            return Case(lambda a, ww: F.linear(a, ww, None), [x, w], ref)
        return Case(lambda a, ww: F.linear(a, ww), [x, w], ref, label=f"linear {lead} {fin}")

    def linear_invalid(d):
        if d.bool():
            return Case(F.linear, [np.zeros((2, 3)), np.zeros((4, 2))], error=flow.ShapeError)
        return Case(F.linear, [np.zeros((2, 3), np.float32), np.zeros((4, 3))],
                    error=flow.DTypeError)

    spec("F.linear", linear_b, True, linear_invalid)

    def mse_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        shp = shape(d)
        red = d.choice(("mean", "sum", "none"))
        x, t = values(rng, shp, dt), values(rng, shp, dt)

        def ref(a, b):
            e = (f64(a) - f64(b)) ** 2
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return np.asarray({"none": e, "sum": e.sum(), "mean": e.mean()}[red]).astype(dt)

        if red == "mean" and d.bool():
            return Case(F.mse_loss, [x, t], ref, label=f"mse {shp}")
        return Case(lambda a, b: F.mse_loss(a, b, reduction=red), [x, t], ref,
                    label=f"mse {shp} {red}")

    def mse_invalid(d):
        if d.bool():
            return Case(F.mse_loss, [np.zeros((3, 1)), np.zeros((3,))], error=flow.ShapeError)
        return Case(lambda a, b: F.mse_loss(a, b, reduction="avg"), [np.zeros(2), np.zeros(2)],
                    error=ValueError)

    spec("F.mse_loss", mse_b, True, mse_invalid)

    def leaky_b(d):
        dt = d.choice(FLOATS)
        x = values(d.rng(), shape(d), dt, "nonzero")
        slope = d.choice((0.01, 0.2, -0.5, None))
        if slope is None:
            return Case(F.leaky_relu, [x], lambda a: np.where(a > 0, a, 0.01 * a).astype(dt))
        return Case(lambda a: F.leaky_relu(a, slope), [x],
                    lambda a: np.where(a > 0, f64(a), slope * f64(a)).astype(dt))

    spec("F.leaky_relu", leaky_b, True,
         lambda d: Case(F.leaky_relu, [np.array([1, -2])], error=flow.DTypeError))

    def gelu_b(d):
        dt = d.choice(FLOATS)
        x = (values(d.rng(), shape(d), dt) * 2).astype(dt)
        approx = d.choice((None, "none", "tanh"))
        if approx is None:
            return Case(F.gelu, [x], lambda a: ref_gelu(a))
        return Case(lambda a: F.gelu(a, approximate=approx), [x], lambda a: ref_gelu(a, approx))

    def gelu_invalid(d):
        if d.bool():
            return Case(lambda a: F.gelu(a, approximate="fast"), [np.zeros(2)], error=ValueError)
        return Case(F.gelu, [np.array([1, 2])], error=flow.DTypeError)

    spec("F.gelu", gelu_b, True, gelu_invalid)

    def softmax_b(call, log):
        def build(d):
            dt = d.choice(FLOATS + INTS)
            x = (values(d.rng(), shape(d), dt) * d.choice((1, 10))).astype(dt)
            n = max(x.ndim, 1)
            dim = d.int(-n, n - 1)
            kw = {}
            if dt.kind != "f" or d.int(0, 3) == 0:
                kw = {"dtype": d.choice((flow.float32, flow.float64))}
            cast = (lambda a: a.astype(np.dtype(kw["dtype"].name))) if kw else (lambda a: a)
            if call is None:  # F.softmax(x) without dim: PyTorch's legacy choice, with a warning
                legacy = 0 if x.ndim in (0, 1, 3) else 1

                def fn(t):
                    with warnings.catch_warnings(record=True) as w:
                        warnings.simplefilter("always")
                        out = (F.log_softmax if log else F.softmax)(t, **kw)
                    assert any(issubclass(r.category, UserWarning) for r in w), "no warning"
                    return out
                return Case(fn, [x], lambda a: ref_softmax(cast(a), legacy, log),
                            grad=kw.get("dtype") is not flow.float32,
                            label=f"{x.shape} implicit dim")
            return Case(lambda t: call(t, dim, **kw), [x], lambda a: ref_softmax(cast(a), dim, log),
                        grad=kw.get("dtype") is not flow.float32,  # float32 would blur FD
                        label=f"{'log_' if log else ''}softmax {x.dtype}{x.shape} {dim} {kw}")
        return build

    def softmax_invalid(call):
        def build(d):
            if d.bool():
                return Case(lambda t: call(t, 0), [np.array([1, 2])], error=flow.DTypeError)
            return Case(lambda t: call(t, 2), [np.zeros((2, 2))], error=IndexError)
        return build

    for log in (False, True):
        name = "log_softmax" if log else "softmax"
        fcall = getattr(F, name)
        spec(f"F.{name}", softmax_b(lambda t, dim, fcall=fcall, **kw: fcall(t, dim=dim, **kw),
                                    log), True, softmax_invalid(fcall))
        spec(f"F.{name}[implicit_dim]", softmax_b(None, log), True)
        mcall = method(name)
        spec(f"Tensor.{name}", softmax_b(mcall, log), True, softmax_invalid(mcall))

    def dropout_b(d):
        dt = d.choice(FLOATS)
        x = values(d.rng(), shape(d), dt, "nonzero")
        p = d.choice((0.0, 0.25, 0.5, 0.9, 1.0))
        training = d.choice((True, True, False, None))
        seed = d.int(0, 1000)
        kw = {} if training is None else {"training": training}
        if d.bool():
            kw["inplace"] = False  # accepted for PyTorch code; flowkit returns a new tensor
        if training is False or p == 0:
            return Case(lambda t: F.dropout(t, p, **kw), [x], lambda a: a.copy(), seed=seed,
                        label=f"dropout p={p} {kw}")

        def check(out, arrays):
            a = f64(arrays[0])
            v = f64(out.numpy())
            assert out.dtype.name == dt.name and tuple(out.shape) == a.shape
            kept = np.isclose(v, a / (1 - p), rtol=1e-6) if p < 1 else np.zeros(a.shape, bool)
            assert (kept | (v == 0)).all(), "dropout values are 0 or x / (1 - p)"
            flow.manual_seed(seed)
            again = F.dropout(flow.tensor(arrays[0]), p, **kw)
            assert np.array_equal(again.numpy(), out.numpy()), "a seed gives the same mask"

        return Case(lambda t: F.dropout(t, p, **kw), [x], check=check, seed=seed,
                    label=f"dropout p={p} {x.shape}")

    def dropout_invalid(d):
        if d.bool():
            return Case(lambda t: F.dropout(t, 1.5), [np.zeros(3)], error=ValueError)
        return Case(lambda t: F.dropout(t, 0.5), [np.array([1, 2])], error=flow.DTypeError)

    spec("F.dropout", dropout_b, True, dropout_invalid)

    def embedding_b(d):
        rng = d.rng()
        n, dim = d.int(1, 5), d.int(1, 3)
        w = values(rng, (n, dim), d.choice(FLOATS))
        idx = rng.integers(0, n, shape(d, 0, 2)).astype(d.choice((I64, I32)))
        pad = d.choice((None, None, 0, -1, n - 1))

        def fix(fd, arrays, diff):  # the padding row gets no gradient (PyTorch's rule)
            if pad is None:
                return fd
            kind, num = fd[0][0], fd[0][1].copy()
            num[pad % n] = 0
            return [(kind, num)]

        call = (lambda i, ww: F.embedding(i, ww)) if pad is None else (
            lambda i, ww: F.embedding(i, ww, padding_idx=pad))
        return Case(call, [idx, w], lambda i, ww: ww[i], grad_fix=fix,
                    label=f"embedding {idx.shape} {w.shape} pad={pad}")

    def embedding_invalid(d):
        kind = d.choice(("range", "float", "weight", "padding"))
        if kind == "padding":
            return Case(lambda i, w: F.embedding(i, w, padding_idx=3),
                        [np.array([0]), np.zeros((3, 2))], error=ValueError)
        if kind == "range":
            return Case(F.embedding, [np.array([0, 5]), np.zeros((3, 2))], error=IndexError)
        if kind == "float":
            return Case(F.embedding, [np.array([0.0]), np.zeros((3, 2))], error=flow.DTypeError)
        return Case(F.embedding, [np.array([0]), np.zeros((3,))], error=flow.ShapeError)

    spec("F.embedding", embedding_b, True, embedding_invalid)

    def layer_norm_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        lead = shape(d, 0, 2)
        ns = shape(d, 1, 2, zero=False)
        x = values(rng, lead + ns, dt)
        affine = d.choice(("none", "weight", "both", "bias"))
        eps = d.choice((1e-5, 1e-3))
        arg = ns[0] if len(ns) == 1 and d.bool() else ns
        k = len(ns)

        def ref(a, ww=None, bb=None):
            v = f64(a)
            ax = tuple(range(v.ndim - k, v.ndim))
            m = v.mean(axis=ax, keepdims=True) if v.size else v
            var = ((v - m) ** 2).mean(axis=ax, keepdims=True) if v.size else v
            out = (v - m) / np.sqrt(var + eps)
            if ww is not None:
                out = out * f64(ww)
            if bb is not None:
                out = out + f64(bb)
            return out.astype(dt)

        if affine == "none":
            return Case(lambda a: F.layer_norm(a, arg, eps=eps), [x], ref, label=f"{x.shape} {ns}")
        if affine == "weight":
            return Case(lambda a, ww: F.layer_norm(a, arg, ww, eps=eps), [x, values(rng, ns, dt)],
                        ref)
        if affine == "bias":
            return Case(lambda a, bb: F.layer_norm(a, arg, None, bb, eps), [x, values(rng, ns, dt)],
                        lambda a, bb: ref(a, None, bb))
        return Case(lambda a, ww, bb: F.layer_norm(a, arg, ww, bb, eps), [x, values(rng, ns, dt),
                                                                          values(rng, ns, dt)], ref)

    def layer_norm_invalid(d):
        kind = d.choice(("shape", "dtype", "int"))
        if kind == "shape":
            return Case(lambda a: F.layer_norm(a, (4,)), [np.zeros((2, 3))], error=flow.ShapeError)
        if kind == "dtype":
            return Case(lambda a, w: F.layer_norm(a, (3,), w), [np.zeros((2, 3), np.float32),
                                                                np.ones(3)],
                        error=flow.DTypeError)
        return Case(lambda a: F.layer_norm(a, (3,)), [np.zeros((2, 3), I64)], error=flow.DTypeError)

    spec("F.layer_norm", layer_norm_b, True, layer_norm_invalid)

    def batch_norm_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        n, c = d.int(2, 4), d.int(1, 3)
        x = values(rng, (n, c) + d.choice(((), (3,), (2, 2))), dt)
        w, b = values(rng, (c,), dt), values(rng, (c,), dt)
        rm, rv = values(rng, (c,), dt), values(rng, (c,), dt, "pos")
        training = d.bool()
        stats = d.bool() or not training
        affine = d.choice(("none", "both", "weight", "bias"))
        mom, eps = d.choice((0.1, 0.5)), d.choice((1e-5, 1e-3))
        ax = (0,) + tuple(range(2, x.ndim))
        bshape = (1, c) + (1,) * (x.ndim - 2)

        def ref(a, *rest):
            v = f64(a)
            r_m, r_v = (f64(rest[0]), f64(rest[1])) if stats else (None, None)
            if training:
                mean, var = v.mean(axis=ax), v.var(axis=ax)
                cnt = v.size // c
            else:
                mean, var = r_m, r_v
            out = (v - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + eps)
            if affine in ("both", "weight"):
                out = out * f64(rest[-2 if affine == "both" else -1]).reshape(bshape)
            if affine in ("both", "bias"):
                out = out + f64(rest[-1]).reshape(bshape)
            res = [out.astype(dt)]
            if stats:
                if training:
                    r_m = (1 - mom) * r_m + mom * mean
                    r_v = (1 - mom) * r_v + mom * var * cnt / (cnt - 1)
                res += [r_m.astype(dt), r_v.astype(dt)]
            return tuple(res)

        def fn(a, *rest):
            r_m, r_v = (rest[0], rest[1]) if stats else (None, None)
            ww = rest[-2 if affine == "both" else -1] if affine in ("both", "weight") else None
            bb = rest[-1] if affine in ("both", "bias") else None
            out = F.batch_norm(a, r_m, r_v, ww, bb, training=training, momentum=mom, eps=eps)
            return (out, r_m, r_v) if stats else (out,)

        extra = {"none": [], "both": [w, b], "weight": [w], "bias": [b]}[affine]
        arrays = [x] + ([rm, rv] if stats else []) + extra
        diff = (0,) + tuple(range(len(arrays) - len(extra), len(arrays)))
        return Case(fn, arrays, ref, diff=diff,
                    label=f"batch_norm {x.shape} training={training} stats={stats}")

    def batch_norm_invalid(d):
        kind = d.choice(("one_value", "no_stats", "channels", "1d"))
        if kind == "one_value":
            return Case(lambda a: F.batch_norm(a, None, None, training=True),
                        [np.zeros((1, 3))], error=ValueError)
        if kind == "no_stats":
            return Case(lambda a: F.batch_norm(a, None, None), [np.zeros((2, 3))],
                        error=ValueError)
        if kind == "channels":
            return Case(lambda a, m, v: F.batch_norm(a, m, v), [np.zeros((2, 3)), np.zeros(2),
                                                               np.ones(2)], error=flow.ShapeError)
        return Case(lambda a, m, v: F.batch_norm(a, m, v), [np.zeros(3), np.zeros(3), np.ones(3)],
                    error=flow.ShapeError)

    spec("F.batch_norm", batch_norm_b, True, batch_norm_invalid)

    def conv_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        groups = d.choice((1, 1, 2))
        cin, cout = groups * d.int(1, 2), groups * d.int(1, 2)
        kh, kw = d.int(1, 3), d.int(1, 3)
        dil = d.choice((1, (1, 2), (2, 1)))
        dl = (dil, dil) if isinstance(dil, int) else dil
        pad = d.choice((0, 1, (1, 0), "same", "valid"))
        stride = 1 if pad == "same" else d.choice((1, 2, (2, 1)))
        st = (stride, stride) if isinstance(stride, int) else stride
        h = d.int(dl[0] * (kh - 1) + 1, 5)
        w = d.int(dl[1] * (kw - 1) + 1, 5)
        unbatched = d.int(0, 4) == 0
        xs = (cin, h, w) if unbatched else (d.choice((1, 2, 0)), cin, h, w)
        x, wt = values(rng, xs, dt), values(rng, (cout, cin // groups, kh, kw), dt)
        if pad == "same":
            th, tw = dl[0] * (kh - 1), dl[1] * (kw - 1)
            pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        elif pad == "valid":
            pads = (0, 0, 0, 0)
        else:
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            pads = (ph, ph, pw, pw)
        kwargs = {"stride": stride, "padding": pad, "dilation": dil, "groups": groups}
        label = f"conv2d {xs} {wt.shape} {kwargs}"
        if d.bool():
            return Case(lambda a, ww, bb: F.conv2d(a, ww, bb, **kwargs),
                        [x, wt, values(rng, (cout,), dt)],
                        lambda a, ww, bb: ref_conv2d(a, ww, bb, st, pads, dl, groups),
                        label=label + " bias")
        return Case(lambda a, ww: F.conv2d(a, ww, **kwargs), [x, wt],
                    lambda a, ww: ref_conv2d(a, ww, None, st, pads, dl, groups), label=label)

    def conv_invalid(d):
        kind = d.choice(("channels", "small", "same_stride", "groups", "int"))
        x = np.zeros((1, 2, 4, 4))
        if kind == "channels":
            return Case(F.conv2d, [x, np.zeros((3, 3, 2, 2))], error=flow.ShapeError)
        if kind == "small":
            return Case(F.conv2d, [x, np.zeros((3, 2, 5, 5))], error=flow.ShapeError)
        if kind == "same_stride":
            return Case(lambda a, w: F.conv2d(a, w, stride=2, padding="same"),
                        [x, np.zeros((3, 2, 3, 3))], error=ValueError)
        if kind == "groups":
            return Case(lambda a, w: F.conv2d(a, w, groups=2), [x, np.zeros((3, 1, 3, 3))],
                        error=ValueError)
        return Case(F.conv2d, [x.astype(I64), np.zeros((3, 2, 2, 2), I64)],
                    error=flow.DTypeError)

    spec("F.conv2d", conv_b, True, conv_invalid)

    def pool_b(d):
        rng = d.rng()
        dt = d.choice(FLOATS)
        k = (d.int(1, 3), d.int(1, 3))
        kernel = k if d.bool() else (k[0] if k[0] == k[1] else k)
        dil = (d.int(1, 2), d.int(1, 2))
        pad = tuple(d.int(0, kk // 2) for kk in k)
        stride = d.choice((None, 1, (2, 1), 2))
        st = k if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
        ceil = d.bool()
        h = d.int(dil[0] * (k[0] - 1) + 1, 6)
        w = d.int(dil[1] * (k[1] - 1) + 1, 6)
        unbatched = d.int(0, 4) == 0
        xs = (d.int(1, 2), h, w) if unbatched else (d.int(1, 2), d.int(1, 2), h, w)
        x = values(rng, xs, dt)
        return Case(lambda a: F.max_pool2d(a, kernel, stride, pad, dil, ceil_mode=ceil), [x],
                    lambda a: ref_max_pool2d(a, k, st, pad, dil, ceil),
                    label=f"max_pool2d {xs} k={kernel} s={stride} p={pad} d={dil} ceil={ceil}")

    def pool_invalid(d):
        kind = d.choice(("padding", "small", "int", "2d", "indices"))
        if kind == "indices":
            return Case(lambda a: F.max_pool2d(a, 2, return_indices=True),
                        [np.zeros((1, 1, 2, 2))], error=NotImplementedError)
        if kind == "padding":
            return Case(lambda a: F.max_pool2d(a, 2, padding=2), [np.zeros((1, 1, 4, 4))],
                        error=ValueError)
        if kind == "small":
            return Case(lambda a: F.max_pool2d(a, 3), [np.zeros((1, 1, 2, 2))],
                        error=flow.ShapeError)
        if kind == "int":
            return Case(lambda a: F.max_pool2d(a, 2), [np.zeros((1, 1, 2, 2), I64)],
                        error=flow.DTypeError)
        return Case(lambda a: F.max_pool2d(a, 2), [np.zeros((4, 4))], error=flow.ShapeError)

    spec("F.max_pool2d", pool_b, True, pool_invalid)

    def cls_b(op):
        def build(d):
            rng = d.rng()
            dt = d.choice(FLOATS)
            c = d.int(1, 4)
            xs = d.choice(((c,), (3, c), (2, c, 2, 3), (0, c)))
            ts = xs[:1] + xs[2:] if len(xs) > 1 else ()
            red = d.choice(("mean", "sum", "none"))
            w = values(rng, (c,), dt, "pos") if d.bool() else None
            x = (values(rng, xs, dt) * 3).astype(dt)
            ls = d.choice((0.0, 0.1, 0.3)) if op == "cross_entropy" else 0.0
            ii = d.choice((-100, 1))
            kw = {"reduction": red, "ignore_index": ii}
            if op == "cross_entropy":
                kw["label_smoothing"] = ls
            call = getattr(F, op)
            log_input = op == "nll_loss"
            if op == "cross_entropy" and d.int(0, 2) == 0:  # class probabilities
                # PyTorch takes no ignore_index >= 0 with probabilities: see cls_invalid
                ii = kw["ignore_index"] = -100
                p = rng.dirichlet(np.ones(c), ts)
                p = np.moveaxis(p, -1, 1) if p.ndim > 1 else p
                p = p.astype(dt)
                arrays = [x, p] + ([w] if w is not None else [])
                return Case(lambda a, t, *ww: call(a, t, *ww, **kw), arrays,
                            lambda a, t, *ww: ref_classification(a, t, ww[0] if ww else None,
                                                                 ii, red, ls, False), diff=(0, 1),
                            label=f"{op} probs {xs} {kw} weight={w is not None}")
            t = rng.integers(0, c, ts)
            if t.size and d.bool():
                mask = rng.random(t.shape) < 0.3
                t = np.where(mask, ii, t)  # ignored targets (all of them now and then)
            arrays = [x, t.astype(I64)] + ([w] if w is not None else [])
            # PyTorch differentiates neither the class weights nor the targets' indices
            return Case(lambda a, tt, *ww: call(a, tt, *ww, **kw), arrays,
                        lambda a, tt, *ww: ref_classification(a, tt, ww[0] if ww else None, ii,
                                                              red, ls, log_input), diff=(0,),
                        label=f"{op} {xs} t={t.tolist()} {kw} weight={w is not None}")
        return build

    def cls_invalid(op):
        call = getattr(F, op)

        def build(d):
            kind = d.choice(("range", "shape", "float_target", "reduction", "weight", "smooth",
                             "probs_ignore"))
            x = np.zeros((3, 4))
            if kind == "smooth" and op == "cross_entropy":
                return Case(lambda a, t: call(a, t, label_smoothing=1.5),
                            [x, np.array([0, 1, 2])], error=ValueError)
            if kind == "probs_ignore" and op == "cross_entropy":
                return Case(lambda a, t: call(a, t, ignore_index=1),
                            [x, np.full((3, 4), 0.25)], error=ValueError)
            if kind == "range":
                return Case(call, [x, np.array([0, 4, 1])], error=IndexError)
            if kind == "shape":
                return Case(call, [x, np.array([[0], [1], [2]])], error=flow.ShapeError)
            if kind == "float_target":
                return Case(call, [x, np.array([0.0, 1.0, 2.0])], error=flow.DTypeError)
            if kind == "reduction":
                return Case(lambda a, t: call(a, t, reduction="avg"), [x, np.array([0, 1, 2])],
                            error=ValueError)
            return Case(lambda a, t, w: call(a, t, w), [x, np.array([0, 1, 2]), np.ones(3)],
                        error=flow.ShapeError)
        return build

    for op in ("cross_entropy", "nll_loss"):
        spec(f"F.{op}", cls_b(op), True, cls_invalid(op))


_register_nn()


# ============================================================================ findings
# Each is one exact case; the property strategies above step around it (marked "pinned").
finding(
    "inplace-view-under-grad",
    "both backends: an in-place op through a view (v = y[0]; v.add_(10), or v[0] = 100) of a "
    "tensor in a graph must not silently leave y unchanged (flowkit computes it out of place and "
    "rebinds v; it does not rebase views as PyTorch does): it raises AutogradError, while under "
    "no_grad the write goes through to y, as docs/en/tensors.md promises",
    lambda: Case(lambda x: _write_through_views(x), [np.array([[1.0, 2.0], [3.0, 4.0]])],
                 lambda x: (np.array([[11.0, 100.0], [3.0, 4.0]]) * [[2.0], [1.0]],
                            np.array([True] * 5))),
    "forward_with_grad", cross=False)




def _write_through_views(x):
    y = x * 1
    v = y[0]
    with flow.no_grad():  # written through to y
        v.add_(10)  # an in-place op on a view
        v[1] = 100.0  # item assignment into a view
    raised = []
    for write in (lambda: v.add_(1.0), lambda: v.__setitem__(1, 0.0),
                  lambda: v.clamp_(0.0, 1.0), lambda: y.reshape(4).mul_(2.0),
                  lambda: y.transpose(0, 1).masked_fill_(y > 0, 0.0)):
        try:
            write()
            raised.append(False)
        except flow.AutogradError:
            raised.append(True)
    return y * flow.tensor([[2.0], [1.0]], dtype=y.dtype), flow.tensor(raised)


# kinks, ties and special values: PyTorch's subgradients cannot be checked by finite
# differences, so the backends must agree on them (forward values and gradients)
edge("kink.relu0", lambda x: x.relu(), np.array([-1.0, 0.0, 2.0]))
edge("kink.abs0", lambda x: x.abs(), np.array([-1.0, 0.0, 2.0]))
edge("kink.leaky_relu0", lambda x: F.leaky_relu(x, 0.2), np.array([-1.0, 0.0, 2.0]))
edge("tie.max_all", lambda x: x.max(), np.array([1.0, 3.0, 3.0]))
edge("tie.min_dim", lambda x: x.min(1).values, np.array([[1.0, 1.0, 2.0], [0.5, 3.0, 0.5]]))
edge("tie.amax_keepdim", lambda x: x.max(0, keepdim=True)[0], np.array([[2.0, 1.0], [2.0, 1.0]]))
edge("tie.maximum", lambda x, y: x.maximum(y), np.array([1.0, 2.0]), np.array([1.0, 3.0]))
edge("tie.minimum", lambda x, y: flow.minimum(x, y), np.array([1.0, 2.0]), np.array([1.0, 3.0]))
edge("tie.clamp_bounds", lambda x: x.clamp(0.0, 1.0), np.array([0.0, 0.5, 1.0, 1.5]))
edge("tie.clamp_tensor_bounds", lambda x, lo, hi: x.clamp(lo, hi), np.array([0.0, 1.0, 2.0]),
     np.array([0.0, 0.5, 3.0]), np.array([1.0, 1.0, 2.5]))
edge("tie.argmax", lambda x: (x.argmax(), x.argmax(1), x.argmin(0)),
     np.array([[1, 3, 3], [2, 2, 0]]))
edge("tie.max_pool2d", lambda x: F.max_pool2d(x, 2, 1), np.ones((1, 1, 3, 3)))
edge("tie.max_dim_bool", lambda x: x.max(0), np.array([[True, False], [True, True]]))
edge("zero.norm2", lambda x: x.norm(), np.zeros(3))
edge("zero.norm1", lambda x: x.norm(1), np.array([0.0, 1.0, -2.0]))
edge("zero.norm_inf_tie", lambda x: x.norm(float("inf")), np.array([2.0, -2.0, 1.0]))
edge("zero.prod_one", lambda x: x.prod(), np.array([2.0, 0.0, 3.0]))
edge("zero.prod_two", lambda x: x.prod(0), np.array([[0.0, 1.0], [0.0, 2.0]]))
edge("zero.sqrt", lambda x: x.sqrt(), np.array([0.0, 4.0]))
edge("zero.pow_half", lambda x: x ** 0.5, np.array([0.0, 4.0]))
edge("zero.rpow_base0", lambda x: 0.0 ** x, np.array([0.0, 1.0, 2.0]))
edge("zero.div", lambda x, y: x / y, np.array([1.0, 0.0, -1.0]), np.array([0.0, 0.0, 0.0]))
edge("inf.softmax", lambda x: F.softmax(x, 0), np.array([0.0, -np.inf, 1.0]))
edge("inf.log_softmax", lambda x: F.log_softmax(x, 0), np.array([0.0, -np.inf, 1.0]))
edge("large.softmax", lambda x: (F.softmax(x, 0), F.log_softmax(x, 0)),
     np.array([1e4, 0.0, -1e4]))
edge("large.cross_entropy", lambda x: F.cross_entropy(x, flow.tensor([0, 2])),
     np.array([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0]]))
edge("ignored.cross_entropy_all", lambda x: F.cross_entropy(x, flow.tensor([-100, -100])),
     np.array([[1.0, 2.0], [0.0, 1.0]]))
edge("ignored.nll_all", lambda x: F.nll_loss(x, flow.tensor([-100]), reduction="sum"),
     np.array([[-1.0, -2.0]]))
edge("nan.max", lambda x: (x.max(), x.max(0), x.argmax(), x.sum()), np.array([1.0, np.nan, 3.0]))
edge("nan.maximum", lambda x, y: (x.maximum(y), x.minimum(y)), np.array([1.0, np.nan]),
     np.array([np.nan, 0.0]))
edge("nan.clamp", lambda x: x.clamp(0.0, 0.5), np.array([1.0, np.nan, -1.0]))
edge("nan.compare", lambda x: (x == x, x < 1, x.isnan()), np.array([np.nan, 1.0]))
edge("nan.sign", lambda x: (x.sign(), flow.sign(x)), np.array([np.nan, -2.0, 0.0]))
edge("zero.std_grad", lambda x: (x.std(), x.std(0, keepdim=True)), np.array([2.0, 2.0, 2.0]))
edge("zero.pow_grad", lambda x, y: x ** y, np.array([0.0, 0.0, 2.0]),
     np.array([0.0, 2.0, 0.0]))
edge("round.half_even", lambda x: (x.round(), x.round(1)),
     np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.25, 0.35]))
edge("remainder.exact", lambda x: (x % 1.5, x % -1.5, flow.remainder(x, -1.0)),
     np.array([3.0, -3.0, 0.0, 1.0]))
edge("floor_divide.signs", lambda x: (x // 2, x // -2, 7 // x), np.array([-7, 7, -1, 3]))
edge("int.sum_int32_overflow", lambda x: (x.sum(), x.prod()), np.array([2**30, 2**30], np.int32))
edge("bool.sum_mean_any", lambda x: (x.sum(), x.any(), x.all(), x.int().sum(0)),
     np.array([[True, False], [True, True]]))
edge("uint8.promote_int8", lambda x, y: (x + y, x * y, x.maximum(y)), np.array([200], np.uint8),
     np.array([-100], np.int8))
edge("getitem.bool_scalar", lambda x: (x[True], x[False], x[None, ..., None]),
     np.array([1.0, 2.0]))
edge("getitem.neg_step_2d", lambda x: (x[::-1, ::2], x[1:, ::-2], x[..., ::-1]),
     np.arange(12.0).reshape(3, 4))
edge("setitem.neg_step", lambda x: _setitem_neg_step(x), np.arange(6.0))
edge("setitem.bool_fraction", lambda x: _setitem_value(x, 0.25), np.array([False, False]))
edge("masked_fill.bool_fraction", lambda x, m: (x.masked_fill(m, 0.25),
                                                x.clone().masked_fill_(m, -0.5)),
     np.array([False, False]), np.array([True, False]))
edge("maximum.0d_int_number", lambda x: (x.maximum(2), flow.minimum(x, -1)),
     np.array(3, np.int32))
edge("fill.bool_fraction", lambda x: x.clone().fill_(0.25), np.array([False, False]))
edge("full.bool_fraction", lambda: flow.full((2,), 0.25, dtype=flow.bool))
edge("expand.write", lambda x: x.expand(2, 3).add_(1.0), np.array([[1.0], [2.0]]))
edge("reduce.empty_dim_tuple", lambda x: (x.sum(dim=()), x.mean(()), x.any(dim=()),
                                          x.norm(dim=()), x.var(dim=()), x.sum((), True)),
     np.arange(6.0).reshape(2, 3))
edge("reduce.duplicate_dims", lambda x: x.sum(dim=(0, -2)), np.ones((2, 3)))
edge("transpose.0d", lambda x: (x.transpose(0, 0), flow.transpose(x, -1, 0)), np.array(2.5))
edge("split.empty", lambda x: (x.split(0), x.chunk(2), x.split([0, 0])), np.zeros((0, 2)))
edge("inplace.int_float_alpha", lambda x, y: x.clone().add_(y, alpha=0.5), np.array([1, 2]),
     np.array([1, 1]))
edge("inplace.int_clamp_float", lambda x: x.clone().clamp_(min=0.5), np.array([0, 2]))
edge("cross_entropy.int32_target", lambda x: F.cross_entropy(x, flow.tensor(np.array([0, 1],
                                                                                   np.int32))),
     np.array([[1.0, 2.0], [0.5, 0.1]]))
edge("embedding.int32_padding", lambda w: F.embedding(flow.tensor(np.array([0, 2], np.int32)),
                                                       w, padding_idx=0), np.ones((3, 2)))


def _setitem_neg_step(x):
    y = x * 1
    y[::-2] = flow.tensor([10.0, 20.0, 30.0], dtype=y.dtype)
    return y


def _setitem_value(x, v):
    y = x.clone()
    y[0] = v
    return y


# dtype edges where the backends disagree (cross-backend only: EDGE cases have no reference),
# each with the reason (the bool subtraction/rounding/relu/neg and negative-power edges above raise
# PyTorch's errors, or compute its values, on every backend: see the invalid cases of sub, pow
# and the dtype-keeping unary ops)
CROSS_EDGES: dict[str, str] = {
    "bool.pow_bool": "bool tensor ** bool tensor (also 0-d): an int8 result on numpy, torch's "
                     "untranslated NotImplementedError ('\"pow\" not implemented for Bool'), "
                     "as PyTorch raises",
    "bool.pow_bool_number": "bool tensor ** True: int8 on numpy, bool on torch (PyTorch: bool)",
    "bool.rpow_bool": "True ** bool tensor: int8 on numpy, torch's untranslated "
                      "NotImplementedError (PyTorch raises)",
}
for _name in CROSS_EDGES:
    assert _name in EDGE, _name


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "dump":
        dump(sys.argv[2])
    else:
        raise SystemExit("usage: conformance_cases.py dump OUT.pkl")

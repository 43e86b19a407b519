"""Creation: ``tensor``, ``zeros``/``ones``/``empty``/``full`` and their ``_like`` forms, ``eye``,
``arange``, ``linspace``, ``from_numpy``, ``Tensor.new_*``, and the random ones (checked by their
properties: shapes, dtypes, ranges)."""

from __future__ import annotations

import numpy as np

import flowkit as flow

from ..core import (
    ALL,
    BOOL,
    F16,
    F32,
    F64,
    FLOATS,
    I8,
    I16,
    I32,
    I64,
    NUM,
    U8,
    Case,
    Draw,
    shape,
    spec,
    values,
)

# ============================================================================ creation
_FDT = {
    "float32": F32,
    "float64": F64,
    "int64": I64,
    "int32": I32,
    "bool": BOOL,
    "float16": F16,
    "uint8": U8,
}


def _size_forms(d: Draw, size: tuple):
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` mean the same size."""
    form = d.choice(("star", "tuple", "list"))
    return {
        "star": lambda f, **k: f(*size, **k),
        "tuple": lambda f, **k: f(tuple(size), **k),
        "list": lambda f, **k: f(list(size), **k),
    }[form]


def _dtype_kw(d: Draw, default):
    name = d.choice((None, "float32", "float64", "int64", "int32", "bool"))
    return ({} if name is None else {"dtype": getattr(flow, name)}), (
        default if name is None else _FDT[name]
    )


def _data(d: Draw, rng):
    """Data for flowkit.tensor: nested lists of Python numbers, Python numbers, numpy arrays."""
    kind = d.choice(
        ("int_list", "float_list", "bool_list", "mixed_list", "nested", "number", "array", "empty")
    )
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
        a = (
            a.astype(
                {"f": F32 if dtype is None else F64, "i": I64, "u": I64, "b": BOOL}[a.dtype.kind]
            )
            if a.size or a.dtype.kind != "f"
            else a.astype(F32)
        )
    return a if dtype is None else a.astype(dtype)


def _register_creation():
    def tensor_b(d):
        data = _data(d, d.rng())
        kw, want = _dtype_kw(d, None)
        ref = lambda: _infer(data, want)  # noqa: E731
        return Case(lambda: flow.tensor(data, **kw), [], ref, label=f"tensor({data!r:.60}, {kw})")

    def tensor_invalid(d):
        kind = d.choice(("ragged", "strings", "none", "requires_grad_int", "overflow"))
        if kind == "ragged":
            return Case(lambda: flow.tensor([[1.0, 2.0], [3.0]]), [], error=flow.ShapeError)
        if kind == "strings":
            return Case(lambda: flow.tensor(["a", "b"]), [], error=flow.DTypeError)
        if kind == "none":
            return Case(lambda: flow.tensor([1.0, None]), [], error=flow.DTypeError)
        if kind == "overflow":  # PyTorch raises; numpy would wrap the value around
            data, kw = d.choice(
                (([2**63], {}), ([300], {"dtype": flow.uint8}), ([2**40], {"dtype": flow.int32}))
            )
            return Case(
                lambda: flow.tensor(data, **kw),
                [],
                error=flow.ArgumentValueError,
                label=f"tensor({data}, {kw})",
            )
        return Case(lambda: flow.tensor([1, 2], requires_grad=True), [], error=flow.DTypeError)

    spec("flowkit.tensor", tensor_b, False, tensor_invalid)

    def filled_b(name, value):
        def build(d):
            size = shape(d)
            kw, want = _dtype_kw(d, F32)
            call = _size_forms(d, size)
            return Case(
                lambda: call(getattr(flow, name), **kw),
                [],
                lambda: np.full(size, value).astype(want),
                label=f"{name}{size} {kw}",
            )

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
        return Case(
            lambda: flow.full(sz, v, **kw),
            [],
            lambda: np.full(size, v).astype(want),
            label=f"full({sz}, {v!r}, {kw})",
        )

    def full_invalid(d):
        kind = d.choice(("negative_size", "overflow", "none"))
        if kind == "overflow":
            return Case(
                lambda: flow.full((2,), 300, dtype=flow.uint8), [], error=flow.ArgumentValueError
            )
        if kind == "none":
            return Case(lambda: flow.full((2,), None), [], error=TypeError)
        return Case(lambda: flow.full((2, -3), 1.0), [], error=flow.ShapeError)

    spec("flowkit.full", full_b, False, full_invalid)

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

            return Case(
                fn,
                [x],
                lambda a: np.full(a.shape, fill).astype(want or a.dtype),
                label=f"{name} {x.dtype}{x.shape} {kw} {fill!r}",
            )

        return build

    for name in ("zeros_like", "ones_like", "empty_like", "full_like"):
        spec(f"flowkit.{name}", like_b(name))

    def eye_b(d):
        n = d.int(0, 4)
        m = d.choice((None, 0, 1, 3))
        kw, want = _dtype_kw(d, F32)
        if m is None:
            return Case(lambda: flow.eye(n, **kw), [], lambda: np.eye(n).astype(want))
        return Case(
            lambda: flow.eye(n, m, **kw),
            [],
            lambda: np.eye(n, m).astype(want),
            label=f"eye({n}, {m}, {kw})",
        )

    spec("flowkit.eye", eye_b)

    def arange_b(d):
        form = d.choice(("end", "start_end", "step", "float", "neg_step"))
        start = d.int(-3, 2)
        args = {
            "end": (d.int(0, 6),),
            "start_end": (start, start + d.int(0, 4)),  # (end < start is an error, as in torch)
            "step": (d.int(-3, 2), d.int(3, 9), d.int(1, 3)),
            "float": (
                d.choice((0.0, -1.5, 0.5)),
                d.choice((2.0, 3.25, 4)),
                d.choice((0.5, 1, 0.75)),
            ),
            "neg_step": (d.int(3, 6), d.int(-2, 1), d.choice((-1, -2))),
        }[form]
        kw, want = _dtype_kw(d, F32 if any(isinstance(a, float) for a in args) else I64)
        if want == BOOL:
            kw, want = {}, (F32 if any(isinstance(a, float) for a in args) else I64)
        return Case(
            lambda: flow.arange(*args, **kw),
            [],
            lambda: np.arange(*args).astype(want),
            label=f"arange{args} {kw}",
        )

    def arange_invalid(d):
        args = d.choice(((0, 5, 0), (0, -1, 1), (5, 0, 1), (0, 5, -1), (0, float("inf"), 1)))
        return Case(lambda: flow.arange(*args), [], error=ValueError, label=f"arange{args}")

    spec("flowkit.arange", arange_b, False, arange_invalid)

    def linspace_b(d):
        start, end = d.choice((0.0, -1.0, 2)), d.choice((1.0, 3.5, -2))
        steps = d.int(0, 5)
        kw, want = _dtype_kw(d, F32)
        if want.kind != "f":
            kw, want = {"dtype": flow.float64}, F64
        return Case(
            lambda: flow.linspace(start, end, steps, **kw),
            [],
            lambda: np.linspace(start, end, steps).astype(want),
            label=f"linspace({start}, {end}, {steps}) {kw}",
        )

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
        spec(
            f"flowkit.{name}",
            random_b(name),
            False,
            lambda d, f=getattr(flow, name): Case(
                lambda: f(2, dtype=flow.int64), [], error=flow.DTypeError
            ),
        )

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
            fn = (
                (lambda: flow.randint(high, size, **kw))
                if d.bool()
                else (lambda: flow.randint(high, size=size, **kw))
            )
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

    spec(
        "flowkit.from_numpy",
        from_numpy_b,
        False,
        lambda d: Case(lambda: flow.from_numpy([1, 2]), [], error=TypeError),
    )

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
                return Case(
                    lambda t: t.new_tensor(data, **kw),
                    [x],
                    lambda a: (
                        _infer(data, F64).astype(want or a.dtype)
                        if not isinstance(data, np.ndarray)
                        else data.astype(want or a.dtype)
                    ),
                    label=f"new_tensor({data!r:.50}) {kw}",
                )
            if name == "new_full":
                return Case(
                    lambda t: t.new_full(size, v, **kw),
                    [x],
                    lambda a: np.full(size, v).astype(want or a.dtype),
                )
            fill = {"new_zeros": 0, "new_ones": 1, "new_empty": 0}[name]
            call = _size_forms(d, size)
            return Case(
                lambda t: call(getattr(t, name), **kw),
                [x],
                lambda a: np.full(size, fill).astype(want or a.dtype),
                label=f"{name}{size} {kw}",
            )

        return build

    for name in ("new_tensor", "new_full", "new_zeros", "new_ones", "new_empty"):
        spec(f"Tensor.{name}", new_b(name))


_register_creation()


# ============================================================================ more creation
# (issue 12): randint_like, the default dtype, flowkit.Generator, arange with tensor bounds
def _register_creation_more():
    def randint_like_b(d):
        x = values(d.rng(), shape(d), d.choice(NUM))
        low, high = d.int(-3, 1), d.int(2, 6)
        one = d.bool()
        use_gen = d.bool()
        seed = d.int(0, 1000)

        def fn(t):
            if not use_gen:
                return flow.randint_like(t, high) if one else flow.randint_like(t, low, high)
            a = flow.randint_like(t, low, high, generator=flow.Generator().manual_seed(seed))
            b = flow.randint_like(t, low, high, generator=flow.Generator().manual_seed(seed))
            assert np.array_equal(a.numpy(), b.numpy()), "a seed gives the same numbers"
            return a

        def check(out, arrays):
            assert out.dtype.name == arrays[0].dtype.name
            assert tuple(out.shape) == arrays[0].shape
            v = out.numpy()
            lo = 0 if one and not use_gen else low
            assert ((v >= lo) & (v < high)).all()

        return Case(fn, [x], check=check, seed=seed, label=f"randint_like {low} {high} {one}")

    spec(
        "flowkit.randint_like",
        randint_like_b,
        False,
        lambda d: Case(lambda t: flow.randint_like(t, 5, 5), [np.zeros(2)], error=ValueError),
    )

    def generator_b(name):
        """``generator=``: the same seed gives the same numbers, and flowkit's global generator
        is left where it was."""

        def build(d):
            size = shape(d)
            seed = d.int(0, 1000)
            call = {
                "rand": lambda g: flow.rand(*size, generator=g),
                "randn": lambda g: flow.randn(size, generator=g),
                "randint": lambda g: flow.randint(-2, 7, size, generator=g),
                "randperm": lambda g: flow.randperm(len(size) + 3, generator=g),
            }[name]

            def fn():
                state = flow.get_rng_state()
                a = call(flow.Generator().manual_seed(seed))
                g = flow.Generator()
                g.manual_seed(seed + 1)
                g.set_state(flow.Generator().manual_seed(seed).get_state())
                b = call(g)
                assert np.array_equal(a.numpy(), b.numpy()), "a seed gives the same numbers"
                after = flow.get_rng_state()
                assert after["state"] == state["state"], "the global generator moved"
                return a

            def check(out, arrays):
                v = out.numpy()
                if name == "rand":
                    assert ((v >= 0) & (v < 1)).all()
                elif name == "randint":
                    assert ((v >= -2) & (v < 7)).all()
                elif name == "randperm":
                    assert sorted(v.tolist()) == list(range(len(size) + 3))

            return Case(fn, [], check=check, seed=seed, label=f"{name} generator {seed}")

        return build

    for name in ("rand", "randn", "randint", "randperm"):
        spec(
            f"flowkit.{name}[generator]",
            generator_b(name),
            False,
            lambda d, f=getattr(flow, name): Case(
                lambda: f(3, generator="seed"), [], error=TypeError
            ),
        )

    def default_dtype_b(d):
        want = d.choice(("float64", "float32"))
        v = d.choice((0.5, -1.5, 2.25))
        make = d.choice(("tensor", "full", "zeros", "arange", "linspace"))

        def fn():
            flow.set_default_dtype(getattr(flow, want))
            try:
                assert flow.get_default_dtype() is getattr(flow, want)
                if make == "tensor":
                    return flow.tensor([v, 1.0])
                if make == "full":
                    return flow.full((2,), v)
                if make == "zeros":
                    return flow.zeros(2) + v
                if make == "arange":
                    return flow.arange(v, v + 2.0)
                return flow.linspace(v, v + 1.0, 2)
            finally:
                flow.set_default_dtype(flow.float32)

        ref = {
            "tensor": [v, 1.0],
            "full": [v, v],
            "zeros": [v, v],
            "arange": [v, v + 1.0],
            "linspace": [v, v + 1.0],
        }[make]
        return Case(fn, [], lambda: np.array(ref, want), label=f"{make} default {want}")

    def default_dtype_invalid(d):
        bad = d.choice((flow.int64, "float16", None))
        return Case(lambda: flow.set_default_dtype(bad), [], error=flow.DTypeError)

    spec("flowkit.set_default_dtype", default_dtype_b, False, default_dtype_invalid)
    spec(
        "flowkit.get_default_dtype",
        lambda d: Case(lambda: flow.get_default_dtype().name, [], lambda: "float32"),
    )

    def arange_tensor_b(d):
        kind = d.choice(("float", "int", "mixed"))
        lo, hi = d.int(-3, 1), d.int(2, 6)
        if kind == "float":
            a, b = np.array(float(lo), F32), np.array(float(hi), F32)
            want = F32
        elif kind == "int":
            a, b = np.array(lo), np.array(hi)
            want = I64
        else:
            a, b = np.array(lo), np.array(hi + 0.5, F64)
            want = F32  # a float bound gives the default dtype, whatever the tensor's dtype
        return Case(
            lambda s, e: flow.arange(s, e),
            [a, b],
            lambda s, e: np.arange(s.item(), e.item()).astype(want),
            grad=False,
            label=f"arange tensors {a!r} {b!r}",
        )

    spec(
        "flowkit.arange[tensor_bounds]",
        arange_tensor_b,
        False,
        lambda d: Case(lambda t: flow.arange(t), [np.ones(2, F32)], error=flow.ArgumentValueError),
    )


_register_creation_more()

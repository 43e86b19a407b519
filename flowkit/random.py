"""flowkit's random numbers: one generator for every backend.

Random values are drawn on the host by numpy's PCG64 and handed to the backend, so
``flowkit.manual_seed(s)`` gives the same initial weights (and so the same training trajectory) on
numpy, torch-CPU and torch-CUDA. Drawing on the host costs one copy per call; random numbers are
made at initialisation, not in the training hot path.
"""

from __future__ import annotations

import numpy as np

_gen = np.random.Generator(np.random.PCG64())
_seed: int | None = None


def manual_seed(seed: int) -> None:
    """Seed flowkit's generator: the same seed gives the same numbers on every backend.

    ``flowkit.seed`` is another name for this function.

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0); a = flow.rand(2)
        >>> flow.manual_seed(0); b = flow.rand(2)
        >>> bool((a == b).all())
        True
    """
    global _gen, _seed
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"manual_seed: the seed must be a non-negative integer, got {seed}")
    _seed = seed
    _gen = np.random.Generator(np.random.PCG64(seed))


seed = manual_seed


def initial_seed() -> int | None:
    """The last seed given to [`manual_seed`][flowkit.manual_seed] (``None`` if never seeded).

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(7)
        >>> flow.initial_seed()
        7
    """
    return _seed


def generator() -> np.random.Generator:
    """The process's generator (for flowkit internals: initialisers, dropout, shuffling)."""
    return _gen


def get_rng_state() -> dict:
    """The generator's state, to restore with [`set_rng_state`][flowkit.set_rng_state].

    Examples:
        >>> import flowkit as flow
        >>> state = flow.get_rng_state()
        >>> a = flow.rand(3)
        >>> flow.set_rng_state(state)
        >>> bool((flow.rand(3) == a).all())
        True
    """
    # numpy's stubs type the state as a Mapping; a shallow copy is the dict promised here
    return dict(_gen.bit_generator.state)


def set_rng_state(state: dict) -> None:
    """Restore the generator's state from ``get_rng_state()``: the same numbers follow again.

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> state = flow.get_rng_state()
        >>> first = flow.randint(0, 100, (3,))
        >>> flow.set_rng_state(state)
        >>> bool((flow.randint(0, 100, (3,)) == first).all())
        True
    """
    _gen.bit_generator.state = state


def normal_array(shape: tuple[int, ...], np_dtype) -> np.ndarray:
    np_dtype = np.dtype(np_dtype)
    if np_dtype in (np.float32, np.float64):
        return _gen.standard_normal(shape, dtype=np_dtype)
    return _gen.standard_normal(shape).astype(np_dtype)


def uniform_array(shape: tuple[int, ...], np_dtype, low: float = 0.0, high: float = 1.0):
    np_dtype = np.dtype(np_dtype)
    if np_dtype in (np.float32, np.float64) and low == 0.0 and high == 1.0:
        return _gen.random(shape, dtype=np_dtype)
    return _gen.uniform(low, high, shape).astype(np_dtype)

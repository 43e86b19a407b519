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


#: The seed of a Generator made without one (PyTorch's default seed).
DEFAULT_SEED = 67280421310721


def _check_seed(op: str, seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{op}: the seed must be an integer, got {type(seed).__name__}")
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"{op}: the seed must be a non-negative integer, got {seed}")
    return seed


class Generator(np.random.Generator):
    """A random number generator of its own, for ``generator=`` of the random functions
    (``rand``, ``randn``, ``randint``, ``randint_like``, ``randperm``): the same seed gives the
    same numbers on every backend, and drawing from it leaves flowkit's global generator (and so
    ``flowkit.manual_seed``'s sequence) untouched.

    It is numpy's PCG64 generator underneath (a ``numpy.random.Generator``, so
    ``F.dropout(generator=...)`` takes it too). ``device`` is accepted for PyTorch's signature:
    numbers are drawn on the host for every device. Unseeded, it starts from PyTorch's default
    seed, 67280421310721.

    Examples:
        >>> import flowkit as flow
        >>> g = flow.Generator().manual_seed(42)
        >>> a = flow.rand(3, generator=g)
        >>> b = flow.rand(3, generator=flow.Generator().manual_seed(42))
        >>> bool((a == b).all()), g.initial_seed()
        (True, 42)
    """

    def __init__(self, device=None):
        super().__init__(np.random.PCG64(DEFAULT_SEED))
        self._initial_seed = DEFAULT_SEED
        self.device = device if device is not None else "cpu"

    def manual_seed(self, seed: int) -> Generator:
        """Seed this generator (returns it, so ``Generator().manual_seed(0)`` chains).

        Examples:
            >>> import flowkit as flow
            >>> g = flow.Generator()
            >>> a = flow.randint(0, 100, (4,), generator=g.manual_seed(1))
            >>> bool((a == flow.randint(0, 100, (4,), generator=g.manual_seed(1))).all())
            True
        """
        seed = _check_seed("Generator.manual_seed", seed)
        self.bit_generator.state = np.random.PCG64(seed).state
        self._initial_seed = seed
        return self

    def seed(self) -> int:
        """Seed this generator from the operating system's entropy; returns the seed.

        Examples:
            >>> import flowkit as flow
            >>> g = flow.Generator()
            >>> s = g.seed()
            >>> s == g.initial_seed()
            True
        """
        seed = int(np.random.SeedSequence().entropy) % 2**63  # type: ignore[arg-type]
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with.

        Examples:
            >>> import flowkit as flow
            >>> flow.Generator().initial_seed()
            67280421310721
        """
        return self._initial_seed

    def get_state(self) -> dict:
        """The generator's state, to restore with [`set_state`][flowkit.Generator.set_state]
        (a dict of numpy's PCG64 state, where PyTorch gives a byte tensor).

        Examples:
            >>> import flowkit as flow
            >>> g = flow.Generator().manual_seed(0)
            >>> state = g.get_state()
            >>> a = flow.randn(2, generator=g)
            >>> bool((flow.randn(2, generator=g.set_state(state)) == a).all())
            True
        """
        return dict(self.bit_generator.state)

    def set_state(self, state: dict) -> Generator:
        """Restore a state from [`get_state`][flowkit.Generator.get_state]; returns the
        generator."""
        if not isinstance(state, dict):
            raise TypeError(
                f"Generator.set_state: expected the dict get_state() returns, got "
                f"{type(state).__name__}"
            )
        self.bit_generator.state = state
        return self

    def __repr__(self) -> str:
        return f"<flowkit.Generator initial_seed={self._initial_seed}>"

    __str__ = __repr__


def generator_for(op: str, generator) -> np.random.Generator:
    """The numpy generator to draw from: flowkit's global one for ``None``, else ``generator``
    (a [`flowkit.Generator`][flowkit.Generator], or any ``numpy.random.Generator``)."""
    if generator is None:
        return _gen
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{op}: generator must be a flowkit.Generator, got {type(generator).__name__}")


def normal_array(shape: tuple[int, ...], np_dtype, generator=None) -> np.ndarray:
    gen = _gen if generator is None else generator
    np_dtype = np.dtype(np_dtype)
    if np_dtype in (np.float32, np.float64):
        return gen.standard_normal(shape, dtype=np_dtype)
    return gen.standard_normal(shape).astype(np_dtype)


def uniform_array(
    shape: tuple[int, ...], np_dtype, low: float = 0.0, high: float = 1.0, generator=None
):
    gen = _gen if generator is None else generator
    np_dtype = np.dtype(np_dtype)
    if np_dtype in (np.float32, np.float64) and low == 0.0 and high == 1.0:
        return gen.random(shape, dtype=np_dtype)
    return gen.uniform(low, high, shape).astype(np_dtype)

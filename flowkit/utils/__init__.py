"""``flowkit.utils``: helpers around models; :mod:`flowkit.utils.data` loads and batches data."""

from . import data

__all__ = ["data"]

"""``flowkit.utils``: helpers around models; [`flowkit.utils.data`][flowkit.utils.data] loads and
batches data."""

from . import data

__all__ = ["data"]

"""``flowkit.datasets``: small ready-made datasets, torchvision-style.

[`Digits`][flowkit.datasets.Digits] serves the 8x8 handwritten digits that scikit-learn ships inside
its wheel (UCI "optical recognition of handwritten digits", 1797 images), so it needs no network.
scikit-learn is an optional dependency: ``pip install "flowkit[datasets]"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _plugins
from .errors import FlowkitError
from .utils.data import Dataset

__all__ = ["Digits", "DatasetDependencyError"]


class DatasetDependencyError(FlowkitError, ImportError):
    """A dataset needs an optional package that is not installed.

    It is an ``ImportError`` too, so ``except ImportError`` catches it.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.datasets import DatasetDependencyError
        >>> issubclass(DatasetDependencyError, (flow.FlowkitError, ImportError))
        True
    """


_DIGITS: tuple[np.ndarray, np.ndarray] | None = None  # (images float32 [0, 1], labels int64)


def _load_digits() -> tuple[np.ndarray, np.ndarray]:
    global _DIGITS
    if _DIGITS is None:
        try:
            from sklearn.datasets import load_digits
        except ImportError as exc:
            raise DatasetDependencyError(
                "flowkit.datasets.Digits reads the digits bundled with scikit-learn, which is not "
                f'installed ({exc}). Install it with: pip install "flowkit[datasets]"'
            ) from None
        bunch = load_digits()
        # pixel values are counts 0..16 (4x4 blocks of a 32x32 bitmap): divide to get [0, 1]
        images = np.asarray(bunch.images, dtype=np.float32) / np.float32(16.0)
        _DIGITS = (images.reshape(-1, 1, 8, 8), np.asarray(bunch.target, dtype=np.int64))
    return _DIGITS


class Digits(Dataset):
    """scikit-learn's bundled 8x8 handwritten digits (0-9), as a torchvision-style dataset.

    The 1797 images keep scikit-learn's order; the split is fixed and needs no seed: the
    **first 1437** images are the training set and the **last 360** the test set (an 80/20
    split). Item ``i`` is ``(image, label)``: ``image`` a float32 tensor of shape ``(1, 8, 8)``
    with values in ``[0, 1]`` (the 0..16 pixel counts divided by 16), ``label`` a Python int.

    Args:
        root: accepted for torchvision compatibility and ignored: the data ship with
            scikit-learn, so there is nothing to store.
        train: the training split (1437 images) if true, else the test split (360).
        transform: applied to the image tensor, e.g. ``lambda x: x.reshape(64)``.
        target_transform: applied to the int label.
        download: accepted for torchvision compatibility; nothing is downloaded.

    Raises:
        DatasetDependencyError: scikit-learn is not installed (the message gives the
            ``pip install "flowkit[datasets]"`` command).

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.datasets import Digits
        >>> train, test = Digits(train=True), Digits(train=False)
        >>> len(train), len(test)
        (1437, 360)
        >>> image, label = train[0]
        >>> image.shape, image.dtype, label
        (flowkit.Size([1, 8, 8]), flowkit.float32, 0)
    """

    n_train = 1437
    classes = [str(d) for d in range(10)]

    def __init__(
        self,
        root: str | None = None,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ):
        images, labels = _load_digits()
        part = slice(None, self.n_train) if train else slice(self.n_train, None)
        self.root = root
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        self.data = images[part]  # numpy float32 (N, 1, 8, 8) in [0, 1]
        self.targets = labels[part]  # numpy int64 (N,)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        # made on each access from host numpy, as torchvision does: a worker process can build
        # items without touching the device
        image = _plugins.get().from_numpy(self.data[index].copy(), None, False, share=True)
        target = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"Digits(split={split!r}, samples={len(self)}, image=(1, 8, 8), classes=10)"

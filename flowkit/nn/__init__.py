"""``flowkit.nn``: modules, parameters, layers, losses and initialisers."""

from . import functional, init, modules, parallel, utils
from .graph import Graph
from .module import Module
from .modules import (
    GELU,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    ModuleDict,
    ModuleList,
    MSELoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .parameter import Parameter

__all__ = [
    "Module",
    "Graph",
    "Parameter",
    "Linear",
    "Identity",
    "MSELoss",
    "functional",
    "init",
    "parallel",
    "utils",
]
__all__ += [n for n in modules.__all__ if n not in __all__]

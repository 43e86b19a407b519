"""``flowkit.nn``: modules, parameters, layers, losses and initialisers."""

from . import common_types, functional, init, modules, parallel, utils
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
from .modules.activation import (  # issue 12, part 4
    CELU,
    ELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Mish,
    PReLU,
    SiLU,
    Softplus,
)
from .modules.container import ParameterList  # issue 12, part 5
from .modules.conv import Conv1d, ConvTranspose2d  # issue 12, part 5
from .modules.flatten import Unflatten  # issue 12, part 5
from .modules.loss import (  # issue 12, part 4
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    SmoothL1Loss,
    TripletMarginLoss,
)
from .modules.normalization import GroupNorm, InstanceNorm1d, InstanceNorm2d  # issue 12, part 5
from .modules.padding import (  # issue 12, part 5
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad2d,
)
from .modules.pooling import (  # issue 12, part 5
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
)
from .modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .modules.upsampling import Upsample  # issue 12, part 5
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

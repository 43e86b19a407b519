"""``flowkit.nn``: modules, parameters, layers, losses and initialisers."""

from . import functional, init
from .module import Module
from .modules import Identity, Linear, MSELoss
from .parameter import Parameter

__all__ = ["Module", "Parameter", "Linear", "Identity", "MSELoss", "functional", "init"]

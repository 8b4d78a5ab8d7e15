"""The leaky ReLU every hfsynth GAN uses (progressive GAN, MelGAN, Musika): one slope for all."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: The negative slope of the progressive GAN and MelGAN, kept by everything built after them.
LEAKY_SLOPE = 0.2


def leaky_relu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, LEAKY_SLOPE)


def LeakyReLU() -> nn.LeakyReLU:  # noqa: N802  (a layer factory, named like the layer it makes)
    """``nn.LeakyReLU`` with :data:`LEAKY_SLOPE`, for ``nn.Sequential`` stacks."""
    return nn.LeakyReLU(LEAKY_SLOPE)

"""Exponential moving average of a module's parameters.

GAN generators (GANSynth, Musika) are usually exported with averaged weights: the average of the
last few thousand updates is smoother than any single iterate. Only trainable parameters are
averaged; buffers (e.g. BatchNorm statistics) are taken from the live module when the average is
swapped in, which is what "copying the buffers" means here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn


class ExponentialMovingAverage:
    """``shadow <- decay * shadow + (1 - decay) * param`` after every optimizer step.

    The shadow copies live on the parameters' device and dtype; ``state_dict`` /
    ``load_state_dict`` carry them (and the update count) through checkpoints.
    """

    def __init__(self, module: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must lie in (0, 1); got {decay}")
        self.decay = decay
        self.num_updates = 0
        self.shadow = {name: param.detach().clone() for name, param in _trainable(module)}

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        for name, param in _trainable(module):
            self.shadow[name].lerp_(param.detach(), 1.0 - self.decay)
        self.num_updates += 1

    @contextlib.contextmanager
    def swapped_in(self, module: nn.Module) -> Iterator[nn.Module]:
        """Temporarily loads the averaged weights into ``module`` (for export or evaluation)."""
        live = {name: param.detach().clone() for name, param in _trainable(module)}
        self._copy_into(module, self.shadow)
        try:
            yield module
        finally:
            self._copy_into(module, live)

    def copy_to(self, module: nn.Module) -> nn.Module:
        """Loads the averaged weights into ``module`` for good (e.g. a model rebuilt from a checkpoint)."""
        self._copy_into(module, self.shadow)
        return module

    def state_dict(self) -> dict[str, torch.Tensor]:
        return dict(self.shadow)

    def load_state_dict(self, state: dict[str, torch.Tensor], num_updates: int) -> None:
        """Restores the averages; a different set of names or shapes raises ``ValueError``."""
        if set(state) != set(self.shadow):
            missing, unexpected = sorted(set(self.shadow) - set(state)), sorted(set(state) - set(self.shadow))
            raise ValueError(f"EMA state does not match the module: missing {missing}, unexpected {unexpected}")
        for name, tensor in state.items():
            if tensor.shape != self.shadow[name].shape:
                raise ValueError(
                    f"EMA tensor {name!r} has shape {tuple(tensor.shape)}, expected {tuple(self.shadow[name].shape)}"
                )
            self.shadow[name].copy_(tensor)
        self.num_updates = num_updates

    @staticmethod
    @torch.no_grad()
    def _copy_into(module: nn.Module, values: dict[str, torch.Tensor]) -> None:
        for name, param in _trainable(module):
            param.copy_(values[name])


def _trainable(module: nn.Module) -> Iterator[tuple[str, nn.Parameter]]:
    return ((name, param) for name, param in module.named_parameters() if param.requires_grad)

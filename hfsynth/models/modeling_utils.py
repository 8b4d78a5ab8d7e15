"""What every hfsynth ``PreTrainedModel`` shares."""

from __future__ import annotations

from torch import nn
from transformers import PreTrainedModel


class HFSynthPreTrainedModel(PreTrainedModel):
    """Base class of hfsynth models.

    DSP modules (mel filterbanks, windows) keep derived tensors as non-persistent buffers: they
    follow the config, not the checkpoint. transformers 5 builds models on the meta device in
    ``from_pretrained`` and only calls ``_init_weights`` for what the checkpoint lacks, so such
    modules expose ``reset_buffers()`` and this base calls it. Subclasses that override
    ``_init_weights`` call ``super()._init_weights(module)`` first.
    """

    def _init_weights(self, module: nn.Module) -> None:
        reset_buffers = getattr(module, "reset_buffers", None)
        if callable(reset_buffers):
            reset_buffers()

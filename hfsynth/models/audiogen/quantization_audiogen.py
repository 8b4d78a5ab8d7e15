"""Int8 decoder weights for AudioGen generation on CPU.

A decode step at small batch reads every decoder weight once (7.4 GB in float32 at audiogen-medium
size), so its speed is the memory bandwidth over those bytes. fbgemm's dynamic int8 linear layers
read a quarter of them (activations are quantised on each call). One scale per output channel, and
float output heads (they write the logits directly; 3% of the bytes), keep the next-code
distributions close to float32's: bench/audiogen_speed.py reports the KL per code.
"""

from __future__ import annotations

from ...modules.packed_linear import int8_linear_modules
from .modeling_audiogen import AudioGenForConditionalGeneration


def quantize_decoder_int8(model: AudioGenForConditionalGeneration) -> AudioGenForConditionalGeneration:
    """``model`` with the linear layers of its decoder blocks as dynamic int8 (in place; CPU only).

    For generation: the quantised model does not train, and is not meant to be saved (save the float
    model, quantise after loading).
    """
    if model.device.type != "cpu":
        raise ValueError(f"int8 decoder weights run on CPU (fbgemm); the model is on {model.device}")
    if model.training:
        raise ValueError("quantize_decoder_int8 is for generation: call model.eval() first")
    model.decoder.blocks = int8_linear_modules(model.decoder.blocks)
    return model


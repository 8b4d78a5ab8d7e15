"""What every hfsynth text-to-audio model reads from transformers' ``text-to-audio`` pipeline.

The pipeline always tokenizes the prompt, and models without a text encoder (WaveNet, GANSynth)
read only a few words of it (a class, a pitch). Their folders ship a byte-level ``ByT5Tokenizer``:
it needs no vocabulary file and its ids give the prompt back exactly.
"""

from __future__ import annotations

import torch
from transformers import ByT5Tokenizer

#: ByT5 ids 0, 1 and 2 are pad, end-of-sequence and unknown; byte b is id b + 3 (ids above 258
#: are sentinel tokens, which never come from text).
BYTE_ID_OFFSET = 3


def byte_tokenizer() -> ByT5Tokenizer:
    """The tokenizer saved next to every prompt-reading model, so ``pipeline("text-to-audio", ...)`` can load it."""
    return ByT5Tokenizer()


def decode_byte_prompts(input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> list[str]:
    """ByT5 ids (batch, tokens) -> one prompt per row; special and padding ids are dropped."""
    if input_ids.ndim != 2:
        raise ValueError(f"input_ids must be (batch, tokens); got shape {tuple(input_ids.shape)}")
    keep = (input_ids >= BYTE_ID_OFFSET) & (input_ids < BYTE_ID_OFFSET + 256)
    if attention_mask is not None:
        keep &= attention_mask.bool()
    return [
        bytes((row[mask] - BYTE_ID_OFFSET).tolist()).decode("utf-8", errors="ignore")
        for row, mask in zip(input_ids.cpu(), keep.cpu())
    ]


"""From captions to T5 token ids: a tokenizer trained on our captions, and the prompt-length limit.

The paper reads captions with a pretrained T5-large and its SentencePiece vocabulary. Offline we
train a tokenizer on the dataset's captions: byte-pair encoding (Sennrich et al. 2016) over
SentencePiece-style words (Metaspace, punctuation split off). BPE rather than T5's unigram model:
the ``tokenizers`` unigram trainer gives a different vocabulary on each run (a resumed training
run retrains the tokenizer, so it must come out the same) and, on a corpus this small, prunes
whole words into letters, while BPE keeps every frequent word whole. A few hundred pieces cover
a caption vocabulary that is small and repetitive. Text is NFKC-normalised and lower-cased
first (captions are lower case, prompts may not be). Ids follow T5: 0 ``<pad>``, 1 ``</s>``
(appended to every prompt), 2 ``<unk>``.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast
from transformers.utils import logging

from ...validation import check_int

logger = logging.get_logger(__name__)

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"


def train_caption_tokenizer(
    captions: Iterable[str], vocab_size: int = 1024, model_max_length: int = 64
) -> PreTrainedTokenizerFast:
    """Trains a BPE tokenizer with T5's special tokens on ``captions`` (deterministic).

    The result saves (``save_pretrained``) to a ``tokenizer.json`` that ``AutoTokenizer`` loads
    back as is. ``vocab_size`` is an upper bound: a small corpus yields fewer pieces, so size the
    text encoder's embedding with ``len(tokenizer)``.
    """
    captions = [caption for caption in captions if isinstance(caption, str) and caption.strip()]
    if not captions:
        raise ValueError("no captions to train the tokenizer on (all empty or not strings)")
    check_int(vocab_size, "vocab_size", minimum=8)
    tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Metaspace(), pre_tokenizers.Punctuation()])
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[PAD, EOS, UNK], show_progress=False)
    tokenizer.train_from_iterator(captions, trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"$A {EOS}", pair=f"$A {EOS} $B {EOS}", special_tokens=[(EOS, tokenizer.token_to_id(EOS))]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token=PAD, eos_token=EOS, unk_token=UNK, model_max_length=model_max_length
    )


def truncate_prompt_ids(
    input_ids: torch.Tensor, attention_mask: torch.Tensor, max_length: int, eos_token_id: int | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cuts (batch, tokens) prompts to ``max_length`` tokens, with a warning when any was longer.

    A cut prompt keeps its first ``max_length - 1`` tokens and ends with ``eos_token_id`` (when
    known), as T5 saw every caption end in training. Right padding is assumed (the tokenizer's).
    """
    lengths = attention_mask.sum(dim=1)
    too_long = lengths > max_length
    if not too_long.any():
        return input_ids[:, :max_length], attention_mask[:, :max_length]
    logger.warning(
        f"{int(too_long.sum())} prompt(s) of up to {int(lengths.max())} tokens were truncated to the text "
        f"encoder's limit of {max_length} tokens (config.max_text_length)"
    )
    input_ids, attention_mask = input_ids[:, :max_length].clone(), attention_mask[:, :max_length]
    if eos_token_id is not None:
        input_ids[too_long, -1] = eos_token_id
    return input_ids, attention_mask

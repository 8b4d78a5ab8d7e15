"""AudioGen (Kreuk et al. 2022): text -> T5 states -> a transformer predicting EnCodec codes -> audio.

The model holds three parts, like transformers' ``MusicgenForConditionalGeneration``:

* ``text_encoder``: a ``T5EncoderModel`` (any ``AutoModelForTextEncoding``);
* ``audio_encoder``: an ``EncodecModel``, frozen here (trained by ``training_codec.py``), that turns
  audio into K streams of codes at 50 frames/s and back;
* ``decoder``: :class:`AudioGenDecoder`, causal self-attention over the K code streams (summed
  embeddings in, K heads out, in MusicGen's delay pattern) and cross-attention to the text.

Classifier-free guidance uses a *null condition*: all-zero text states. Training replaces the
text of ``config.condition_dropout`` of the examples by it; generation runs the batch twice, with
the text and with the null condition, and mixes the two predictions (``generation_audiogen``).

Audio longer than the decoder's context (``max_position_embeddings`` steps) is generated with a
sliding window: each new window restarts at position 0 with the end of the previous window as its
prompt (audiocraft's long-form generation; the stride is ``config.long_form_stride_in_s``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoModelForTextEncoding, EncodecModel, GenerationConfig, GenerationMixin
from transformers.utils import ModelOutput, logging

from ..generation_utils import AudioGenerationMixin, AudioGenerationOutput, ProgressBar, progress, random_source
from ..modeling_utils import HFSynthPreTrainedModel
from .codec_audiogen import load_codec
from .configuration_audiogen import AudioGenConfig, AudioGenDecoderConfig
from .delay_pattern_audiogen import (
    UNKNOWN,
    apply_delay_pattern,
    build_delay_pattern,
    delay_pattern_mask,
    first_unknown_step,
    undo_delay_pattern,
)
from .generation_audiogen import (
    DEFAULT_GENERATION,
    CodePicker,
    audio_length,
    code_picker,
    generation_settings,
    guided_logits,
)
from .tokenization_audiogen import truncate_prompt_ids

logger = logging.get_logger(__name__)

#: Target of the delay padding in the loss (``F.cross_entropy``'s ignore index).
IGNORED = -100


@dataclass
class AudioGenOutput(ModelOutput):
    """
    loss: mean cross-entropy (nats per code) over the real codes of the delayed layout.
    logits: (batch, K, steps, codebook_size) predictions for each delayed step.
    codebook_losses: (K,) the loss of each codebook (coarse codebooks are easier to predict).
    """

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    codebook_losses: torch.Tensor | None = None


@dataclass
class AudioGenGenerationOutput(AudioGenerationOutput):
    """
    audio: (batch, 1, samples) float32 waveform, peak <= 1, at ``config.sampling_rate`` (an audio
        prompt's re-synthesis included).
    sequences: (batch, K, frames) the codes it was decoded from, prompt frames first.
    """

    sequences: torch.Tensor | None = None


@dataclass
class TextCondition:
    """What the decoder cross-attends to: ``states`` (batch, tokens, width), ``mask`` (batch, tokens) bool."""

    states: torch.Tensor
    mask: torch.Tensor

    @classmethod
    def null(cls, batch: int, width: int, like: torch.Tensor) -> TextCondition:
        """The null condition of ``batch`` items: one all-zero state (zero keys and values)."""
        return cls(like.new_zeros(batch, 1, width), torch.ones(batch, 1, dtype=torch.bool, device=like.device))

    def with_null(self) -> TextCondition:
        """(2 * batch, ...): these conditions, then the null condition for every item (for guidance)."""
        return TextCondition(torch.cat([self.states, torch.zeros_like(self.states)]), self.mask.repeat(2, 1))

    def dropped(self, probability: float) -> TextCondition:
        """Each item replaced by the null condition with ``probability`` (classifier-free guidance training)."""
        keep = torch.rand(self.states.shape[0], device=self.states.device) >= probability
        return TextCondition(self.states * keep[:, None, None].to(self.states.dtype), self.mask)

    def expand(self, batch: int) -> TextCondition:
        """One condition repeated for ``batch`` items (a single prompt for a batch of audio prompts)."""
        if self.states.shape[0] == batch:
            return self
        return TextCondition(self.states.expand(batch, -1, -1), self.mask.expand(batch, -1))

    @functools.cached_property
    def attention_mask(self) -> torch.Tensor | None:
        """The mask as cross-attention takes it, (batch, 1, 1, tokens); ``None`` when every token is
        real (computed once per generation, not once per step and layer)."""
        return None if bool(self.mask.all()) else self.mask[:, None, None, :]


# ------------------------------------------------------------------------------------ decoder
def sinusoidal_positions(positions: torch.Tensor, width: int) -> torch.Tensor:
    """(steps,) positions -> (steps, width) sinusoidal embeddings (Vaswani et al. 2017; MusicGen's)."""
    half = width // 2
    frequencies = torch.exp(-math.log(10000.0) * torch.arange(half, device=positions.device) / max(half - 1, 1))
    angles = positions.float()[:, None] * frequencies[None, :]
    return torch.cat([angles.cos(), angles.sin()], dim=-1)


def causal_mask(queries: int, keys: int, device: torch.device) -> torch.Tensor | None:
    """(queries, keys) bool: query i (the last ``queries`` of ``keys`` positions) sees keys <= its own.
    ``None`` for a single query, which sees every key: the common generation step needs no mask."""
    if queries == 1:
        return None
    return torch.ones(queries, keys, dtype=torch.bool, device=device).tril(diagonal=keys - queries)


class LayerCache:
    """One block's keys and values: self-attention (preallocated for the whole context, filled a
    step at a time, so a step copies only its own keys) and text (computed once)."""

    def __init__(self, capacity: int):
        self.capacity, self.length = capacity, 0
        self.keys: torch.Tensor | None = None
        self.values: torch.Tensor | None = None
        self.text: tuple[torch.Tensor, torch.Tensor] | None = None

    def extend(self, keys: torch.Tensor, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Stores this call's (batch, heads, steps, head_dim) keys/values; returns views of all so far."""
        if self.keys is None:
            shape = (*keys.shape[:2], self.capacity, keys.shape[-1])
            self.keys, self.values = keys.new_empty(shape), values.new_empty(shape)
        end = self.length + keys.shape[2]
        self.keys[:, :, self.length : end] = keys
        self.values[:, :, self.length : end] = values
        self.length = end
        return self.keys[:, :, :end], self.values[:, :, :end]


class DecoderCache:
    """Keys and values of every block, so a generation step only computes its new position."""

    def __init__(self, num_layers: int, capacity: int):
        self.layers = [LayerCache(capacity) for _ in range(num_layers)]

    @property
    def length(self) -> int:
        """Steps already in the cache (the position of the next one)."""
        return self.layers[0].length


def split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """(batch, steps, width) -> (batch, heads, steps, width / heads)."""
    return x.unflatten(-1, (heads, -1)).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(batch, heads, steps, head_dim) -> (batch, steps, heads * head_dim)."""
    return x.transpose(1, 2).flatten(2)


class SelfAttention(nn.Module):
    """Causal multi-head self-attention, queries/keys/values from one fused projection (one matrix
    product per step instead of three: generation is dominated by such small products)."""

    def __init__(self, width: int, heads: int, dropout: float, bias: bool = True):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.out = nn.Linear(width, width, bias=bias)

    def forward(self, x: torch.Tensor, cache: LayerCache | None) -> torch.Tensor:
        """x (batch, steps, width) -> (batch, steps, width); ``cache`` holds the earlier steps."""
        queries, keys, values = (split_heads(part, self.heads) for part in self.qkv(x).chunk(3, dim=-1))
        if cache is not None:
            keys, values = cache.extend(keys, values)
        attended = F.scaled_dot_product_attention(
            queries, keys, values, attn_mask=causal_mask(x.shape[1], keys.shape[2], x.device),
            dropout_p=self.dropout if self.training else 0.0,
        )
        return self.out(merge_heads(attended))


class CrossAttention(nn.Module):
    """Multi-head attention to the text states (of their own width).

    Keys and values have no bias, so the null condition (zero states) gives zero keys and values.
    """

    def __init__(self, width: int, source_width: int, heads: int, dropout: float, bias: bool = True):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.query = nn.Linear(width, width, bias=False)
        self.key_value = nn.Linear(source_width, 2 * width, bias=False)
        self.out = nn.Linear(width, width, bias=bias)

    def keys_values(self, source: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        keys, values = self.key_value(source).chunk(2, dim=-1)
        return split_heads(keys, self.heads), split_heads(values, self.heads)

    def forward(self, x: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor | None):
        """x (batch, steps, width), mask broadcastable to (batch, heads, steps, keys) -> (batch, steps, width)."""
        attended = F.scaled_dot_product_attention(
            split_heads(self.query(x), self.heads), keys, values, attn_mask=mask,
            dropout_p=self.dropout if self.training else 0.0,
        )
        return self.out(merge_heads(attended))


class DecoderBlock(nn.Module):
    """Pre-norm block: causal self-attention, cross-attention to the text, GELU feed-forward."""

    def __init__(self, config: AudioGenDecoderConfig):
        super().__init__()
        width, heads = config.hidden_size, config.num_attention_heads
        self.self_attention_norm = nn.LayerNorm(width)
        self.self_attention = SelfAttention(width, heads, config.dropout, config.bias)
        self.cross_attention_norm = nn.LayerNorm(width)
        self.cross_attention = CrossAttention(width, config.cross_attention_hidden_size, heads, config.dropout,
                                              config.bias)
        self.feed_forward_norm = nn.LayerNorm(width)
        self.feed_forward = nn.Sequential(
            nn.Linear(width, config.ffn_dim, bias=config.bias), nn.GELU(), nn.Linear(config.ffn_dim, width, bias=config.bias)
        )
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, condition: TextCondition, cache: LayerCache | None) -> torch.Tensor:
        """x (batch, steps, width) -> (batch, steps, width); ``cache`` holds the earlier steps."""
        x = x + self.dropout(self.self_attention(self.self_attention_norm(x), cache))
        text = None if cache is None else cache.text
        if text is None:
            text = self.cross_attention.keys_values(condition.states)
            if cache is not None:
                cache.text = text
        h = self.cross_attention_norm(x)
        x = x + self.dropout(self.cross_attention(h, *text, condition.attention_mask))
        return x + self.dropout(self.feed_forward(self.feed_forward_norm(x)))


class AudioGenDecoder(nn.Module):
    """K code streams in (summed embeddings), K streams of logits out, one step per delayed frame."""

    def __init__(self, config: AudioGenDecoderConfig):
        super().__init__()
        self.config = config
        vocabulary = config.codebook_size + 1  # the codes and the special token
        self.embeddings = nn.ModuleList(
            nn.Embedding(vocabulary, config.hidden_size) for _ in range(config.num_codebooks)
        )
        self.blocks = nn.ModuleList(DecoderBlock(config) for _ in range(config.num_hidden_layers))
        self.norm = nn.LayerNorm(config.hidden_size)
        # The K output heads as one matrix: one product per step instead of K.
        self.heads = nn.Linear(config.hidden_size, config.num_codebooks * config.codebook_size, bias=False)
        self.dropout = nn.Dropout(config.dropout)

    def new_cache(self) -> DecoderCache:
        return DecoderCache(len(self.blocks), self.config.max_position_embeddings)

    def forward(
        self, tokens: torch.Tensor, condition: TextCondition, cache: DecoderCache | None = None
    ) -> torch.Tensor:
        """tokens (batch, K, steps) -> logits (batch, K, steps, codebook_size).

        With ``cache``, ``tokens`` are the steps after those already cached, and the cache grows.
        """
        past = 0 if cache is None else cache.length
        steps = tokens.shape[-1]
        if past + steps > self.config.max_position_embeddings:
            raise ValueError(
                f"{past + steps} decoder steps exceed max_position_embeddings={self.config.max_position_embeddings}; "
                "generate() slides a window for longer audio"
            )
        x = sum(embed(tokens[:, k]) for k, embed in enumerate(self.embeddings))          # (batch, steps, width)
        positions = torch.arange(past, past + steps, device=tokens.device)
        x = self.dropout(x + sinusoidal_positions(positions, x.shape[-1]).to(x.dtype))
        for index, block in enumerate(self.blocks):
            x = block(x, condition, None if cache is None else cache.layers[index])
        logits = self.heads(self.norm(x))                                                # (batch, steps, K * V)
        return logits.unflatten(-1, (self.config.num_codebooks, -1)).transpose(1, 2)    # (batch, K, steps, V)


# ------------------------------------------------------------------------------------ model
class AudioGenPreTrainedModel(HFSynthPreTrainedModel):
    config_class = AudioGenConfig
    base_model_prefix = "audiogen"
    main_input_name = "input_ids"

    def _init_weights(self, module: nn.Module) -> None:
        """GPT-2-style initialisation of the decoder; the text encoder and the codec are
        transformers models and initialise themselves."""
        super()._init_weights(module)
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
            if getattr(module, "bias", None) is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


class AudioGenForConditionalGeneration(AudioGenerationMixin, AudioGenPreTrainedModel, GenerationMixin):
    """Text-to-audio with AudioGen. ``forward`` is teacher forcing (training); ``generate`` makes audio.

    ``generate`` is what transformers' ``text-to-audio`` pipeline calls (this class inherits
    ``GenerationMixin``), with the tokenizer's ``input_ids``/``attention_mask`` and the user's
    ``forward_params``; see :meth:`generate` for its arguments and ``generation_audiogen`` for the
    length rule.
    """

    def __init__(self, config: AudioGenConfig):
        super().__init__(config)
        self.text_encoder = AutoModelForTextEncoding.from_config(config.text_encoder)
        self.text_projection = (
            nn.Linear(config.text_encoder.hidden_size, config.decoder.cross_attention_hidden_size)
            if config.text_projection else None
        )
        self.audio_encoder = EncodecModel(config.audio_encoder)
        self.decoder = AudioGenDecoder(config.decoder)
        self.post_init()
        self.generation_config = GenerationConfig(**DEFAULT_GENERATION)

    @classmethod
    def from_sub_models_pretrained(
        cls,
        text_encoder_path: str | None = None,
        audio_encoder_path: str | None = None,
        **config_kwargs,
    ) -> AudioGenForConditionalGeneration:
        """A new model whose text encoder and/or codec come from checkpoints (local folders or Hub ids).

        ``config_kwargs`` (``decoder``, ``condition_dropout``, the settings of a part not loaded,
        ...) complete :class:`AudioGenConfig`; the decoder starts from random weights. A real T5
        (``t5-base``'s encoder) loads the same way as a tiny one saved to disk.
        """
        loaders = {
            "text_encoder": (AutoModelForTextEncoding.from_pretrained, text_encoder_path),
            "audio_encoder": (load_codec, audio_encoder_path),
        }
        pretrained = {
            name: None if path is None else loader(path) for name, (loader, path) in loaders.items()
        }
        configs = {name: model.config for name, model in pretrained.items() if model is not None}
        clashing = sorted(set(configs) & set(config_kwargs))
        if clashing:
            raise ValueError(f"{clashing} come from the pretrained checkpoint; do not also pass their settings")
        model = cls(AudioGenConfig(**configs, **config_kwargs))
        for name, source in pretrained.items():
            if source is not None:
                getattr(model, name).load_state_dict(source.state_dict())
        return model

    def freeze_audio_encoder(self) -> None:
        """The codec is trained on its own (``training_codec.py``); AudioGen only reads its codes."""
        self.audio_encoder.requires_grad_(False)

    def train(self, mode: bool = True) -> AudioGenForConditionalGeneration:
        """Like ``nn.Module.train``, but a frozen text encoder or codec stays in eval mode (no dropout)."""
        super().train(mode)
        for part in (self.text_encoder, self.audio_encoder):
            if not any(param.requires_grad for param in part.parameters()):
                part.eval()
        return self

    # --------------------------------------------------------------------------- conditioning
    def encode_text(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> TextCondition:
        """(batch, tokens) ids -> the decoder's condition; prompts over ``config.max_text_length`` are cut (warning)."""
        if input_ids.ndim != 2 or input_ids.shape[0] == 0:
            raise ValueError(f"input_ids must be (batch >= 1, tokens) prompt ids; got shape {tuple(input_ids.shape)}")
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        eos = self.config.text_encoder.eos_token_id
        input_ids, attention_mask = truncate_prompt_ids(input_ids, attention_mask, self.config.max_text_length, eos)
        states = self.text_encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        if self.text_projection is not None:
            states = self.text_projection(states)                                # (batch, tokens, decoder width)
        mask = attention_mask.bool()
        if self.config.mask_padded_text:
            return TextCondition(states, mask)
        # audiocraft: padded tokens (and every token of an empty prompt) become zero states, attended to.
        mask &= (mask.sum(dim=1, keepdim=True) > 1) | (input_ids[:, :1] != eos)
        return TextCondition(states * mask[..., None].to(states.dtype), torch.ones_like(mask))

    def condition_for(
        self, input_ids: torch.Tensor | None, attention_mask: torch.Tensor | None, batch: int
    ) -> TextCondition:
        """The text condition, or the null condition (unconditional audio) without ``input_ids``."""
        if input_ids is None:
            return TextCondition.null(batch, self.config.decoder.cross_attention_hidden_size, self.decoder.norm.weight)
        return self.encode_text(input_ids, attention_mask)

    # ----------------------------------------------------------------------------------- codec
    @torch.no_grad()
    def encode_audio(self, waveform: torch.Tensor) -> torch.Tensor:
        """(batch, samples) audio at ``config.sampling_rate`` -> (batch, K, ceil(samples / hop)) codes."""
        codes = self.audio_encoder.encode(waveform[:, None].to(self.audio_encoder.dtype)).audio_codes
        return codes[0]                                                  # (1, batch, K, frames) -> (batch, K, frames)

    def decode_audio(self, codes: torch.Tensor) -> torch.Tensor:
        """(batch, K, frames) codes -> (batch, frames * hop) audio."""
        return self.audio_encoder.decode(codes[None], [None]).audio_values[:, 0]

    # -------------------------------------------------------------------------------- training
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        audio_codes: torch.Tensor | None = None,
        input_values: torch.Tensor | None = None,
    ) -> AudioGenOutput:
        """Teacher forcing: the loss of predicting ``audio_codes`` (batch, K, frames), or the codes of
        ``input_values`` (batch, samples) audio, given the prompts.

        The decoder reads the start token then the delayed codes and predicts each delayed step;
        the delay padding is given, not scored. In training mode ``config.condition_dropout`` of the
        items get the null condition. Without ``input_ids`` every item is unconditional.
        """
        if (audio_codes is None) == (input_values is None):
            raise ValueError("pass either audio_codes (batch, K, frames) or input_values (batch, samples) audio")
        codes = self.encode_audio(input_values) if audio_codes is None else audio_codes
        if codes.ndim != 3 or codes.shape[1] != self.config.decoder.num_codebooks:
            raise ValueError(
                f"audio_codes must be (batch, {self.config.decoder.num_codebooks}, frames); got {tuple(codes.shape)}"
            )
        if input_ids is not None and input_ids.shape[0] != codes.shape[0]:
            raise ValueError(
                f"{input_ids.shape[0]} prompts for {codes.shape[0]} audio examples; pass one prompt per example"
            )
        condition = self.condition_for(input_ids, attention_mask, codes.shape[0])
        if self.training and self.config.condition_dropout:
            condition = condition.dropped(self.config.condition_dropout)
        num_frames, special = codes.shape[-1], self.config.decoder.special_token_id
        targets = build_delay_pattern(codes, num_frames, special)                       # (batch, K, steps)
        inputs = F.pad(targets[:, :, :-1], (1, 0), value=special)                      # start token first
        logits = self.decoder(inputs, condition)                                        # (batch, K, steps, V)
        scored = delay_pattern_mask(codes.shape[1], num_frames, codes.device)           # (K, steps)
        losses = F.cross_entropy(
            logits.permute(0, 3, 1, 2), targets.masked_fill(~scored, IGNORED), ignore_index=IGNORED, reduction="none"
        )                                                                               # (batch, K, steps)
        per_codebook = losses.sum(dim=(0, 2)) / (scored.sum(dim=1) * codes.shape[0])
        return AudioGenOutput(loss=per_codebook.mean(), logits=logits, codebook_losses=per_codebook.detach())

    # ------------------------------------------------------------------------------ generation
    @torch.no_grad()
    def generate(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        input_values: torch.Tensor | np.ndarray | None = None,
        padding_mask: torch.Tensor | np.ndarray | None = None,
        audio_length_in_s: float | None = None,
        generator: torch.Generator | None = None,
        seed: int | None = None,
        generation_config: GenerationConfig | None = None,
        progress_bar: ProgressBar = None,
        return_dict_in_generate: bool = False,
        **kwargs,
    ) -> torch.Tensor | AudioGenGenerationOutput:
        """Generates audio for tokenized prompts -> (batch, 1, samples), or with
        ``return_dict_in_generate`` an :class:`AudioGenGenerationOutput` (``audio``, ``sequences``).

        Args:
            input_ids / attention_mask: (batch, tokens) prompts from the folder's tokenizer or
                :class:`AudioGenProcessor`; ``None`` generates without text (the null condition).
            input_values / padding_mask: an audio prompt to continue, (samples,), (batch, samples) or
                (batch, 1, samples) at the model's rate, and its (batch, samples) padding mask (1 for
                real samples), as the processor returns them; its codes are kept as the first frames.
                One audio prompt serves a whole batch of texts.
            audio_length_in_s: length of the result, prompt included; wins over ``max_new_tokens``
                (see ``generation_audiogen`` for the whole rule); default ``config.audio_length_in_s``.
            generator / seed: a ``torch.Generator``, or a seed for a new one; torch's global RNG otherwise.
            generation_config / kwargs: ``do_sample``, ``temperature``, ``top_k``, ``top_p``,
                ``guidance_scale`` (classifier-free guidance; 1 or ``None`` turns it off),
                ``max_new_tokens``, ``use_cache``; defaults from ``self.generation_config``
                (sampling, top-k 250, guidance 3, as audiocraft).
            progress_bar: see :data:`~hfsynth.models.generation_utils.ProgressBar`.
        """
        settings = generation_settings(generation_config or self.generation_config, kwargs)
        prompt_codes = self.audio_prompt_codes(input_values, padding_mask)
        text_batch = None if input_ids is None else input_ids.shape[0]
        batch = _common_batch(text_batch, None if prompt_codes is None else prompt_codes.shape[0])
        condition = self.condition_for(input_ids, attention_mask, batch).expand(batch)
        if prompt_codes is not None:
            prompt_codes = prompt_codes.expand(batch, -1, -1)
        length = audio_length(
            self.config.audio_length_in_s if audio_length_in_s is None and settings.max_new_tokens is None
            else audio_length_in_s,
            settings.max_new_tokens, 0 if prompt_codes is None else prompt_codes.shape[-1],
            self.config.decoder.num_codebooks, self.config.sampling_rate, self.config.hop_length,
        )
        codes = self.sample_codes(
            condition, prompt_codes, length.total_frames, code_picker(settings, random_source(generator, seed)),
            settings.guidance_scale, settings.use_cache, progress_bar,
        )
        audio = self.decode_audio(codes)[:, : length.num_samples]
        return self.generation_output(audio, return_dict_in_generate, AudioGenGenerationOutput, sequences=codes)

    def sample_codes(
        self,
        condition: TextCondition,
        prompt_codes: torch.Tensor | None,
        num_frames: int,
        pick: CodePicker,
        guidance_scale: float | None = None,
        use_cache: bool = True,
        progress_bar: ProgressBar = False,
    ) -> torch.Tensor:
        """(batch, K, num_frames) codes continuing ``prompt_codes`` (batch, K, P), window by window.

        A window holds ``config.decoder.max_window_frames`` frames. The first holds the prompt and
        what follows it; each later window starts ``stride`` frames after the previous one and
        takes the previous window's frames from there on as its prompt (audiocraft's long-form
        generation, ``extend_stride``), so the audio continues seamlessly at the cost of
        recomputing the overlap. ``config.long_form_stride_in_s`` sets the stride; by default
        the last half window is kept.
        """
        window = self.config.decoder.max_window_frames
        stride = self.config.long_form_stride_frames or max(1, window - max(1, window // 2))
        batch, num_codebooks = condition.states.shape[0], self.config.decoder.num_codebooks
        prefix = (prompt_codes if prompt_codes is not None
                  else torch.empty(batch, num_codebooks, 0, dtype=torch.long, device=self.device))
        if prefix.shape[-1] >= window:
            raise ValueError(f"the audio prompt has {prefix.shape[-1]} frames; it must be shorter than the "
                             f"decoder's window of {window} frames")
        pieces, start, kept = [], 0, 0          # the first window is kept whole: it fills the prompt's padding
        while start + prefix.shape[-1] < num_frames:
            window_codes = self.sample_window(condition, prefix, min(num_frames - start, window), pick,
                                              guidance_scale, use_cache, progress_bar)
            pieces.append(window_codes[:, :, kept:])
            prefix, start = window_codes[:, :, stride:], start + stride
            kept = prefix.shape[-1]
        return torch.cat(pieces, dim=-1)

    def sample_window(
        self,
        condition: TextCondition,
        prefix: torch.Tensor,
        num_frames: int,
        pick: CodePicker,
        guidance_scale: float | None = None,
        use_cache: bool = True,
        progress_bar: ProgressBar = False,
    ) -> torch.Tensor:
        """(batch, K, num_frames) codes starting with ``prefix`` (batch, K, P), in one decoder context.

        The delay pattern says, step by step, which codes are known (prompt, padding) and which
        to sample. Known leading steps are fed in one pass; then one step at a time, each step
        reusing the cached keys/values (``use_cache``) or recomputing every step (the reference).
        With ``guidance_scale`` the batch is doubled: conditional rows, then null-condition rows.
        """
        special = self.config.decoder.special_token_id
        pattern = build_delay_pattern(prefix, num_frames, special)                       # (batch, K, steps)
        steps = pattern.shape[-1]
        tokens = F.pad(pattern.clamp(min=0), (1, 0), value=special)                     # (batch, K, 1 + steps)
        guided = guidance_scale is not None
        rows = condition.with_null() if guided else condition                          # (2 x) batch conditions
        cache = self.decoder.new_cache() if use_cache else None
        first = first_unknown_step(pattern)
        for step in progress(range(first, steps), steps - first, progress_bar):
            fed = 0 if cache is None else cache.length
            inputs = tokens[:, :, fed : step + 1]
            logits = self.decoder(inputs.repeat(2, 1, 1) if guided else inputs, rows, cache)[:, :, -1]
            if guided:
                logits = guided_logits(*logits.chunk(2), guidance_scale)
            codes = apply_delay_pattern(pick(logits)[..., None], pattern[:, :, step : step + 1])  # (batch, K, 1)
            tokens[:, :, step + 1] = codes[..., 0]
        return undo_delay_pattern(tokens[:, :, 1:])

    def audio_prompt_codes(
        self, audio: torch.Tensor | np.ndarray | None, padding_mask: torch.Tensor | np.ndarray | None = None
    ) -> torch.Tensor | None:
        """An audio prompt at the model's rate -> its (batch, K, whole frames) codes; frames over
        padding are UNKNOWN.

        Only whole frames are kept: a partial last frame would also describe the silence after the
        prompt. (:class:`AudioGenProcessor` resamples prompts of other rates.)
        """
        if audio is None:
            if padding_mask is not None:
                raise ValueError("padding_mask was given without an audio prompt (input_values)")
            return None
        waveform = _prompt_batch(audio)                                                 # (batch, samples) numpy
        valid = np.full(waveform.shape[0], waveform.shape[-1]) if padding_mask is None else _mask_lengths(
            padding_mask, waveform)
        hop = self.config.hop_length
        if waveform.shape[-1] < hop:
            raise ValueError(
                f"the audio prompt is shorter than one codec frame ({hop} samples, "
                f"{hop / self.config.sampling_rate * 1000:.0f} ms at {self.config.sampling_rate} Hz)"
            )
        codes = self.encode_audio(torch.from_numpy(waveform).to(self.device))[:, :, : waveform.shape[-1] // hop]
        known_frames = torch.as_tensor(valid // hop, device=codes.device)                  # (batch,)
        known = torch.arange(codes.shape[-1], device=codes.device)[None, :] < known_frames[:, None]
        return torch.where(known[:, None, :], codes, UNKNOWN)


def _prompt_batch(audio: torch.Tensor | np.ndarray) -> np.ndarray:
    """(samples,), (batch, samples) or (batch, 1, samples) -> (batch, samples) float32; ValueError otherwise."""
    array = audio.detach().cpu().float().numpy() if isinstance(audio, torch.Tensor) else np.asarray(audio, np.float32)
    if array.ndim == 3 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim == 1:
        array = array[None]
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"input_values must be (samples,), (batch, samples) or (batch, 1, samples); got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("input_values (the audio prompt) contains NaN or infinite samples")
    return np.ascontiguousarray(array, dtype=np.float32)


def _mask_lengths(mask: torch.Tensor | np.ndarray, waveform: np.ndarray) -> np.ndarray:
    """Real samples per row of a (batch, samples) 0/1 padding mask."""
    mask = np.asarray(mask.cpu() if isinstance(mask, torch.Tensor) else mask)
    mask = mask.reshape(-1, mask.shape[-1]) if mask.ndim else mask             # (samples,) is one prompt
    if mask.shape != waveform.shape:
        raise ValueError(f"padding_mask has shape {mask.shape}; the audio prompt is {waveform.shape}")
    return mask.astype(bool).sum(axis=-1)


def _common_batch(text_batch: int | None, audio_batch: int | None) -> int:
    """The batch of a call: texts and audio prompts pair up, and a single one of either is shared."""
    if text_batch == 0:
        raise ValueError("no prompts: input_ids has a batch of 0")
    sizes = {size for size in (text_batch, audio_batch) if size is not None}
    if len(sizes) == 2 and 1 not in sizes:
        raise ValueError(
            f"{text_batch} text prompts and {audio_batch} audio prompts do not pair up; pass as many, or one"
        )
    return max(sizes, default=1)

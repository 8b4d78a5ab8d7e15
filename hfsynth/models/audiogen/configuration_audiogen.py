"""AudioGen configuration (Kreuk et al. 2022): a text encoder, an audio codec and a token decoder.

Like ``MusicgenConfig``, :class:`AudioGenConfig` composes three sub-configs, each saved inside
``config.json`` and rebuilt by ``from_pretrained``:

* ``text_encoder``: a ``T5Config`` (any ``AutoConfig`` text encoder works: pass a dict with its
  ``model_type``);
* ``audio_encoder``: an ``EncodecConfig``, the codec that turns audio into ``num_codebooks``
  parallel streams of codes and back;
* ``decoder``: an :class:`AudioGenDecoderConfig`, the transformer that predicts the codes.

The paper's models (285M and 1B parameters, with a pretrained T5-large) are GPU-sized; the
defaults here keep the architecture at a size two CPU cores can train and run: a 16 kHz EnCodec
with 4 codebooks of 512 entries at 50 frames/s (AudioGen's released codec: 4 x 2048 at 50 Hz),
a two-layer T5 encoder (0.4M parameters) and a 4-layer decoder (5.0M).
"""

from __future__ import annotations

import math
from typing import Any

from transformers import AutoConfig, EncodecConfig, PretrainedConfig, T5Config

from ...validation import check_int, check_positive_seconds

#: A two-layer T5 encoder: enough to tell a few hundred caption words apart.
TINY_T5: dict[str, Any] = dict(
    vocab_size=1024, d_model=128, d_kv=32, d_ff=256, num_layers=2, num_decoder_layers=0, num_heads=4,
    dropout_rate=0.1,
)

#: EnCodec's SEANet at a quarter of its width (16 filters, 64-dim latents, one LSTM layer: 2.7M
#: parameters), with the paper codec's 320-sample hop: 50 frames/s at 16 kHz.
SMALL_ENCODEC: dict[str, Any] = dict(
    sampling_rate=16000, num_filters=16, hidden_size=64, num_lstm_layers=1, upsampling_ratios=[8, 5, 4, 2],
    codebook_size=512,
)
DEFAULT_NUM_CODEBOOKS = 4


def encodec_bandwidth(num_codebooks: int, codebook_size: int, frame_rate: int) -> float:
    """The kbps at which ``EncodecModel`` uses exactly ``num_codebooks`` quantizers.

    transformers' EnCodec derives its number of quantizers from ``target_bandwidths[-1]``
    (``1000 * kbps // (frame_rate * bits per code)``, whole bits: ``ceil(log2(codebook_size))``),
    so a codec with a chosen number of codebooks is specified by that bandwidth.
    """
    return num_codebooks * frame_rate * math.ceil(math.log2(codebook_size)) / 1000


def small_encodec_config(num_codebooks: int = DEFAULT_NUM_CODEBOOKS, **overrides: Any) -> EncodecConfig:
    """:data:`SMALL_ENCODEC` with ``overrides``, using exactly ``num_codebooks`` quantizers."""
    settings = {**SMALL_ENCODEC, **overrides}
    frame_rate = math.ceil(settings["sampling_rate"] / math.prod(settings["upsampling_ratios"]))
    bandwidth = encodec_bandwidth(num_codebooks, settings["codebook_size"], frame_rate)
    return EncodecConfig(**settings, target_bandwidths=[bandwidth])


class AudioGenDecoderConfig(PretrainedConfig):
    r"""The transformer that predicts EnCodec codes, one frame of ``num_codebooks`` codes per step.

    Args:
        num_hidden_layers (`int`, 4) / num_attention_heads (`int`, 4) / hidden_size (`int`, 256) /
            ffn_dim (`int`, 1024): pre-norm transformer blocks of causal self-attention,
            cross-attention to the text and a GELU feed-forward layer.
        num_codebooks (`int`, 4) / codebook_size (`int`, 512): the codec's parallel code streams and
            entries per codebook. Each stream has its own embedding (summed at the input) and its
            own output head. Id ``codebook_size`` is the special token: the start of the sequence
            and the padding the delay pattern puts before and after each stream.
        max_position_embeddings (`int`, 256): longest sequence (frames + num_codebooks - 1 delay
            steps) trained on; 256 steps hold 253 frames, 5.06 s at 50 Hz. Longer audio is
            generated with a sliding window.
        dropout (`float`, 0.1): dropout on residual branches and attention weights.
        cross_attention_hidden_size (`int`, None): width of the text states cross-attention reads;
            ``None`` is filled in by :class:`AudioGenConfig` (the text encoder's width, or the
            decoder's when a text projection sits in between).
        bias (`bool`, True): biases on the attention output and feed-forward projections
            (audiocraft's AudioGen has none: ``bias_attn``/``bias_ff`` false).
    """

    model_type = "hfsynth_audiogen_decoder"

    def __init__(
        self,
        num_hidden_layers: int = 4,
        num_attention_heads: int = 4,
        hidden_size: int = 256,
        ffn_dim: int = 1024,
        num_codebooks: int = DEFAULT_NUM_CODEBOOKS,
        codebook_size: int = 512,
        max_position_embeddings: int = 256,
        dropout: float = 0.1,
        cross_attention_hidden_size: int | None = None,
        bias: bool = True,
        **kwargs,
    ):
        if hidden_size % 2:
            raise ValueError(f"hidden_size must be even (sine and cosine halves of the positions); got {hidden_size}")
        if hidden_size % num_attention_heads:
            raise ValueError(
                f"hidden_size ({hidden_size}) must be a multiple of num_attention_heads ({num_attention_heads})"
            )
        if max_position_embeddings < num_codebooks:
            raise ValueError(
                f"max_position_embeddings ({max_position_embeddings}) must leave room for at least one frame after "
                f"the {num_codebooks - 1} delay steps of {num_codebooks} codebooks"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout}")
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.hidden_size = hidden_size
        self.ffn_dim = ffn_dim
        self.num_codebooks = num_codebooks
        self.codebook_size = codebook_size
        self.max_position_embeddings = max_position_embeddings
        self.dropout = dropout
        self.cross_attention_hidden_size = cross_attention_hidden_size
        self.bias = bool(bias)
        super().__init__(**kwargs)

    @property
    def special_token_id(self) -> int:
        """The start-of-sequence / delay-padding token: one past the last code."""
        return self.codebook_size

    @property
    def max_window_frames(self) -> int:
        """Frames one window of ``max_position_embeddings`` steps holds (the delay takes K - 1 steps)."""
        return self.max_position_embeddings - self.num_codebooks + 1


def _sub_config(value: PretrainedConfig | dict | None, default_class: type[PretrainedConfig],
                defaults: dict[str, Any]) -> PretrainedConfig:
    """A sub-config from an instance, or from a dict (``config.json`` gives dicts) over ``defaults``.

    A dict naming another ``model_type`` is built by ``AutoConfig`` (e.g. a different text encoder).
    """
    if isinstance(value, PretrainedConfig):
        return value
    settings = dict(value or {})
    model_type = settings.pop("model_type", default_class.model_type)
    if model_type != default_class.model_type:
        return AutoConfig.for_model(model_type, **settings)
    return default_class(**{**defaults, **settings})


def codec_config(value: PretrainedConfig | dict | None) -> PretrainedConfig:
    """The codec's config. A dict with ``target_bandwidths`` is taken as it is (a saved config);
    one without is read as overrides of :func:`small_encodec_config`, with an optional
    ``num_codebooks`` (4) instead of a bandwidth."""
    if isinstance(value, PretrainedConfig):
        return value
    settings = dict(value or {})
    settings.pop("model_type", None)
    if "target_bandwidths" in settings:
        return EncodecConfig(**settings)
    return small_encodec_config(settings.pop("num_codebooks", DEFAULT_NUM_CODEBOOKS), **settings)


class AudioGenConfig(PretrainedConfig):
    r"""
    Args:
        text_encoder (`T5Config` or `dict`): the text encoder; default :data:`TINY_T5`.
        audio_encoder (`EncodecConfig` or `dict`): the codec; default :func:`small_encodec_config`
            (a dict without ``target_bandwidths`` overrides it, ``num_codebooks`` included).
        decoder (:class:`AudioGenDecoderConfig` or `dict`): the code decoder; its codebook count
            and size default to the codec's and must match them.
        condition_dropout (`float`, 0.1): fraction of training examples whose text is replaced by
            the null condition, so one model learns both p(audio | text) and p(audio) for
            classifier-free guidance (the paper's 10%).
        max_text_length (`int`, 64): longest prompt in tokens; longer ones are truncated with a
            warning. T5's relative positions have no hard limit, but prompts longer than the
            training captions only add tokens the model never learnt to read.
        audio_length_in_s (`float`, 5.0): what ``generate`` makes when the call names neither a
            length nor ``max_new_tokens``.
        text_projection (`bool`, False): a linear layer (with bias) from the text encoder's width to
            the decoder's between the two, as audiocraft's T5 conditioner has (``output_proj``).
        mask_padded_text (`bool`, True): cross-attention ignores the padding of shorter prompts in a
            batch. False does what audiocraft does: padded text states are set to zero (as are
            empty prompts') and attended to like the others, so a prompt's audio depends slightly
            on the longest prompt of its batch.
        long_form_stride_in_s (`float`, None): audio longer than one decoder window is generated
            window by window; each new window starts this much after the previous one and keeps
            the rest of it as its prompt (audiocraft's ``extend_stride``, 2 s of a 10 s window).
            ``None`` keeps the last half window.

    ``sampling_rate`` and ``frame_rate`` are read from the codec, so they cannot disagree with it.
    """

    model_type = "hfsynth_audiogen"
    sub_configs_defaults = {"text_encoder": T5Config, "audio_encoder": EncodecConfig, "decoder": AudioGenDecoderConfig}

    def __init__(
        self,
        text_encoder: PretrainedConfig | dict | None = None,
        audio_encoder: PretrainedConfig | dict | None = None,
        decoder: PretrainedConfig | dict | None = None,
        condition_dropout: float = 0.1,
        max_text_length: int = 64,
        audio_length_in_s: float = 5.0,
        text_projection: bool = False,
        mask_padded_text: bool = True,
        long_form_stride_in_s: float | None = None,
        **kwargs,
    ):
        self.text_encoder = _sub_config(text_encoder, T5Config, TINY_T5)
        self.audio_encoder = codec_config(audio_encoder)
        self.decoder = _sub_config(decoder, AudioGenDecoderConfig, self._decoder_defaults(decoder))
        self.text_projection = bool(text_projection)
        self.mask_padded_text = bool(mask_padded_text)
        if self.decoder.cross_attention_hidden_size is None:
            self.decoder.cross_attention_hidden_size = (
                self.decoder.hidden_size if self.text_projection else self.text_encoder.hidden_size
            )
        self._check_parts_fit()
        if not 0.0 <= condition_dropout < 1.0:
            raise ValueError(f"condition_dropout must be in [0, 1); got {condition_dropout}")
        check_int(max_text_length, "max_text_length", minimum=2, hint=" (a word and the end token)")
        self.condition_dropout = condition_dropout
        self.max_text_length = max_text_length
        self.audio_length_in_s = check_positive_seconds(audio_length_in_s)
        self.long_form_stride_in_s = (None if long_form_stride_in_s is None
                                      else check_positive_seconds(long_form_stride_in_s, "long_form_stride_in_s"))
        stride = self.long_form_stride_frames
        if stride is not None and not 0 < stride < self.decoder.max_window_frames:
            raise ValueError(
                f"long_form_stride_in_s={long_form_stride_in_s} must be at least one frame and shorter than the "
                f"decoder's window of {self.decoder.max_window_frames / self.frame_rate:g} s"
            )
        super().__init__(**kwargs)

    def _decoder_defaults(self, decoder: PretrainedConfig | dict | None) -> dict[str, Any]:
        """Codebook counts a decoder dict leaves out follow the codec."""
        given = {} if isinstance(decoder, PretrainedConfig) else dict(decoder or {})
        given.setdefault("num_codebooks", self.audio_encoder.num_quantizers)
        given.setdefault("codebook_size", self.audio_encoder.codebook_size)
        return given

    def _check_parts_fit(self) -> None:
        codec, decoder = self.audio_encoder, self.decoder
        if not self.text_projection and decoder.cross_attention_hidden_size != self.text_encoder.hidden_size:
            raise ValueError(
                f"the decoder cross-attends to states of width {decoder.cross_attention_hidden_size} but the text "
                f"encoder gives {self.text_encoder.hidden_size}; leave cross_attention_hidden_size unset to follow it, "
                "or set text_projection=True to project the text states to that width"
            )
        if (codec.num_quantizers, codec.codebook_size) != (decoder.num_codebooks, decoder.codebook_size):
            raise ValueError(
                f"the codec gives {codec.num_quantizers} codebooks of {codec.codebook_size} entries but the decoder "
                f"predicts {decoder.num_codebooks} of {decoder.codebook_size}; build the codec with "
                "small_encodec_config(num_codebooks=..., codebook_size=...) or change the decoder"
            )
        if codec.audio_channels != 1 or codec.chunk_length_s is not None:
            raise ValueError("AudioGen's codec must be mono and unchunked (audio_channels=1, chunk_length_s=None)")

    @property
    def sampling_rate(self) -> int:
        return self.audio_encoder.sampling_rate

    @property
    def frame_rate(self) -> int:
        """Codec frames (decoder steps, once past the delay) per second."""
        return self.audio_encoder.frame_rate

    @property
    def hop_length(self) -> int:
        """Samples per codec frame."""
        return self.audio_encoder.hop_length

    @property
    def long_form_stride_frames(self) -> int | None:
        """Frames between the starts of consecutive windows in long-form generation (None: half a window)."""
        return None if self.long_form_stride_in_s is None else round(self.long_form_stride_in_s * self.frame_rate)

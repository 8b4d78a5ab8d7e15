"""WaveNet configuration (van den Oord et al. 2016; vocoder settings after r9y9/wavenet_vocoder)."""

from __future__ import annotations

import math

from transformers import PretrainedConfig

from ...audio.emphasis import check_emphasis
from ...audio.mulaw import MuLawCodec
from ...modules.packed_linear import PRECISIONS
from ...validation import check_int, check_non_negative_number, check_number, check_positive_int, check_positive_seconds
from .sampling_wavenet import SAMPLINGS

OUTPUT_DISTRIBUTIONS = ("mulaw256", "mol")
#: See :mod:`hfsynth.models.wavenet.upsampling_wavenet`.
UPSAMPLE_NETS = ("stretch", "conv_in", "transposed", "repeat")
#: hfsynth's log-mel (:meth:`WaveNetModel.mel_from_audio`), the two of :mod:`hfsynth.audio.normalized_mel`,
#: or none (the local conditioning is not a mel, e.g. a latent).
MEL_FRONTENDS = ("hfsynth", "db_normalized", "standardized_log10", "none")
#: Storages of the residual layers' weights during incremental generation.
INCREMENTAL_WEIGHTS = PRECISIONS


class WaveNetConfig(PretrainedConfig):
    r"""
    Args:
        layers (`int`, 24) / stacks (`int`, 4): dilated layers in all, split into stacks whose
            dilations double from 1 (so 24 layers in 4 stacks use dilations 1..32 four times).
        residual_channels (`int`, 128) / gate_channels (`int`, 256) / skip_channels (`int`, 128):
            widths of the residual stream, the gated activation (split in two halves: tanh and
            sigmoid) and the skip connections.
        kernel_size (`int`, 3): taps of each dilated causal convolution.
        output_distribution (`str`, "mulaw256"): "mulaw256", a softmax over mu-law codes, or
            "mol", a discretized mixture of logistics over 16-bit amplitudes (PixelCNN++).
        quantization_channels (`int`, 256): mu-law levels (categorical output).
        mixture_components (`int`, 10): logistic components ("mol" output).
        global_cond_classes (`int`, 0): number of classes for global conditioning (e.g.
            instruments); 0 disables it. `class_labels` names them (used to read text prompts).
        global_cond_channels (`int`, 16): size of the class embedding.
        local_cond_channels (`int`, 0): mel bands of the local conditioning (0 = unconditional).
        upsample_scales (`list[int]`): transposed-upsampling factors taking mel frames to samples;
            their product is the hop length of the mel.
        mel_n_fft (`int`, 1024) / mel_fmin (`float`, 0) / mel_fmax (`float`, None): the mel front end
            used to turn audio into conditioning (vocoder mode).
        sampling_rate (`int`, 16000).
        pre_emphasis (`float`, 0.0): the model predicts ``x[t] - a x[t-1]`` and generation undoes the
            filter, so its 8-bit sampling noise falls at low frequencies, under the music
            (``hfsynth.audio.emphasis``; LPCNet uses 0.85). 0 predicts the waveform itself.
        input_noise (`float`, 0.0): in training, the standard deviation of Gaussian noise added to the
            teacher-forced input samples in the mu-law companded domain (one 8-bit level is 2 / 255), as
            FFTNet and LPCNet inject noise: a model that never sees a clean past learns to recover
            from its own sampling errors and to lean on its conditioning. Targets stay clean.
        audio_length_in_s (`float`, 1.0): what ``generate`` makes when the call names no length and
            no mel sets it.

    Published WaveNets differ from hfsynth's in details the options below reproduce (their
    converters set them; the defaults are hfsynth's own WaveNet):

        scalar_input (`bool`, None): feed each sample to the network as one number (an amplitude, or a
            mu-law code ``c`` as ``c / (Q - 1) - 0.5``) through a convolution, rather than a code
            through an embedding; None: an embedding for "mulaw256", a number for "mol".
        input_kernel_size (`int`, 1): taps of that causal input convolution (scalar input only).
        input_skip (`bool`, False): the skip sum starts with a 1x1 convolution of the input features.
        residual_scale (`float`, sqrt(0.5)): each layer's residual output is ``(x + res) * residual_scale``.
        skip_scale (`float`, None): the skip sum is scaled by this before the head; None: sqrt(1 / layers).
        head_conditioning (`bool`, False): the local conditioning is also added after the head's
            first 1x1 convolution.
        upsample_net (`str`, "stretch"): one of :data:`UPSAMPLE_NETS`, see
            :mod:`~hfsynth.models.wavenet.upsampling_wavenet`.
        upsample_freq_kernel_size (`int`, 1): band taps of the upsampling 2-D convolutions (odd).
        upsample_context (`int`, 0): frames each side read by the "conv_in" upsampler.
        log_scale_min (`float`, -7.0): floor of the mixture's log-scales in the loss (and when sampling).
        mulaw_mu (`float`, None) / mulaw_rounding (`str`, "round") / mulaw_decode_levels (`float`, None):
            the mu-law convention, see :class:`hfsynth.audio.mulaw.MuLawCodec` (None: Q - 1, the
            nearest level, decoded exactly).
        initial_code (`int`, None): the code generation starts from; None: the code of silence.
        sampling (`str`, "hfsynth"): how each sample is drawn, see
            :mod:`~hfsynth.models.wavenet.sampling_wavenet` (:data:`SAMPLINGS`).
        mel_frontend (`str`, "hfsynth"): one of :data:`MEL_FRONTENDS`; "db_normalized" reads
            mel_min_level_db (-100), mel_ref_level_db (20) and mel_rescale_peak (None),
            "standardized_log10" reads mel_win_length (None: mel_n_fft), mel_highpass_hz (None),
            mel_mean and mel_std (None: unstandardised).
        audio_gain (`float`, 1.0): the network's waveform is the audio times this (r9y9's
            ``global_gain_scale``); generation divides it out.
        incremental_weights (`str`, "float32"): how the residual layers' weights are stored for
            incremental generation, one of :data:`INCREMENTAL_WEIGHTS` (see
            :mod:`hfsynth.modules.packed_linear`). "float16" and "int8" (CPU only) make a batch-1
            sample read half or a quarter of the bytes, so it runs faster, with outputs ~3e-4
            (float16) or ~2% (int8) off float32's at the LJSpeech size (bench/wavenet_speed.py). Training and the full forward pass stay float.
            Set it at load time: ``from_pretrained(DIR, incremental_weights="float16")``.
    """

    model_type = "hfsynth_wavenet"

    def __init__(
        self,
        layers: int = 24,
        stacks: int = 4,
        residual_channels: int = 128,
        gate_channels: int = 256,
        skip_channels: int = 128,
        kernel_size: int = 3,
        output_distribution: str = "mulaw256",
        quantization_channels: int = 256,
        mixture_components: int = 10,
        global_cond_classes: int = 0,
        global_cond_channels: int = 16,
        class_labels: list[str] | None = None,
        local_cond_channels: int = 0,
        upsample_scales: list[int] | None = None,
        mel_n_fft: int = 1024,
        mel_fmin: float = 0.0,
        mel_fmax: float | None = None,
        sampling_rate: int = 16000,
        dropout: float = 0.0,
        pre_emphasis: float = 0.0,
        input_noise: float = 0.0,
        audio_length_in_s: float = 1.0,
        scalar_input: bool | None = None,
        input_kernel_size: int = 1,
        input_skip: bool = False,
        residual_scale: float = math.sqrt(0.5),
        skip_scale: float | None = None,
        head_conditioning: bool = False,
        upsample_net: str = "stretch",
        upsample_freq_kernel_size: int = 1,
        upsample_context: int = 0,
        log_scale_min: float = -7.0,
        mulaw_mu: float | None = None,
        mulaw_rounding: str = "round",
        mulaw_decode_levels: float | None = None,
        initial_code: int | None = None,
        sampling: str = "hfsynth",
        mel_frontend: str = "hfsynth",
        mel_win_length: int | None = None,
        mel_min_level_db: float = -100.0,
        mel_ref_level_db: float = 20.0,
        mel_rescale_peak: float | None = None,
        mel_highpass_hz: float | None = None,
        mel_mean: list[float] | None = None,
        mel_std: list[float] | None = None,
        audio_gain: float = 1.0,
        incremental_weights: str = "float32",
        **kwargs,
    ):
        if layers < 1 or stacks < 1 or layers % stacks:
            raise ValueError(f"layers must be a positive multiple of stacks; got layers={layers}, stacks={stacks}")
        if output_distribution not in OUTPUT_DISTRIBUTIONS:
            raise ValueError(f"output_distribution must be one of {OUTPUT_DISTRIBUTIONS}; got {output_distribution!r}")
        if gate_channels % 2:
            raise ValueError(f"gate_channels must be even (tanh and sigmoid halves); got {gate_channels}")
        if class_labels is not None and len(class_labels) != global_cond_classes:
            raise ValueError(f"class_labels has {len(class_labels)} names for {global_cond_classes} classes")
        self.layers = layers
        self.stacks = stacks
        self.residual_channels = residual_channels
        self.gate_channels = gate_channels
        self.skip_channels = skip_channels
        self.kernel_size = kernel_size
        self.output_distribution = output_distribution
        self.quantization_channels = quantization_channels
        self.mixture_components = mixture_components
        self.global_cond_classes = global_cond_classes
        self.global_cond_channels = global_cond_channels
        self.class_labels = list(class_labels) if class_labels is not None else None
        self.local_cond_channels = local_cond_channels
        self.upsample_scales = list(upsample_scales or [4, 4, 4, 4])
        self.mel_n_fft = mel_n_fft
        self.mel_fmin = mel_fmin
        self.mel_fmax = mel_fmax
        self.sampling_rate = sampling_rate
        self.dropout = dropout
        self.pre_emphasis = check_emphasis(pre_emphasis)
        self.input_noise = check_non_negative_number(input_noise, "input_noise")
        self.audio_length_in_s = check_positive_seconds(audio_length_in_s)
        self.scalar_input = scalar_input
        self.input_kernel_size = check_positive_int(input_kernel_size, "input_kernel_size")
        if input_kernel_size > 1 and not self.uses_scalar_input:
            raise ValueError("input_kernel_size > 1 needs scalar_input=True (an embedding reads one code)")
        self.input_skip = bool(input_skip)
        self.residual_scale = check_number(residual_scale, "residual_scale", minimum=0, exclusive_minimum=True)
        self.skip_scale = None if skip_scale is None else check_number(skip_scale, "skip_scale", minimum=0,
                                                                        exclusive_minimum=True)
        self.head_conditioning = bool(head_conditioning)
        if head_conditioning and not local_cond_channels:
            raise ValueError("head_conditioning needs local conditioning (local_cond_channels > 0)")
        self.upsample_net = _choice(upsample_net, UPSAMPLE_NETS, "upsample_net")
        self.upsample_freq_kernel_size = check_positive_int(upsample_freq_kernel_size, "upsample_freq_kernel_size")
        if upsample_freq_kernel_size % 2 == 0:
            raise ValueError(f"upsample_freq_kernel_size must be odd (centred on each band); "
                             f"got {upsample_freq_kernel_size}")
        self.upsample_context = check_int(upsample_context, "upsample_context", minimum=0)
        self.log_scale_min = check_number(log_scale_min, "log_scale_min")
        self.mulaw_mu = mulaw_mu
        self.mulaw_rounding = mulaw_rounding
        self.mulaw_decode_levels = mulaw_decode_levels
        self.mulaw_codec  # noqa: B018 (MuLawCodec validates the convention)
        self.initial_code = None if initial_code is None else check_int(
            initial_code, "initial_code", minimum=0, maximum=quantization_channels - 1)
        self.sampling = _choice(sampling, tuple(SAMPLINGS), "sampling")
        if output_distribution not in SAMPLINGS[sampling]:
            raise ValueError(f"sampling {sampling!r} draws from {' or '.join(SAMPLINGS[sampling])} outputs, "
                             f"not {output_distribution!r}")
        self.mel_frontend = _choice(mel_frontend, MEL_FRONTENDS, "mel_frontend")
        self.mel_win_length = mel_win_length
        self.mel_min_level_db = mel_min_level_db
        self.mel_ref_level_db = mel_ref_level_db
        self.mel_rescale_peak = mel_rescale_peak
        self.mel_highpass_hz = mel_highpass_hz
        self.mel_mean = None if mel_mean is None else [float(value) for value in mel_mean]
        self.mel_std = None if mel_std is None else [float(value) for value in mel_std]
        self.audio_gain = check_number(audio_gain, "audio_gain", minimum=0, exclusive_minimum=True)
        self.incremental_weights = _choice(incremental_weights, INCREMENTAL_WEIGHTS, "incremental_weights")
        super().__init__(**kwargs)

    @property
    def pipeline_task(self) -> str:
        """A mel-conditioned WaveNet is a vocoder (audio in); otherwise it generates from a prompt."""
        return "audio-to-audio" if self.local_cond_channels else "text-to-audio"

    @property
    def dilations(self) -> list[int]:
        per_stack = self.layers // self.stacks
        return [2 ** (i % per_stack) for i in range(self.layers)]

    @property
    def receptive_field(self) -> int:
        """Samples of the past (the current one included) that one output depends on."""
        return (self.kernel_size - 1) * sum(self.dilations) + self.input_kernel_size

    @property
    def hop_length(self) -> int:
        """Samples per conditioning frame: the product of the upsampling scales."""
        return math.prod(self.upsample_scales)

    @property
    def uses_scalar_input(self) -> bool:
        """Whether samples enter as numbers through a convolution (else codes through an embedding)."""
        return self.output_distribution == "mol" if self.scalar_input is None else bool(self.scalar_input)

    @property
    def mulaw_codec(self) -> MuLawCodec:
        return MuLawCodec(self.quantization_channels, self.mulaw_mu, self.mulaw_rounding, self.mulaw_decode_levels)

    @property
    def output_channels(self) -> int:
        if self.output_distribution == "mulaw256":
            return self.quantization_channels
        return 3 * self.mixture_components


def _choice(value: str, choices: tuple[str, ...], name: str) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value

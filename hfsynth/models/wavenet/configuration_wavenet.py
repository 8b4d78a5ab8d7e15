"""WaveNet configuration (van den Oord et al. 2016; vocoder settings after r9y9/wavenet_vocoder)."""

from __future__ import annotations

import math

from transformers import PretrainedConfig

from ...audio.emphasis import check_emphasis
from ...validation import check_non_negative_number, check_positive_seconds

OUTPUT_DISTRIBUTIONS = ("mulaw256", "mol")


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
        super().__init__(**kwargs)

    @property
    def dilations(self) -> list[int]:
        per_stack = self.layers // self.stacks
        return [2 ** (i % per_stack) for i in range(self.layers)]

    @property
    def receptive_field(self) -> int:
        """Samples of the past (the current one included) that one output depends on."""
        return (self.kernel_size - 1) * sum(self.dilations) + 1

    @property
    def hop_length(self) -> int:
        """Samples per conditioning frame: the product of the upsampling scales."""
        return math.prod(self.upsample_scales)

    @property
    def output_channels(self) -> int:
        if self.output_distribution == "mulaw256":
            return self.quantization_channels
        return 3 * self.mixture_components

"""WaveNet: dilated causal convolutions with gated activations, residual and skip connections.

Two ways to generate, which give the same samples for the same noise:

* naive: for every new sample, run the whole network over the last ``receptive_field`` inputs;
* incremental (Paine et al. 2016, "Fast WaveNet"): every dilated convolution keeps a ring buffer
  (:class:`ConvQueue`) of the past inputs its taps read, so a new sample costs one matrix product
  per layer, whatever the receptive field.

One class answers both of hfsynth's public entry points: ``text-to-audio`` calls
:meth:`WaveNetModel.generate` (a prompt picks the class of a class-conditioned model) and
``audio-to-audio`` calls :meth:`WaveNetModel.audio_to_audio` (a vocoder: audio -> mel -> audio).
``forward`` is teacher forcing (training and scoring).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers.utils import ModelOutput

from ...audio.emphasis import de_emphasis, pre_emphasis
from ...audio.mel import MelSpectrogram
from ...audio.mulaw import mulaw_compress, mulaw_decode, mulaw_encode, mulaw_expand
from ...audio.validation import check_audio_tensor
from ...validation import check_positive_int, check_positive_number
from ...modules.mixture_of_logistics import discretized_mix_logistic_nll, sample_categorical, sample_mix_logistic
from ...pipelines.contract import finalize_audio
from ..generation_utils import AudioGenerationMixin, AudioGenerationOutput, ProgressBar, progress, random_source
from ..modeling_utils import HFSynthPreTrainedModel
from .configuration_wavenet import WaveNetConfig
from .prompting_wavenet import class_for_prompt, decode_byte_prompts
#: Floor of the conditioning log-mel (-100 dB for magnitudes). :meth:`WaveNetModel.mel_from_audio`
#: maps it to -1 and 0 dB to +1, so the conditioning starts near unit scale.
MEL_FLOOR = 1e-5


@dataclass
class WaveNetOutput(ModelOutput):
    """
    loss: next-sample negative log-likelihood (nats/sample) when training targets are known.
    logits: (batch, output_channels, samples) output distribution parameters.
    """

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None


@dataclass
class WaveNetAudioOutput(ModelOutput):
    """
    audio: (batch, samples) float32 waveform with peak <= 1: what the audio-to-audio pipeline reads.
    """

    audio: torch.Tensor | None = None


class ConvQueue:
    """The inputs one dilated causal convolution's taps read, as a ring buffer.

    For kernel size k and dilation d the taps read x[t - (k-1)d], ..., x[t - d], x[t], so the ring
    holds the last (k-1)d + 1 inputs (zeros before the start, like the zero padding of the full
    forward pass). The tap indices for every ring position are computed once, so a step is one
    write and one gather.
    """

    def __init__(self, batch: int, channels: int, kernel_size: int, dilation: int, like: torch.Tensor):
        self.size = (kernel_size - 1) * dilation + 1
        self.buffer = like.new_zeros(batch, channels, self.size)
        self.position = 0
        taps = torch.arange(kernel_size, device=like.device) * dilation - (kernel_size - 1) * dilation
        positions = torch.arange(self.size, device=like.device)
        self.tap_indices = ((positions[:, None] + taps[None, :]) % self.size).unbind(0)

    def window(self, x_t: torch.Tensor) -> torch.Tensor:
        """Stores the current input (B, C) and returns the taps (B, C, k), oldest first."""
        self.buffer[:, :, self.position] = x_t
        taps = self.buffer[:, :, self.tap_indices[self.position]]
        self.position = (self.position + 1) % self.size
        return taps


def pointwise(conv: nn.Conv1d, x_t: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution applied to one time step (B, C_in) -> (B, C_out)."""
    return F.linear(x_t, conv.weight[:, :, 0], conv.bias)


class ResidualLayer(nn.Module):
    """Dilated causal conv -> (+ conditioning) -> tanh * sigmoid gate -> residual and skip outputs."""

    def __init__(self, config: WaveNetConfig, dilation: int):
        super().__init__()
        self.dilation = dilation
        self.padding = (config.kernel_size - 1) * dilation
        self.dilated = nn.Conv1d(config.residual_channels, config.gate_channels, config.kernel_size, dilation=dilation)
        self.local = (nn.Conv1d(config.local_cond_channels, config.gate_channels, 1, bias=False)
                      if config.local_cond_channels else None)
        self.global_ = (nn.Linear(config.global_cond_channels, config.gate_channels, bias=False)
                        if config.global_cond_classes else None)
        self.out = nn.Conv1d(config.gate_channels // 2, config.residual_channels + config.skip_channels, 1)
        self.dropout = nn.Dropout(config.dropout)
        self.residual_channels = config.residual_channels

    def _gate_and_split(self, h: torch.Tensor, residual: torch.Tensor):
        """Gated activation, then the 1x1 output split into (residual stream, skip); works on
        (B, C, T) sequences and (B, C) single steps alike."""
        a, b = h.chunk(2, dim=1)
        z = torch.tanh(a) * torch.sigmoid(b)
        out = self.out(z) if z.ndim == 3 else pointwise(self.out, z)
        res, skip = out.split([self.residual_channels, out.shape[1] - self.residual_channels], dim=1)
        return (residual + res) * math.sqrt(0.5), skip

    def conditioning_bias(self, local: torch.Tensor | None, global_: torch.Tensor | None) -> torch.Tensor | None:
        """What the conditioning adds before the gate: (B, gate, T) with a mel, (B, gate, 1) with a
        class only, None without conditioning. Computed once per sequence, also when generating."""
        bias = self.local(local) if self.local is not None else None
        if self.global_ is not None:
            class_bias = self.global_(global_).unsqueeze(-1)
            bias = class_bias if bias is None else bias + class_bias
        return bias

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None):
        """x (B, R, T); bias from :meth:`conditioning_bias` -> (residual (B, R, T), skip (B, S, T))."""
        h = self.dilated(F.pad(self.dropout(x), (self.padding, 0)))
        return self._gate_and_split(h if bias is None else h + bias, x)

    def step(self, x_t: torch.Tensor, queue: ConvQueue, bias_t: torch.Tensor | None):
        """One sample: x_t (B, R), bias_t (B, gate) or None -> (residual (B, R), skip (B, S))."""
        h = F.linear(queue.window(x_t).flatten(1), self.dilated.weight.flatten(1), self.dilated.bias)
        return self._gate_and_split(h if bias_t is None else h + bias_t, x_t)


class SmoothingConv(nn.Conv2d):
    """A (1, 2s+1) convolution along time, initialised to a moving average over 2s+1 samples."""

    def __init__(self, scale: int):
        super().__init__(1, 1, (1, 2 * scale + 1), padding=(0, scale), bias=False)

    def reset_to_moving_average(self) -> None:
        nn.init.constant_(self.weight, 1.0 / self.weight.shape[-1])


class ConditionUpsampler(nn.Module):
    """Mel frames (B, C, F) -> per-sample conditioning (B, C, F * hop).

    Each scale stretches time by nearest-neighbour repetition and smooths it with a 2-D convolution
    initialised to a moving average, so training starts from linear-interpolation-like features.
    """

    def __init__(self, channels: int, scales: list[int]):
        super().__init__()
        self.prenet = nn.Conv1d(channels, channels, 3, padding=1)
        self.scales = list(scales)
        self.smoothers = nn.ModuleList(SmoothingConv(s) for s in self.scales)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        c = self.prenet(mel).unsqueeze(1)                                    # (B, 1, C, F)
        for scale, smoother in zip(self.scales, self.smoothers):
            c = smoother(F.interpolate(c, scale_factor=(1, scale), mode="nearest"))
        return c.squeeze(1)                                                  # (B, C, F * hop)


class WaveNetPreTrainedModel(HFSynthPreTrainedModel):
    config_class = WaveNetConfig
    base_model_prefix = "wavenet"
    main_input_name = "input_values"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, SmoothingConv):
            module.reset_to_moving_average()
        elif isinstance(module, (nn.Conv1d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, nonlinearity="linear")
            if module.bias is not None:
                nn.init.zeros_(module.bias)


class WaveNetModel(AudioGenerationMixin, WaveNetPreTrainedModel):
    """WaveNet over raw audio, optionally conditioned on a class (global) and a mel (local)."""

    def __init__(self, config: WaveNetConfig):
        super().__init__(config)
        self.categorical = config.output_distribution == "mulaw256"
        if self.categorical:
            self.input_embedding = nn.Embedding(config.quantization_channels, config.residual_channels)
        else:
            self.input_conv = nn.Conv1d(1, config.residual_channels, 1)
        self.class_embedding = (nn.Embedding(config.global_cond_classes, config.global_cond_channels)
                                if config.global_cond_classes else None)
        self.upsampler = (ConditionUpsampler(config.local_cond_channels, config.upsample_scales)
                          if config.local_cond_channels else None)
        self.mel_frontend = (  # no weights: the filterbank follows the config (see mel_from_audio)
            MelSpectrogram(config.sampling_rate, n_fft=config.mel_n_fft, hop_length=config.hop_length,
                           n_mels=config.local_cond_channels, fmin=config.mel_fmin, fmax=config.mel_fmax,
                           center=False, log=True, clamp_min=MEL_FLOOR)
            if config.local_cond_channels else None
        )
        self.layers = nn.ModuleList(ResidualLayer(config, d) for d in config.dilations)
        self.head_hidden = nn.Conv1d(config.skip_channels, config.skip_channels, 1)
        self.head_out = nn.Conv1d(config.skip_channels, config.output_channels, 1)
        self.post_init()

    # ----------------------------------------------------------------------------------- inputs
    def encode_inputs(self, audio: torch.Tensor) -> torch.Tensor:
        """Audio (B, T) in [-1, 1] -> input features (B, R, T)."""
        if self.categorical:
            codes = mulaw_encode(audio, self.config.quantization_channels)
            return self.input_embedding(codes).transpose(1, 2)
        return self.input_conv(audio.unsqueeze(1))

    def conditioning(self, num_samples: int, mel: torch.Tensor | None, class_ids: torch.Tensor | None, batch: int):
        """Validates conditioning and returns (local (B, C, num_samples) or None, global (B, G) or None)."""
        config = self.config
        local = global_ = None
        if config.local_cond_channels:
            if mel is None:
                raise ValueError(f"this WaveNet is a vocoder: pass a mel with {config.local_cond_channels} bands")
            if mel.ndim != 3 or mel.shape[1] != config.local_cond_channels:
                raise ValueError(
                    f"mel must have {config.local_cond_channels} bands, shape (batch, {config.local_cond_channels}, "
                    f"frames); got {tuple(mel.shape)}"
                )
            if mel.shape[-1] * config.hop_length < num_samples:
                raise ValueError(
                    f"{mel.shape[-1]} mel frames x hop {config.hop_length} cover {mel.shape[-1] * config.hop_length} "
                    f"samples, fewer than the {num_samples} asked for"
                )
            local = self.upsampler(mel.to(self.dtype))[:, :, :num_samples]
        elif mel is not None:
            raise ValueError("this WaveNet takes no mel (local_cond_channels is 0)")
        if config.global_cond_classes:
            if class_ids is None:
                raise ValueError(f"pass class_ids in 0..{config.global_cond_classes - 1}")
            class_ids = torch.as_tensor(class_ids, device=self.device).long().reshape(-1)
            if class_ids.numel() == 1 and batch > 1:
                class_ids = class_ids.expand(batch)
            if class_ids.numel() != batch:
                raise ValueError(f"pass one class id or one per item; got {class_ids.numel()} for a batch of {batch}")
            if ((class_ids < 0) | (class_ids >= config.global_cond_classes)).any():
                raise ValueError(f"class ids must lie in 0..{config.global_cond_classes - 1}; got {class_ids.tolist()}")
            global_ = self.class_embedding(class_ids)
        elif class_ids is not None:
            raise ValueError("this WaveNet has no classes (global_cond_classes is 0)")
        return local, global_

    # --------------------------------------------------------------------------------- training
    def logits_from_features(self, x: torch.Tensor, local: torch.Tensor | None, global_: torch.Tensor | None):
        """Input features (B, R, T) and conditioning -> logits (B, output_channels, T)."""
        skips = 0.0
        for layer in self.layers:
            x, skip = layer(x, layer.conditioning_bias(local, global_))
            skips = skips + skip
        h = F.relu(self.head_hidden(F.relu(skips * math.sqrt(1.0 / len(self.layers)))))
        return self.head_out(h)

    def forward(
        self, input_values: torch.Tensor, mel: torch.Tensor | None = None, class_ids: torch.Tensor | None = None
    ) -> WaveNetOutput:
        """Teacher forcing (training, scoring): sample t and the conditioning of sample t+1 predict
        sample t+1 (of the pre-emphasised audio when ``config.pre_emphasis`` is set; the mel always
        describes the audio itself).

        input_values: (batch, samples) audio in [-1, 1]; with a mel, samples = frames * hop.
        """
        if input_values.ndim != 2 or input_values.shape[-1] < 2:
            raise ValueError(f"input_values must be (batch, samples >= 2) audio; got {tuple(input_values.shape)}")
        audio = pre_emphasis(input_values.clamp(-1.0, 1.0).to(self.dtype), self.config.pre_emphasis).clamp(-1.0, 1.0)
        if mel is not None and mel.shape[-1] * self.config.hop_length != audio.shape[-1]:
            raise ValueError(
                f"audio of {audio.shape[-1]} samples does not fit {mel.shape[-1]} mel frames x hop "
                f"{self.config.hop_length}; trim the audio to a multiple of the hop length"
            )
        local, global_ = self.conditioning(audio.shape[-1], mel, class_ids, audio.shape[0])
        logits = self.logits_from_features(
            self.encode_inputs(self.noisy_past(audio[:, :-1])), None if local is None else local[:, :, 1:], global_
        )
        return WaveNetOutput(loss=self.next_sample_loss(logits, audio[:, 1:]), logits=logits)

    def noisy_past(self, audio: torch.Tensor) -> torch.Tensor:
        """The teacher-forced inputs with ``config.input_noise`` added in the companded domain (training only)."""
        if not (self.training and self.config.input_noise):
            return audio
        companded = mulaw_compress(audio) + self.config.input_noise * torch.randn_like(audio)
        return mulaw_expand(companded.clamp(-1.0, 1.0))

    def next_sample_loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.categorical:
            return F.cross_entropy(logits, mulaw_encode(target, self.config.quantization_channels))
        return discretized_mix_logistic_nll(logits, target)

    # ------------------------------------------------------------------------------- generation
    def draw(self, logits: torch.Tensor, uniform: torch.Tensor, temperature: float) -> torch.Tensor:
        """Samples amplitudes (B, 1) from one step's logits (B, C, 1) and noise (2, B, 1)."""
        if self.categorical:
            codes = sample_categorical(logits, uniform[0], temperature)
            return mulaw_decode(codes, self.config.quantization_channels)
        return sample_mix_logistic(logits, uniform)

    @torch.inference_mode()
    def generate(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        class_ids: torch.Tensor | list[int] | None = None,
        mel: torch.Tensor | None = None,
        audio_length_in_s: float | None = None,
        batch_size: int | None = None,
        generator: torch.Generator | None = None,
        seed: int | None = None,
        temperature: float = 1.0,
        progress_bar: ProgressBar = None,
        return_dict_in_generate: bool = False,
        **kwargs,
    ) -> torch.Tensor | AudioGenerationOutput:
        """Waveforms, one sample at a time -> (batch, 1, samples), or an ``AudioGenerationOutput``.

        Args:
            input_ids / attention_mask: ByT5 ids of prompts, one waveform each; a class-conditioned
                model plays the class each names ("a soft piano note" -> "keyboard"), others ignore
                the words.
            class_ids: (batch,) classes by index, instead of prompts.
            mel: a vocoder's conditioning, (batch, mels, frames) as :meth:`mel_from_audio` makes it.
            audio_length_in_s: length; default the whole mel for a vocoder, else ``config.audio_length_in_s``.
            batch_size: waveforms of an unconditional model given no prompts (default 1); prompts,
                class ids and mels set the batch themselves.
            generator / seed: randomness of the sampling (torch's global RNG if neither).
            temperature: softmax temperature of mu-law models (< 1 is more conservative).
            progress_bar: see :data:`~hfsynth.models.generation_utils.ProgressBar`.
        """
        self.check_generate_kwargs(
            kwargs, "input_ids or class_ids, mel, audio_length_in_s, batch_size, generator, seed, temperature, "
            "progress_bar",
        )
        class_ids, batch = self.requested_classes(input_ids, attention_mask, class_ids)
        if mel is not None:
            mel = self.check_mel(mel)
            batch = mel.shape[0]
        if batch_size is not None:
            if batch is not None:
                raise ValueError("batch_size is for an unconditional model without prompts; prompts, class_ids "
                                 "and mels set the batch themselves")
            batch = check_positive_int(batch_size, "batch_size")
        if mel is not None and audio_length_in_s is None:
            num_samples = mel.shape[-1] * self.config.hop_length
        else:
            num_samples = self.num_samples_for(audio_length_in_s)
        audio = self.sample_waveform(
            num_samples, mel=mel, class_ids=class_ids, batch_size=batch or 1, generator=random_source(generator, seed),
            temperature=temperature, progress_bar=progress_bar,
        )
        return self.generation_output(audio, return_dict_in_generate)

    def requested_classes(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        class_ids: torch.Tensor | list[int] | None,
    ) -> tuple[torch.Tensor | None, int | None]:
        """The class of every waveform (``None`` for a model without classes) and the batch size they
        set (``None``: none set it)."""
        if input_ids is not None and class_ids is not None:
            raise ValueError("pass prompts (input_ids) or class_ids, not both")
        if input_ids is None:
            return class_ids, None if class_ids is None else torch.as_tensor(class_ids).numel()
        if self.config.local_cond_channels:
            raise ValueError(
                f"this WaveNet is a vocoder (local_cond_channels={self.config.local_cond_channels}): it needs a "
                "mel or audio, not a prompt; use the audio-to-audio pipeline or WaveNetPipeline(audio=...)"
            )
        prompts = decode_byte_prompts(input_ids, attention_mask)
        return self.class_ids_for_prompts(prompts), len(prompts)

    def check_mel(self, mel: torch.Tensor) -> torch.Tensor:
        """A vocoder mel, (mels, frames) or (batch, mels, frames), as a finite (batch, mels, frames) tensor."""
        mel = torch.as_tensor(mel, dtype=self.dtype, device=self.device)
        mel = mel.unsqueeze(0) if mel.ndim == 2 else mel
        if mel.numel() == 0 or not torch.isfinite(mel).all():
            raise ValueError(f"mel must be finite and non-empty; got shape {tuple(mel.shape)}")
        return mel

    @torch.inference_mode()
    def sample_waveform(
        self,
        num_samples: int,
        mel: torch.Tensor | None = None,
        class_ids: torch.Tensor | None = None,
        batch_size: int = 1,
        generator: torch.Generator | None = None,
        incremental: bool = True,
        temperature: float = 1.0,
        progress_bar: ProgressBar = False,
    ) -> torch.Tensor:
        """The sampling loop: (batch, num_samples) raw audio (in [-1, 1] unless the de-emphasis of a
        ``config.pre_emphasis`` model lifts the low frequencies above it).

        ``incremental=False`` recomputes the receptive field for every sample (the reference
        the fast path is tested against).
        """
        check_positive_int(num_samples, "num_samples")
        check_positive_int(batch_size, "batch_size")
        check_positive_number(temperature, "temperature")
        if mel is not None:
            batch_size = mel.shape[0]
        local, global_ = self.conditioning(num_samples, mel, class_ids, batch_size)
        uniform = torch.rand((num_samples, 2, batch_size, 1), generator=generator, device="cpu").to(self.device)
        step = self._incremental_steps if incremental else self._naive_steps
        audio = torch.zeros(batch_size, num_samples + 1, device=self.device, dtype=self.dtype)  # x[0] = silence
        for t, logits in enumerate(progress(step(audio, local, global_), num_samples, progress_bar)):
            audio[:, t + 1] = self.draw(logits, uniform[t], temperature)[:, 0]
        return de_emphasis(audio[:, 1:], self.config.pre_emphasis)

    def _naive_steps(self, audio: torch.Tensor, local: torch.Tensor | None, global_: torch.Tensor | None):
        """Yields the logits for sample t+1 after ``audio[:, t]`` was written, from scratch each time."""
        field = self.config.receptive_field
        for t in range(audio.shape[1] - 1):
            start = max(0, t + 1 - field)
            x = self.encode_inputs(audio[:, start : t + 1])
            window_local = None if local is None else local[:, :, start : t + 1]
            yield self.logits_from_features(x, window_local, global_)[:, :, -1:]

    def _incremental_steps(self, audio: torch.Tensor, local: torch.Tensor | None, global_: torch.Tensor | None):
        """The same logits as :meth:`_naive_steps`, from per-layer ring buffers: O(layers) per sample."""
        batch = audio.shape[0]
        queues = [ConvQueue(batch, self.config.residual_channels, self.config.kernel_size, layer.dilation, audio)
                  for layer in self.layers]
        biases = [layer.conditioning_bias(local, global_) for layer in self.layers]  # (B, gate, T or 1)
        scale = math.sqrt(1.0 / len(self.layers))
        for t in range(audio.shape[1] - 1):
            x_t = self.encode_inputs(audio[:, t : t + 1])[:, :, 0]                  # (B, R)
            skips = 0.0
            for layer, queue, bias in zip(self.layers, queues, biases):
                bias_t = None if bias is None else bias[:, :, min(t, bias.shape[-1] - 1)]
                x_t, skip = layer.step(x_t, queue, bias_t)
                skips = skips + skip
            h = F.relu(pointwise(self.head_hidden, F.relu(skips * scale)))
            yield pointwise(self.head_out, h).unsqueeze(-1)                        # (B, C, 1)

    # ------------------------------------------------------------------- conditioning features
    def mel_from_audio(self, audio: torch.Tensor) -> torch.Tensor:
        """The local conditioning of a waveform, for training and vocoding alike.

        audio (..., samples) -> (..., mels, frames), frames = ceil(samples / hop): frame k describes
        samples [k * hop, (k + 1) * hop), so ``frames * hop == samples`` whenever samples is a
        multiple of ``config.hop_length`` (a partial last hop is completed with silence).

        The audio is zero-padded by (n_fft - hop) / 2 on both sides and framed without centring,
        so each window is centred on the middle of its hop (a centred STFT would give one frame
        more). Zeros, not reflections, because WaveNet itself starts from silence. The log
        magnitudes are scaled so that the floor (-100 dB) is -1 and 0 dB is +1.
        """
        if self.mel_frontend is None:
            raise ValueError("this WaveNet takes no mel (local_cond_channels is 0)")
        audio = check_audio_tensor(audio).to(self.dtype)
        hop = self.config.hop_length
        overhang = self.config.mel_n_fft - hop  # window samples reaching beyond the frame's own hop
        padded = F.pad(audio, (overhang // 2, overhang - overhang // 2 + (-audio.shape[-1] % hop)))
        log_mel = self.mel_frontend(padded)                                 # (..., mels, frames)
        return 1.0 + log_mel / (-math.log(MEL_FLOOR) / 2)

    # ------------------------------------------------------------------------- public contract
    def class_ids_for_prompts(self, prompts: list[str]) -> torch.Tensor | None:
        """(batch,) class ids the prompts name, or None for a model without classes (prompts ignored)."""
        if not self.config.global_cond_classes:
            return None
        if not self.config.class_labels:
            raise ValueError(
                "this WaveNet's classes have no names (config.class_labels is not set), so a prompt cannot "
                "pick one; pass class_ids to generate"
            )
        ids = [class_for_prompt(prompt, self.config.class_labels) for prompt in prompts]
        return torch.tensor(ids, device=self.device)

    def audio_to_audio(
        self,
        input_values: torch.Tensor,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        progress_bar: ProgressBar = None,
    ) -> WaveNetAudioOutput:
        """Vocoder mode, as the ``audio-to-audio`` pipeline calls it: (batch, 1, samples) or
        (batch, samples) audio -> :class:`WaveNetAudioOutput` of the same length, see :meth:`vocode`."""
        audio = check_audio_tensor(input_values, "input_values")
        if audio.ndim == 3 and audio.shape[1] == 1:
            audio = audio[:, 0]
        if audio.ndim != 2:
            raise ValueError(f"input_values must be mono audio (batch, [1,] samples); got {tuple(audio.shape)}")
        return WaveNetAudioOutput(audio=finalize_audio(self.vocode(audio, generator, temperature, progress_bar)))

    @torch.inference_mode()
    def vocode(
        self,
        audio: torch.Tensor,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        progress_bar: ProgressBar = None,
    ) -> torch.Tensor:
        """(batch, samples) audio -> its mel -> (batch, samples) audio generated from that mel (raw)."""
        if self.mel_frontend is None:
            raise ValueError(
                "audio-to-audio needs a vocoder; this WaveNet has no mel conditioning (local_cond_channels is 0)"
            )
        if not torch.isfinite(audio).all():
            raise ValueError("audio contains NaN or infinite samples")
        return self.sample_waveform(
            audio.shape[-1], mel=self.mel_from_audio(audio), generator=generator, temperature=temperature,
            progress_bar=progress_bar,
        )

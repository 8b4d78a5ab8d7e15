"""WaveNet: dilated causal convolutions with gated activations, residual and skip connections.

Two ways to generate, which give the same samples for the same noise:

* naive: for every new sample, run the whole network over the last ``receptive_field`` inputs;
* incremental (Paine et al. 2016, "Fast WaveNet"): every dilated convolution keeps a ring buffer
  (:class:`ConvQueue`) of the past inputs its taps read, so a new sample costs one matrix product
  per layer, whatever the receptive field.

What each step draws is the sampler's business (``config.sampling``, :mod:`.sampling_wavenet`):
the randomness comes from a noise source, so recorded noise replays a reference's samples. The
network reads *samples*: mu-law codes (int64) for a categorical model, amplitudes for a mixture
one; generation carries them and decodes the codes to audio once, at the end.

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
from ...audio.mulaw import mulaw_compress, mulaw_expand
from ...audio.normalized_mel import DbNormalizedMel, StandardizedLogMel
from ...audio.validation import check_audio_tensor
from ...validation import check_positive_int, check_positive_number
from ...modules.mixture_of_logistics import discretized_mix_logistic_nll
from ...modules.packed_linear import packed_linear
from ...pipelines.contract import finalize_audio
from ..generation_utils import AudioGenerationMixin, AudioGenerationOutput, ProgressBar, progress, random_source
from ..modeling_utils import HFSynthPreTrainedModel
from .configuration_wavenet import WaveNetConfig
from .prompting_wavenet import class_for_prompt, decode_byte_prompts
from .sampling_wavenet import GeneratorNoise, NoiseSource, build_sampler
from .upsampling_wavenet import SmoothingConv, build_upsampler
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
        self.tap_indices = list((positions[:, None] + taps[None, :]) % self.size)          # size x (k,)

    def window(self, x_t: torch.Tensor) -> torch.Tensor:
        """Stores the current input (B, C) and returns the taps (B, C, k), oldest first."""
        self.buffer[:, :, self.position] = x_t
        taps = self.buffer.index_select(2, self.tap_indices[self.position])
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
        self.residual_scale = config.residual_scale

    def _gate_and_split(self, h: torch.Tensor, residual: torch.Tensor):
        """Gated activation, then the 1x1 output split into (residual stream, skip), on (B, C, T)."""
        a, b = h.chunk(2, dim=1)
        out = self.out(torch.tanh(a) * torch.sigmoid(b))
        res, skip = out.split([self.residual_channels, out.shape[1] - self.residual_channels], dim=1)
        return (residual + res) * self.residual_scale, skip

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


class LayerStep:
    """One :class:`ResidualLayer` during incremental generation: its ring buffer, its weights as the
    matrices each step multiplies and its conditioning per step, looked up once per generation (a
    step is then a handful of tensor ops: the same arithmetic as :meth:`ResidualLayer.forward`).
    ``precision``: how the two weight matrices are stored (:func:`~hfsynth.modules.packed_linear.packed_linear`)."""

    def __init__(self, layer: ResidualLayer, batch: int, like: torch.Tensor, bias: torch.Tensor | None,
                 precision: str = "float32"):
        self.queue = ConvQueue(batch, layer.dilated.in_channels, layer.dilated.kernel_size[0], layer.dilation, like)
        self.dilated = packed_linear(layer.dilated.weight.flatten(1), layer.dilated.bias, precision)  # (gate, R * k)
        self.out = packed_linear(layer.out.weight[:, :, 0], layer.out.bias, precision)             # (R + S, gate / 2)
        self.conditioning = None if bias is None else bias.permute(2, 0, 1)                # (T or 1, B, gate)
        self.last = 0 if bias is None else bias.shape[-1] - 1
        self.residual_channels, self.residual_scale = layer.residual_channels, layer.residual_scale

    def __call__(self, x_t: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """One sample: x_t (B, R) at step t -> (residual (B, R), skip (B, S))."""
        h = self.dilated(self.queue.window(x_t).flatten(1))
        if self.conditioning is not None:
            h = h + self.conditioning[min(t, self.last)]
        a, b = h.chunk(2, dim=1)
        out = self.out(torch.tanh(a) * torch.sigmoid(b))
        residual = x_t + out[:, : self.residual_channels]
        if self.residual_scale != 1.0:                      # (x * 1.0 is x: one op fewer per layer)
            residual = residual * self.residual_scale
        return residual, out[:, self.residual_channels :]


def build_mel_frontend(config: WaveNetConfig) -> nn.Module | None:
    """The module ``config.mel_frontend`` names (``None`` without a mel): hfsynth's log-mel
    (scaled in :meth:`WaveNetModel.mel_from_audio`) or one of :mod:`hfsynth.audio.normalized_mel`."""
    if not config.local_cond_channels or config.mel_frontend == "none":
        return None
    common = dict(sampling_rate=config.sampling_rate, n_fft=config.mel_n_fft, hop_length=config.hop_length,
                  n_mels=config.local_cond_channels, fmin=config.mel_fmin, fmax=config.mel_fmax)
    if config.mel_frontend == "db_normalized":
        return DbNormalizedMel(**common, min_level_db=config.mel_min_level_db, ref_level_db=config.mel_ref_level_db,
                               rescale_peak=config.mel_rescale_peak)
    if config.mel_frontend == "standardized_log10":
        return StandardizedLogMel(**common, win_length=config.mel_win_length, highpass_hz=config.mel_highpass_hz,
                                  mean=config.mel_mean, std=config.mel_std)
    return MelSpectrogram(**common, center=False, log=True, clamp_min=MEL_FLOOR)


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
        self.codec = config.mulaw_codec
        if config.uses_scalar_input:
            self.input_conv = nn.Conv1d(1, config.residual_channels, config.input_kernel_size)
        else:
            self.input_embedding = nn.Embedding(config.quantization_channels, config.residual_channels)
        self.input_skip = nn.Conv1d(config.residual_channels, config.skip_channels, 1) if config.input_skip else None
        self.class_embedding = (nn.Embedding(config.global_cond_classes, config.global_cond_channels)
                                if config.global_cond_classes else None)
        self.upsampler = build_upsampler(config) if config.local_cond_channels else None
        self.mel_frontend = build_mel_frontend(config)  # no weights: it follows the config
        self.layers = nn.ModuleList(ResidualLayer(config, d) for d in config.dilations)
        self.head_hidden = nn.Conv1d(config.skip_channels, config.skip_channels, 1)
        self.head_condition = (nn.Conv1d(config.local_cond_channels, config.skip_channels, 1, bias=False)
                               if config.head_conditioning else None)
        self.head_out = nn.Conv1d(config.skip_channels, config.output_channels, 1)
        self.skip_scale = math.sqrt(1.0 / len(self.layers)) if config.skip_scale is None else config.skip_scale
        self.post_init()

    # ----------------------------------------------------------------------------------- inputs
    def samples_from_audio(self, audio: torch.Tensor) -> torch.Tensor:
        """Audio (B, T) in [-1, 1] -> what the network reads: int64 mu-law codes (categorical) or
        the amplitudes themselves (mixture of logistics)."""
        return self.codec.encode(audio) if self.categorical else audio

    def audio_from_samples(self, samples: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`samples_from_audio` (the codes decoded)."""
        return self.codec.decode(samples) if self.categorical else samples

    def input_features(self, samples: torch.Tensor) -> torch.Tensor:
        """Samples (B, T) -> input features (B, R, T): a code's embedding, or the input convolution
        of each sample as a number (a code ``c`` reads as ``c / (Q - 1) - 0.5``)."""
        if not self.config.uses_scalar_input:
            return self.input_embedding(samples).transpose(1, 2)
        return self.scalar_features(self.input_values(samples))

    def input_values(self, samples: torch.Tensor) -> torch.Tensor:
        """Samples (B, ...) -> the numbers a scalar-input network reads."""
        if self.categorical:
            return samples.to(self.dtype) / (self.config.quantization_channels - 1) - 0.5
        return samples.to(self.dtype)

    def scalar_features(self, values: torch.Tensor) -> torch.Tensor:
        """Numbers (B, T) -> input features (B, R, T) by the causal input convolution (zeros before)."""
        return self.input_conv(F.pad(values.unsqueeze(1), (self.config.input_kernel_size - 1, 0)))

    def encode_inputs(self, audio: torch.Tensor) -> torch.Tensor:
        """Audio (B, T) in [-1, 1] -> input features (B, R, T)."""
        return self.input_features(self.samples_from_audio(audio))

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
        """Input features (B, R, T) and conditioning -> logits (B, output_channels, T): output t
        reads the features up to t and the conditioning of position t."""
        skips = 0.0 if self.input_skip is None else self.input_skip(x)
        for layer in self.layers:
            x, skip = layer(x, layer.conditioning_bias(local, global_))
            skips = skips + skip
        h = self.head_hidden(F.relu(skips * self.skip_scale))
        if self.head_condition is not None:
            h = h + self.head_condition(local)
        return self.head_out(F.relu(h))

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
        audio = self.waveform_to_network(input_values.to(self.dtype))
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

    def waveform_to_network(self, audio: torch.Tensor) -> torch.Tensor:
        """Audio -> the waveform the network models: clipped, times ``config.audio_gain``, pre-emphasised."""
        return pre_emphasis(audio.clamp(-1.0, 1.0) * self.config.audio_gain, self.config.pre_emphasis).clamp(-1.0, 1.0)

    def network_to_waveform(self, audio: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`waveform_to_network` (but the clipping): de-emphasised, divided by the gain."""
        return de_emphasis(audio, self.config.pre_emphasis) / self.config.audio_gain

    def noisy_past(self, audio: torch.Tensor) -> torch.Tensor:
        """The teacher-forced inputs with ``config.input_noise`` added in the companded domain (training only)."""
        if not (self.training and self.config.input_noise):
            return audio
        companded = mulaw_compress(audio) + self.config.input_noise * torch.randn_like(audio)
        return mulaw_expand(companded.clamp(-1.0, 1.0))

    def next_sample_loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.categorical:
            return F.cross_entropy(logits, self.codec.encode(target))
        return discretized_mix_logistic_nll(logits, target, log_scale_min=self.config.log_scale_min)

    # ------------------------------------------------------------------------------- generation

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
        noise: NoiseSource | None = None,
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
            noise: where the sampler's random numbers come from instead (e.g. a
                :class:`~hfsynth.models.wavenet.sampling_wavenet.RecordedNoise` replaying a reference's).
        """
        self.check_generate_kwargs(
            kwargs, "input_ids or class_ids, mel, audio_length_in_s, batch_size, generator, seed, temperature, "
            "progress_bar, noise",
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
            temperature=temperature, progress_bar=progress_bar, noise=noise,
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
        noise: NoiseSource | None = None,
    ) -> torch.Tensor:
        """The sampling loop: (batch, num_samples) raw audio (in [-1, 1] unless the de-emphasis of a
        ``config.pre_emphasis`` model lifts the low frequencies above it).

        ``incremental=False`` recomputes the receptive field for every sample (the reference
        the fast path is tested against). ``noise`` (default: fresh draws from ``generator``)
        feeds the sampler ``config.sampling`` names.
        """
        check_positive_int(num_samples, "num_samples")
        check_positive_int(batch_size, "batch_size")
        check_positive_number(temperature, "temperature")
        if mel is not None:
            batch_size = mel.shape[0]
        local, global_ = self.conditioning(num_samples, mel, class_ids, batch_size)
        sampler = build_sampler(self.config, temperature)
        sampler.begin(num_samples, batch_size, GeneratorNoise(generator) if noise is None else noise)
        samples = self.initial_samples(batch_size, num_samples + 1)            # samples[:, 0]: the start
        step = self._incremental_steps if incremental else self._naive_steps
        for t, logits in enumerate(progress(step(samples, local, global_), num_samples, progress_bar)):
            samples[:, t + 1] = sampler(logits[:, :, 0], t)
        return self.network_to_waveform(self.audio_from_samples(samples[:, 1:]))

    def initial_samples(self, batch: int, length: int) -> torch.Tensor:
        """(batch, length) samples holding the start (``config.initial_code``, else silence) everywhere."""
        if not self.categorical:
            return torch.zeros(batch, length, device=self.device, dtype=self.dtype)
        code = self.config.initial_code
        if code is None:
            code = int(self.codec.encode(torch.zeros(1)).item())
        return torch.full((batch, length), code, device=self.device, dtype=torch.long)

    def _naive_steps(self, samples: torch.Tensor, local: torch.Tensor | None, global_: torch.Tensor | None):
        """Yields the logits for sample t+1 after ``samples[:, t]`` was written, from scratch each time."""
        field = self.config.receptive_field
        for t in range(samples.shape[1] - 1):
            start = max(0, t + 1 - field)
            x = self.input_features(samples[:, start : t + 1])
            window_local = None if local is None else local[:, :, start : t + 1]
            yield self.logits_from_features(x, window_local, global_)[:, :, -1:]

    def _incremental_steps(self, samples: torch.Tensor, local: torch.Tensor | None, global_: torch.Tensor | None):
        """The same logits as :meth:`_naive_steps`, from per-layer ring buffers: O(layers) per sample."""
        batch, like = samples.shape[0], self.head_out.weight
        input_step = self._input_step(batch, like)
        precision = self.config.incremental_weights
        steps = [LayerStep(layer, batch, like, layer.conditioning_bias(local, global_), precision)
                 for layer in self.layers]
        head_bias = None if self.head_condition is None else self.head_condition(local).permute(2, 0, 1)  # (T, B, S)
        hidden, hidden_bias = self.head_hidden.weight[:, :, 0], self.head_hidden.bias
        out, out_bias = self.head_out.weight[:, :, 0], self.head_out.bias
        for t in range(samples.shape[1] - 1):
            x_t = input_step(samples[:, t])                                        # (B, R)
            skips = None if self.input_skip is None else pointwise(self.input_skip, x_t)
            for step in steps:
                x_t, skip = step(x_t, t)
                skips = skip.clone() if skips is None else skips.add_(skip)   # in place: no new tensor per layer
            h = F.linear(F.relu(skips * self.skip_scale), hidden, hidden_bias)
            if head_bias is not None:
                h = h + head_bias[t]
            yield F.linear(F.relu(h), out, out_bias).unsqueeze(-1)                 # (B, C, 1)

    def _input_step(self, batch: int, like: torch.Tensor):
        """The input features of one sample, (B,) -> (B, R): the embedding, or the input
        convolution over a ring buffer of the last ``config.input_kernel_size`` numbers."""
        if not self.config.uses_scalar_input:
            return self.input_embedding
        weight, bias = self.input_conv.weight.flatten(1), self.input_conv.bias         # (R, k)
        queue = ConvQueue(batch, 1, self.config.input_kernel_size, 1, like)
        return lambda sample_t: F.linear(queue.window(self.input_values(sample_t)[:, None]).flatten(1), weight, bias)

    # ------------------------------------------------------------------- conditioning features
    def mel_from_audio(self, audio: torch.Tensor) -> torch.Tensor:
        """The local conditioning of a waveform, for training and vocoding alike.

        audio (..., samples) -> (..., mels, frames). With hfsynth's front end, frames =
        ceil(samples / hop): frame k describes samples [k * hop, (k + 1) * hop), so ``frames * hop
        == samples`` whenever samples is a multiple of ``config.hop_length`` (a partial last hop is
        completed with silence). The other front ends frame as their training scripts did
        (:mod:`hfsynth.audio.normalized_mel`; the frames may describe :attr:`mel_lead_in` samples
        before the audio).

        hfsynth's: the audio is zero-padded by (n_fft - hop) / 2 on both sides and framed without
        centring, so each window is centred on the middle of its hop (a centred STFT would give one
        frame more). Zeros, not reflections, because WaveNet itself starts from silence. The log
        magnitudes are scaled so that the floor (-100 dB) is -1 and 0 dB is +1.
        """
        if self.mel_frontend is None:
            raise ValueError("this WaveNet takes no mel (local_cond_channels is 0, or mel_frontend is 'none')")
        audio = check_audio_tensor(audio).to(self.dtype)
        if self.config.mel_frontend != "hfsynth":
            return self.mel_frontend(audio)
        hop = self.config.hop_length
        overhang = self.config.mel_n_fft - hop  # window samples reaching beyond the frame's own hop
        padded = F.pad(audio, (overhang // 2, overhang - overhang // 2 + (-audio.shape[-1] % hop)))
        log_mel = self.mel_frontend(padded)                                 # (..., mels, frames)
        return 1.0 + log_mel / (-math.log(MEL_FLOOR) / 2)

    @property
    def mel_lead_in(self) -> int:
        """Samples by which the waveform :meth:`mel_from_audio`'s frames describe starts before the
        audio (``lws`` framing pads ``n_fft - hop`` in front); 0 for the other front ends."""
        return getattr(self.mel_frontend, "lead_in", 0)

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
        class_ids: torch.Tensor | list[int] | None = None,
    ) -> WaveNetAudioOutput:
        """Vocoder mode, as the ``audio-to-audio`` pipeline calls it: (batch, 1, samples) or
        (batch, samples) audio -> :class:`WaveNetAudioOutput` of the same length, see :meth:`vocode`
        (``class_ids``: the speaker of a speaker-conditioned vocoder)."""
        audio = check_audio_tensor(input_values, "input_values")
        if audio.ndim == 3 and audio.shape[1] == 1:
            audio = audio[:, 0]
        if audio.ndim != 2:
            raise ValueError(f"input_values must be mono audio (batch, [1,] samples); got {tuple(audio.shape)}")
        vocoded = self.vocode(audio, generator, temperature, progress_bar, class_ids=class_ids)
        return WaveNetAudioOutput(audio=finalize_audio(vocoded))

    @torch.inference_mode()
    def vocode(
        self,
        audio: torch.Tensor,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        progress_bar: ProgressBar = None,
        noise: NoiseSource | None = None,
        class_ids: torch.Tensor | list[int] | None = None,
    ) -> torch.Tensor:
        """(batch, samples) audio -> its mel -> (batch, samples) audio generated from that mel (raw),
        aligned with the input (the :attr:`mel_lead_in` samples before it are generated, then cut).
        ``class_ids``: the class (speaker) of a class-conditioned vocoder, one or one per item."""
        if self.mel_frontend is None:
            raise ValueError(
                "audio-to-audio needs a vocoder; this WaveNet has no mel conditioning (local_cond_channels is 0)"
            )
        if not torch.isfinite(audio).all():
            raise ValueError("audio contains NaN or infinite samples")
        lead_in = self.mel_lead_in
        generated = self.sample_waveform(
            lead_in + audio.shape[-1], mel=self.mel_from_audio(audio), class_ids=class_ids, generator=generator,
            temperature=temperature, progress_bar=progress_bar, noise=noise,
        )
        return generated[:, lead_in:]

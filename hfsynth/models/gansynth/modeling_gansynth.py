"""GANSynth: a progressive GAN that paints whole notes as (log magnitude, IF) spectrograms.

Generator: a latent on the sphere and a one-hot pitch -> a small feature map -> per stage: 2x
upsampling and two 3x3 convolutions -> a 1x1 ``to_spectrogram`` layer at every stage. While stage k
fades in, its output is blended with the (upsampled) output of stage k-1, from alpha 0 to 1.

Discriminator: the mirror image. A 1x1 ``from_spectrogram`` layer at every stage, per stage two 3x3
convolutions and 2x average pooling (the same fade-in), then the minibatch standard deviation, a
convolution, a dense layer and two heads: the Wasserstein critic score and, as in AC-GAN, logits
over the pitches.

Both use the progressive GAN's equalised learning rate (Karras et al. 2018); the generator
normalises every feature vector (PixelNorm). A whole note is generated at once, so a 1 s note costs
one forward pass: see ``bench/gansynth_speed.py`` against WaveNet's sample-by-sample loop. Under
``torch.inference_mode()`` (generation) the same function runs faster: channels_last feature maps,
upsampling fused into the next convolution, activations in place. ``GANSynthConfig.published()``
is magenta's published generator (``hfsynth convert gansynth`` loads its weights).

The generator is also the ``text-to-audio`` model: ``generate(input_ids=...)`` reads the pitch from
each prompt ("C4", "note 60") and returns a note of the requested length (``forward`` is training).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers.utils import ModelOutput

from ...audio.pitch import midi_to_hz
from ...validation import check_finite_number, check_int
from ...modules.activations import LEAKY_SLOPE, leaky_relu
from ..generation_utils import AudioGenerationMixin, AudioGenerationOutput, random_source
from ..modeling_utils import HFSynthPreTrainedModel
from ..prompting import decode_byte_prompts
from .configuration_gansynth import GANSynthConfig
from .prompting_gansynth import check_pitch, pitch_for_prompt, resolve_pitch
from .spectral_gansynth import spectrogram_transform

#: He's gain for layers followed by a (leaky) ReLU; output layers use gain 1.
RELU_GAIN = math.sqrt(2.0)
#: Fade applied to the end of every note handed back, so a trimmed note never ends in a click.
DECLICK_IN_S = 0.02
#: Notes generated per forward pass (bounds memory for large batches and long MIDI pieces) ...
NOTES_PER_FORWARD = 64
#: ... and fewer for large models: values in the largest feature map of one forward pass (256 MB).
FEATURE_MAP_BUDGET = 2**26


@dataclass
class GANSynthGeneratorOutput(ModelOutput):
    """
    spectrogram: (batch, 2, rows, frames) normalised log magnitude and IF at the stage's resolution.
    """

    spectrogram: torch.Tensor | None = None


@dataclass
class GANSynthGenerationOutput(AudioGenerationOutput):
    """
    audio: (batch, 1, samples) float32 notes, each with peak <= 1.
    latents: (batch, latent_size) the latent (instrument) of each note: pass it back to play it again.
    """

    latents: torch.Tensor | None = None


@dataclass
class GANSynthDiscriminatorOutput(ModelOutput):
    """
    scores: (batch,) Wasserstein critic scores (higher: more like the data).
    pitch_logits: (batch, num_pitches) auxiliary pitch classifier (AC-GAN).
    """

    scores: torch.Tensor | None = None
    pitch_logits: torch.Tensor | None = None


# ---------------------------------------------------------------------------------- layers
class ScaledWeightLayer(nn.Module):
    """Base of the equalised-learning-rate layers.

    Adam's update is about the same size for every weight, so a layer whose weights should be small
    learns relatively faster than one whose weights should be large. The progressive GAN stores every
    weight at unit scale (N(0, 1)) and multiplies it by He's constant ``gain / sqrt(fan_in)`` in the
    forward pass: the effective weights start as He-initialised ones, and every layer learns at the
    same relative speed. With ``equalized=False`` the constant is folded into the initial weights
    instead (plain He initialisation).
    """

    def __init__(self, weight_shape: tuple[int, ...], fan_in: int, gain: float, equalized: bool):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(weight_shape))
        self.bias = nn.Parameter(torch.empty(weight_shape[0]))
        self.he_constant = gain / math.sqrt(fan_in)
        self.equalized = equalized
        self.runtime_scale = self.he_constant if equalized else 1.0
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.weight, 0.0, 1.0 if self.equalized else self.he_constant)
        nn.init.zeros_(self.bias)

    def scaled_weight(self) -> torch.Tensor:
        return self.weight * self.runtime_scale


class EqualizedConv2d(ScaledWeightLayer):
    """A convolution with an equalised learning rate: 'same'-padded (odd square kernels), or unpadded
    (``padding=0``, any kernel)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 gain: float = RELU_GAIN, equalized: bool = True, padding: int | None = None):
        height, width = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        super().__init__((out_channels, in_channels, height, width), in_channels * height * width, gain, equalized)
        self.padding = height // 2 if padding is None else padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.scaled_weight(), self.bias, padding=self.padding)

    def upsampled(self, x: torch.Tensor) -> torch.Tensor:
        """``self(upsample2x(x))`` for a 3x3 'same' convolution, as one stride-2 transposed convolution:
        (B, C_in, H, W) -> (B, C_out, 2H, 2W), 2.25x fewer multiplications and no upsampled copy.

        An output pixel's 3 taps along an axis of the nearest-upsampled map read 2 input pixels, so
        the transposed kernel's 4 taps per axis are sums of the 3x3 kernel's: [w2, w1 + w2, w0 + w1,
        w0] (:data:`UPSAMPLING_TAPS`; the same numbers up to rounding).
        """
        taps = UPSAMPLING_TAPS.to(self.weight)
        kernel = taps @ self.scaled_weight() @ taps.T                          # (C_out, C_in, 4, 4)
        return F.conv_transpose2d(x, kernel.transpose(0, 1), self.bias, stride=2, padding=1)


#: Along each axis, which of a 3x3 kernel's taps each of the 4 taps of :meth:`EqualizedConv2d.upsampled` sums.
UPSAMPLING_TAPS = torch.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


class EqualizedLinear(ScaledWeightLayer):
    """A dense layer with an equalised learning rate."""

    def __init__(self, in_features: int, out_features: int, gain: float = RELU_GAIN, equalized: bool = True):
        super().__init__((out_features, in_features), in_features, gain, equalized)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.scaled_weight(), self.bias)


def pixel_norm(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Scales the feature vector at every position (dim 1) to unit mean square.

    In the generator it keeps feature magnitudes from escalating in the competition with the
    critic; on the latent it projects the Gaussian onto the sphere of radius sqrt(latent_size).
    """
    return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + eps)


class LeakyPixelNorm(nn.Module):
    """What follows every generator convolution: leaky ReLU, then PixelNorm (unless ``pixel_norm`` is off).

    Under ``torch.inference_mode()`` (generation) both run in place on the convolution's output, two
    passes over it instead of five: at the published size these maps are the largest tensors. The
    mean square is then a vector norm where the channels are innermost (channels_last), the faster
    reduction there, and a mean of squares where they are not.
    """

    def __init__(self, pixel_norm: bool = True):
        super().__init__()
        self.pixel_norm = pixel_norm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.is_inference_mode_enabled():
            return pixel_norm(leaky_relu(x)) if self.pixel_norm else leaky_relu(x)
        x = F.leaky_relu_(x, LEAKY_SLOPE)
        if not self.pixel_norm:
            return x
        if x.is_contiguous(memory_format=torch.channels_last):
            mean_square = torch.linalg.vector_norm(x, dim=1, keepdim=True).square_().div_(x.shape[1])
        else:
            mean_square = x.square().mean(dim=1, keepdim=True)
        return x.mul_(mean_square.add_(1e-8).rsqrt_())


def minibatch_stddev(x: torch.Tensor, group_size: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, C + 1, H, W): the extra channel tells the critic how varied a group is.

    Samples are split into groups of ``group_size`` (the largest divisor of B not above it; sample i
    belongs to group i mod B / G). For each group, the standard deviation of every feature at every
    position across the group's samples, averaged into one number, fills the extra channel of the
    group's samples. A generator that collapses onto a few notes gives itself away by a small value.
    """
    batch, _, height, width = x.shape
    group = next(size for size in range(min(group_size, batch), 0, -1) if batch % size == 0)
    grouped = x.reshape(group, batch // group, *x.shape[1:])                   # (G, B/G, C, H, W)
    spread = (grouped.var(dim=0, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3))  # (B/G,)
    feature = spread.repeat(group).reshape(batch, 1, 1, 1).expand(batch, 1, height, width)
    return torch.cat([x, feature.to(x.dtype)], dim=1)


def upsample2x(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, 2H, 2W), nearest neighbour (progressive GAN)."""
    return F.interpolate(x, scale_factor=2, mode="nearest")


def downsample2x(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, H/2, W/2), 2x2 average."""
    return F.avg_pool2d(x, 2)


# ---------------------------------------------------------------------------------- blocks
class GeneratorInput(nn.Module):
    """Latent and one-hot pitch (B, latent_size + num_pitches) -> stage-0 features (B, C0, rows0, frames0).

    The first feature map comes from a dense layer (``config.input_layer == "dense"``) or, as in the
    published GANSynth ("padded_conv"), from the input seen as a 1x1 map, zero-padded and convolved
    with a rows0 x frames0 kernel without padding; then a 3x3 convolution.
    """

    def __init__(self, config: GANSynthConfig):
        super().__init__()
        self.channels = config.channels[0]
        self.rows, self.frames = config.stage_resolutions[0]
        eq = config.equalized_learning_rate
        inputs = config.latent_size + config.num_pitches
        self.padded_input = config.input_layer == "padded_conv"
        if self.padded_input:
            self.padded_conv = EqualizedConv2d(inputs, self.channels, (self.rows, self.frames), equalized=eq, padding=0)
        else:
            self.dense = EqualizedLinear(inputs, self.channels * self.rows * self.frames, equalized=eq)
        self.conv = EqualizedConv2d(self.channels, self.channels, 3, equalized=eq)
        self.activation = LeakyPixelNorm(config.pixel_norm)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.padded_input:
            # (B, Z) as a 1x1 map, zero-padded to (B, Z, 2 rows0 - 1, 2 frames0 - 1), 'valid' convolution
            x = self.padded_conv(F.pad(z[:, :, None, None], (self.frames - 1,) * 2 + (self.rows - 1,) * 2))
        else:
            x = self.dense(z).reshape(z.shape[0], self.channels, self.rows, self.frames)
        x = self.activation(x)                                                 # (B, C0, rows0, frames0)
        return self.activation(self.conv(x))


class GeneratorBlock(nn.Module):
    """(B, C_in, H, W) -> upsample -> two 3x3 convolutions -> (B, C_out, 2H, 2W).

    With ``config.harmonic_conditioning`` the first convolution also reads the harmonic comb of the
    requested pitch at the new resolution, (B, 1, 2H, 1), repeated over the frames. Without it, under
    ``torch.inference_mode()`` the upsampling and the first convolution are one transposed
    convolution (:meth:`EqualizedConv2d.upsampled`).
    """

    def __init__(self, in_channels: int, out_channels: int, config: GANSynthConfig):
        super().__init__()
        eq = config.equalized_learning_rate
        comb_channels = 1 if config.harmonic_conditioning else 0
        self.conv1 = EqualizedConv2d(in_channels + comb_channels, out_channels, 3, equalized=eq)
        self.conv2 = EqualizedConv2d(out_channels, out_channels, 3, equalized=eq)
        self.activation = LeakyPixelNorm(config.pixel_norm)

    def forward(self, x: torch.Tensor, comb: torch.Tensor | None = None) -> torch.Tensor:
        if comb is None and torch.is_inference_mode_enabled():
            x = self.conv1.upsampled(x)
        else:
            x = upsample2x(x)
            if comb is not None:
                x = torch.cat([x, comb.to(x.dtype).expand(-1, -1, -1, x.shape[-1])], dim=1)
            x = self.conv1(x)
        return self.activation(self.conv2(self.activation(x)))


def harmonic_comb(fundamental_hz: torch.Tensor, row_hz: torch.Tensor, row_width_hz: torch.Tensor) -> torch.Tensor:
    """(B,) fundamentals and (rows,) row frequencies and widths -> (B, 1, rows, 1) in [0, 1].

    A Gaussian bump (std half the row's width) around every harmonic k * f0, k >= 1: ~1 on the rows
    holding a harmonic, ~0 between harmonics and below the fundamental. Rows wider than f0 (the
    coarse stages) hold a harmonic each, so there the comb only marks where the fundamental lies.
    """
    fundamental = fundamental_hz[:, None]
    nearest = (row_hz / fundamental).round().clamp_min(1.0) * fundamental          # (B, rows)
    distance = (row_hz - nearest) / (0.5 * row_width_hz)
    return torch.exp(-0.5 * distance.square())[:, None, :, None]


def stage_rows(row_hz: torch.Tensor, rows: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-stage row frequencies (R,) -> a stage's (rows,) centre frequencies and widths: each stage
    row average-pools R / rows top rows, as ``real_at_stage`` pools the real spectrograms."""
    top_width = torch.gradient(row_hz)[0].abs()
    groups = row_hz.shape[0] // rows
    return row_hz.reshape(rows, groups).mean(dim=1), top_width.reshape(rows, groups).sum(dim=1)


class ToSpectrogram(nn.Module):
    """Features (B, C, H, W) -> spectrogram (B, 2, H, W) in [-1, 1]: a 1x1 convolution and tanh (GANSynth)."""

    def __init__(self, channels: int, config: GANSynthConfig):
        super().__init__()
        self.conv = EqualizedConv2d(channels, 2, 1, gain=1.0, equalized=config.equalized_learning_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.conv(x))


class FromSpectrogram(nn.Module):
    """Spectrogram (B, 2, H, W) -> features (B, C, H, W): a 1x1 convolution. With
    ``config.harmonic_conditioning`` the input has a third channel: the requested pitch's comb."""

    def __init__(self, channels: int, config: GANSynthConfig):
        super().__init__()
        inputs = 3 if config.harmonic_conditioning else 2
        self.conv = EqualizedConv2d(inputs, channels, 1, equalized=config.equalized_learning_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return leaky_relu(self.conv(x))


class DiscriminatorBlock(nn.Module):
    """(B, C_in, H, W) -> two 3x3 convolutions -> downsample -> (B, C_out, H/2, W/2)."""

    def __init__(self, in_channels: int, out_channels: int, config: GANSynthConfig):
        super().__init__()
        eq = config.equalized_learning_rate
        self.conv1 = EqualizedConv2d(in_channels, in_channels, 3, equalized=eq)
        self.conv2 = EqualizedConv2d(in_channels, out_channels, 3, equalized=eq)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return downsample2x(leaky_relu(self.conv2(leaky_relu(self.conv1(x)))))


class DiscriminatorHead(nn.Module):
    """Stage-0 features (B, C0, rows0, frames0) -> critic scores (B,) and pitch logits (B, num_pitches)."""

    def __init__(self, config: GANSynthConfig):
        super().__init__()
        channels = config.channels[0]
        rows, frames = config.stage_resolutions[0]
        eq = config.equalized_learning_rate
        self.group_size = config.minibatch_std_group_size
        self.conv = EqualizedConv2d(channels + 1, channels, 3, equalized=eq)
        self.dense = EqualizedLinear(channels * rows * frames, channels, equalized=eq)
        self.score = EqualizedLinear(channels, 1, gain=1.0, equalized=eq)
        self.pitch = EqualizedLinear(channels, config.num_pitches, gain=1.0, equalized=eq)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = leaky_relu(self.conv(minibatch_stddev(x, self.group_size)))        # (B, C0, rows0, frames0)
        x = leaky_relu(self.dense(x.flatten(1)))                               # (B, C0)
        return self.score(x).squeeze(-1), self.pitch(x)


# ------------------------------------------------------------------------------ pretrained
class GANSynthPreTrainedModel(HFSynthPreTrainedModel):
    config_class = GANSynthConfig
    base_model_prefix = "gansynth"
    main_input_name = "latents"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, ScaledWeightLayer):
            module.reset_parameters()

    def comb_at(self, stage: int, pitch: torch.Tensor | list[int]) -> torch.Tensor | None:
        """The harmonic comb of (batch,) MIDI pitches at ``stage``'s rows, (B, 1, rows, 1); ``None``
        without ``config.harmonic_conditioning``."""
        if not self.config.harmonic_conditioning:
            return None
        if pitch is None:
            raise ValueError("with harmonic_conditioning the critic needs the requested pitch of every note")
        cache = self.__dict__.setdefault("_stage_rows", {})  # not buffers: from_pretrained leaves unsaved ones unset
        if stage not in cache:
            rows = self.config.stage_resolutions[stage][0]
            cache[stage] = stage_rows(spectrogram_transform(self.config).row_frequencies(), rows)
        centres, widths = (rows.to(self.device) for rows in cache[stage])
        return harmonic_comb(midi_to_hz(torch.as_tensor(pitch, device=self.device).reshape(-1)), centres, widths)

    def check_stage(self, stage: int | None, alpha: float) -> tuple[int, float]:
        """``stage`` (default: the top one) and ``alpha`` checked: 0 <= stage < num_stages, 0 <= alpha <= 1."""
        top = self.config.num_stages - 1
        stage = check_int(top if stage is None else stage, "stage", minimum=0, maximum=top)
        alpha = check_finite_number(alpha, "alpha")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha (the fade-in of the stage) must lie in [0, 1]; got {alpha}")
        return stage, alpha

    def pitch_indices(self, pitch: torch.Tensor | list[int] | int) -> torch.Tensor:
        """MIDI pitches (batch,) -> class indices 0..num_pitches-1; ValueError outside the range."""
        pitch = torch.as_tensor(pitch, device=self.device).reshape(-1)
        if pitch.is_floating_point() or pitch.is_complex():
            raise ValueError(f"pitch must hold integer MIDI numbers; got dtype {pitch.dtype}")
        outside = pitch[(pitch < self.config.pitch_min) | (pitch > self.config.pitch_max)]
        if outside.numel():
            check_pitch(int(outside[0]), self.config)  # raises, naming the pitch and the range
        return pitch.long() - self.config.pitch_min


class GANSynthGenerator(AudioGenerationMixin, GANSynthPreTrainedModel):
    """Latents and pitches -> spectrograms (``forward``: training, any stage) or notes (``generate``)."""

    def __init__(self, config: GANSynthConfig):
        super().__init__(config)
        channels = config.channels
        self.input = GeneratorInput(config)
        self.blocks = nn.ModuleList(GeneratorBlock(c_in, c_out, config) for c_in, c_out in zip(channels, channels[1:]))
        self.to_spectrogram = nn.ModuleList(ToSpectrogram(c, config) for c in channels)
        self.transform = spectrogram_transform(config)  # no weights: follows the config
        self.post_init()

    # ---------------------------------------------------------------------------- training
    def forward(
        self, latents: torch.Tensor, pitch: torch.Tensor, stage: int | None = None, alpha: float = 1.0
    ) -> GANSynthGeneratorOutput:
        """``latents`` (batch, latent_size) and ``pitch`` (batch,) MIDI numbers -> the spectrograms of
        ``stage`` (default the top) faded in by ``alpha`` (see :meth:`spectrogram`)."""
        return GANSynthGeneratorOutput(spectrogram=self.spectrogram(latents, pitch, stage, alpha))

    def spectrogram(
        self, latents: torch.Tensor, pitch: torch.Tensor, stage: int | None = None, alpha: float = 1.0
    ) -> torch.Tensor:
        """(batch, latent_size) latents and (batch,) MIDI pitches -> (batch, 2, rows, frames) of ``stage``.

        alpha 0 is the previous stage's output upsampled 2x; alpha 1 is this stage's own output.
        """
        stage, alpha = self.check_stage(stage, alpha)
        z = self.conditioning(latents, pitch)                                  # (B, latent + pitches)
        x = self.input(z)                                                      # (B, C0, rows0, frames0)
        if torch.is_inference_mode_enabled():
            x = x.contiguous(memory_format=torch.channels_last)               # oneDNN's fastest layout
        previous = x
        for index, block in enumerate(self.blocks[:stage]):
            previous, x = x, block(x, self.comb_at(index + 1, pitch))         # (B, C_k, 2H, 2W)
        out = self.to_spectrogram[stage](x)                                    # (B, 2, rows_k, frames_k)
        if stage > 0 and alpha < 1.0:
            lower = upsample2x(self.to_spectrogram[stage - 1](previous))
            out = torch.lerp(lower, out, alpha)
        return out.contiguous()

    def conditioning(self, latents: torch.Tensor, pitch: torch.Tensor) -> torch.Tensor:
        """Latents and one-hot pitches scaled by ``config.pitch_scale``, (B, latent_size + num_pitches):
        the latents projected onto the sphere first, or (``input_normalization="latent_and_pitch"``)
        both together."""
        if latents.ndim != 2 or latents.shape[1] != self.config.latent_size:
            raise ValueError(f"latents must be (batch, {self.config.latent_size}); got {tuple(latents.shape)}")
        indices = self.pitch_indices(pitch)
        if indices.numel() != latents.shape[0]:
            raise ValueError(f"pass one pitch per latent: {indices.numel()} pitches for {latents.shape[0]} latents")
        one_hot = F.one_hot(indices, self.config.num_pitches).to(self.dtype) * self.config.pitch_scale
        if self.config.input_normalization == "latent_and_pitch":
            return pixel_norm(torch.cat([latents.to(self.dtype), one_hot], dim=1))
        return torch.cat([pixel_norm(latents.to(self.dtype)), one_hot], dim=1)

    # ---------------------------------------------------------------------------- generation
    @torch.inference_mode()
    def generate(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        pitch: int | str | list[int | str] | torch.Tensor | None = None,
        latents: torch.Tensor | None = None,
        audio_length_in_s: float | None = None,
        generator: torch.Generator | None = None,
        seed: int | None = None,
        return_dict_in_generate: bool = False,
        **kwargs,
    ) -> torch.Tensor | GANSynthGenerationOutput:
        """One note per prompt or pitch -> (batch, 1, samples), or :class:`GANSynthGenerationOutput`.

        Args:
            input_ids / attention_mask: ByT5 ids of prompts naming pitches ("C4", "note 60").
            pitch: instead of prompts, MIDI numbers or note names, one per note.
            latents: (batch, latent_size) instruments, one per note; drawn when not given.
            audio_length_in_s: note length (default ``config.audio_length_in_s``); longer pads with
                silence, shorter trims; the last 20 ms always fade out, so a note never ends in a click.
            generator / seed: the randomness of drawn latents (torch's global RNG if neither).
        """
        self.check_generate_kwargs(kwargs, "input_ids or pitch, latents, audio_length_in_s, generator, seed")
        pitches = self.requested_pitches(input_ids, attention_mask, pitch)
        length = self.num_samples_for(audio_length_in_s)
        if latents is None:
            latents = self.sample_latents(len(pitches), random_source(generator, seed))
        latents = self.check_latents(latents, len(pitches))
        notes = self.fit_length(self.synthesize(latents, pitches), length)     # (B, num_samples)
        return self.generation_output(notes, return_dict_in_generate, GANSynthGenerationOutput, latents=latents.cpu())

    def requested_pitches(
        self, input_ids: torch.Tensor | None, attention_mask: torch.Tensor | None, pitch: object
    ) -> list[int]:
        """The MIDI pitch of every note, from the prompts or from ``pitch``; ``ValueError`` outside the range."""
        if (input_ids is None) == (pitch is None):
            raise ValueError("pass input_ids (prompts naming pitches) or pitch (MIDI numbers or names), one of them")
        if input_ids is not None:
            return [pitch_for_prompt(prompt, self.config) for prompt in decode_byte_prompts(input_ids, attention_mask)]
        if isinstance(pitch, torch.Tensor):
            pitch = pitch.tolist()
        pitches = [pitch] if isinstance(pitch, (numbers.Number, str)) else list(pitch)
        if not pitches:
            raise ValueError("pitch is empty; give at least one pitch")
        return [resolve_pitch(value, self.config) for value in pitches]

    def check_latents(self, latents: torch.Tensor, count: int) -> torch.Tensor:
        """``latents`` as (count, latent_size) on the model's device; ``ValueError`` otherwise."""
        latents = torch.as_tensor(latents)
        latents = latents.unsqueeze(0) if latents.ndim == 1 else latents
        size = self.config.latent_size
        if latents.ndim != 2 or latents.shape != (count, size):
            raise ValueError(f"latents must be ({count}, {size}): one per note; got {tuple(latents.shape)}")
        if not torch.isfinite(latents).all():
            raise ValueError("latents contain NaN or infinite values")
        return latents.to(self.device, self.dtype)

    def sample_latents(self, batch_size: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """(batch_size, latent_size) Gaussian latents, drawn on the CPU (same numbers on every device).

        The generator projects them onto the sphere itself, so any scale works.
        """
        return torch.randn(batch_size, self.config.latent_size, generator=generator).to(self.device, self.dtype)

    @torch.inference_mode()
    def synthesize(self, latents: torch.Tensor, pitch: torch.Tensor | list[int]) -> torch.Tensor:
        """(batch, latent_size) latents and (batch,) MIDI pitches -> (batch, num_samples) raw notes at the
        top stage, :meth:`notes_per_forward` at a time."""
        pitch = torch.as_tensor(pitch).reshape(-1)
        step = self.notes_per_forward()
        chunks = [slice(start, start + step) for start in range(0, len(pitch), step)]
        return torch.cat([self.transform.decode(self.spectrogram(latents[c], pitch[c]).float()) for c in chunks])

    def notes_per_forward(self) -> int:
        """:data:`NOTES_PER_FORWARD`, or fewer so that the top stage's feature map stays within
        :data:`FEATURE_MAP_BUDGET` values (16 notes at the published size)."""
        rows, frames = self.config.spectrogram_shape
        return max(1, min(NOTES_PER_FORWARD, FEATURE_MAP_BUDGET // (self.config.channels[-1] * rows * frames)))

    def fit_length(self, notes: torch.Tensor, num_samples: int) -> torch.Tensor:
        """Notes (..., samples) -> (..., num_samples): trimmed or padded with silence, the end faded out."""
        return fit_note_length(notes, num_samples, round(DECLICK_IN_S * self.config.sampling_rate))


class GANSynthDiscriminator(GANSynthPreTrainedModel):
    """Spectrograms at any stage -> critic scores and pitch logits (the stage is read from the shape).

    It shares :class:`GANSynthConfig` with the generator and is not registered with the Auto classes:
    users load the generator; the discriminator lives in training checkpoints.
    """

    def __init__(self, config: GANSynthConfig):
        super().__init__(config)
        channels = config.channels
        self.from_spectrogram = nn.ModuleList(FromSpectrogram(c, config) for c in channels)
        # blocks[k] takes stage k + 1 down to stage k.
        self.blocks = nn.ModuleList(DiscriminatorBlock(c_in, c_out, config)
                                    for c_out, c_in in zip(channels, channels[1:]))
        self.head = DiscriminatorHead(config)
        self.post_init()

    def forward(
        self, spectrogram: torch.Tensor, alpha: float = 1.0, pitch: torch.Tensor | None = None
    ) -> GANSynthDiscriminatorOutput:
        """(batch, 2, rows_k, frames_k) at any stage k -> scores and pitch logits.

        alpha 0 reads the input through stage k-1's layers (average-pooled 2x); alpha 1 through stage k's.
        ``pitch`` (batch,) MIDI: the requested pitches, read (as combs next to the spectrogram) only
        with ``config.harmonic_conditioning``, which then makes the critic judge a note for its pitch.
        """
        stage, alpha = self.check_stage(self.stage_of(spectrogram), alpha)
        x = self.from_spectrogram[stage](self.with_comb(spectrogram, stage, pitch))  # (B, C_k, rows_k, frames_k)
        if stage > 0:
            x = self.blocks[stage - 1](x)                                      # (B, C_k-1, rows_k / 2, frames_k / 2)
            if alpha < 1.0:
                lower = self.from_spectrogram[stage - 1](self.with_comb(downsample2x(spectrogram), stage - 1, pitch))
                x = torch.lerp(lower, x, alpha)
            for block in reversed(self.blocks[: stage - 1]):
                x = block(x)                                                   # down to (B, C0, rows0, frames0)
        scores, pitch_logits = self.head(x)
        return GANSynthDiscriminatorOutput(scores=scores, pitch_logits=pitch_logits)

    def with_comb(self, spectrogram: torch.Tensor, stage: int, pitch: torch.Tensor | None) -> torch.Tensor:
        """(B, 2, H, W) -> (B, 3, H, W) with the pitch's comb as a third channel, when the config asks for it."""
        comb = self.comb_at(stage, pitch)
        if comb is None:
            return spectrogram
        return torch.cat([spectrogram, comb.to(spectrogram.dtype).expand(-1, -1, -1, spectrogram.shape[-1])], dim=1)

    def stage_of(self, spectrogram: torch.Tensor) -> int:
        """The stage whose resolution ``spectrogram`` (batch, 2, rows, frames) has."""
        resolutions = [tuple(r) for r in self.config.stage_resolutions]
        if spectrogram.ndim != 4 or spectrogram.shape[1] != 2 or tuple(spectrogram.shape[-2:]) not in resolutions:
            raise ValueError(
                f"spectrogram must be (batch, 2, rows, frames) at a stage resolution {resolutions}; "
                f"got {tuple(spectrogram.shape)}"
            )
        return resolutions.index(tuple(spectrogram.shape[-2:]))


# ------------------------------------------------------------------------------ note shapes
def release_envelope(
    num_samples: int, hold: int, release: int, device: torch.device | str | None = None
) -> torch.Tensor:
    """(num_samples,) gain: 1 for ``hold`` samples, a half-cosine fade to 0 over ``release``, then 0.

    The hold is shortened when needed so the fade always ends inside the note (a generated note stops
    at its last sample, so cutting it elsewhere would click).
    """
    release = max(0, min(release, num_samples))
    hold = max(0, min(hold, num_samples - release))
    fade = 0.5 * (1.0 + torch.cos(torch.linspace(0.0, math.pi, release + 2, device=device)[1:-1]))
    return torch.cat([
        torch.ones(hold, device=device), fade, torch.zeros(num_samples - hold - release, device=device)
    ])


def fit_note_length(notes: torch.Tensor, num_samples: int, fade: int) -> torch.Tensor:
    """Notes (..., samples) -> (..., num_samples): the first ``num_samples`` (or all, then silence),
    the last ``fade`` kept samples faded out."""
    kept = min(num_samples, notes.shape[-1])
    envelope = release_envelope(kept, kept - fade, fade, notes.device).to(notes.dtype)
    return F.pad(notes[..., :kept] * envelope, (0, num_samples - kept))

"""Musika: a spectrogram autoencoder and a GAN that draws its latents along a coordinate path.

Autoencoder (:class:`MusikaAutoencoder`): STFT features (log magnitude, phase; bins as channels)
-> 1-D convolutions with dilated residual blocks and strided reductions -> tanh-bounded latents
(32 channels every 512 samples at the defaults). The decoder mirrors it and predicts, per STFT
bin, a log magnitude and a phase direction; audio comes back through overlap-add (iSTFT). Its
receptive field is finite (:attr:`MusikaAutoencoder.decoder_context`), so a long latent sequence
decodes chunk by chunk into exactly the samples a one-shot decode gives.

Generator (:class:`MusikaGenerator`): Musika's latent *coordinate system*. Random anchors, one
per chunk, are joined by straight lines into a coordinate path; neighbouring chunks share the
anchor between them. A fully convolutional network upsamples the path to latent frames under a
style vector and tempo / note-density conditioning (FiLM). A window of the path is always computed
with :attr:`MusikaGenerator.generator_context` coordinate frames of context on both sides, so
chunks generated one at a time join exactly: generation length is unbounded, memory constant.

Discriminator (:class:`MusikaLatentDiscriminator`): 1-D convolutions over two chunks of latents,
patch scores plus a projection term for the conditioning (Miyato & Koyama 2018), hinge loss, and
an auxiliary head that reads tempo and density off the latents (AC-GAN style, Odena et al. 2017): the
projection alone let the generator ignore the tempo it was asked for.

The generator holds its autoencoder, so one folder (``save_pretrained``, safetensors) is a whole
text-to-audio model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers.utils import ModelOutput

from ...audio.validation import check_audio_tensor
from ...pipelines.contract import finalize_audio
from ...modules.activations import LeakyReLU, leaky_relu
from ..generation_utils import AudioGenerationMixin, AudioGenerationOutput, ProgressBar, progress, random_source
from ..modeling_utils import HFSynthPreTrainedModel
from ..prompting import decode_byte_prompts
from .configuration_musika import MusikaAutoencoderConfig, MusikaConfig
from .generation_musika import MusikaStreamState, new_state, stream_section
from .prompting_musika import conditioning_from_prompt
from .spectral_musika import MusikaSpectrogram

#: Size of the conditioning vector: (tempo code, tempo given, density code, density given).
CONDITIONING_SIZE = 4
#: Chunks ``generate`` decodes at a time: few enough for flat memory, enough that the decoder's
#: context on both sides of each piece costs little (bench/musika_speed.py).
GENERATE_CHUNKS = 16


@dataclass
class MusikaAutoencoderOutput(ModelOutput):
    """
    audio: (batch, channels, samples) the reconstruction, as long as the input.
    latents: (batch, latent_channels, latent_frames) the code in between, in [-1, 1].
    """

    audio: torch.Tensor | None = None
    latents: torch.Tensor | None = None


@dataclass
class MusikaGeneratorOutput(ModelOutput):
    """latents: (batch, latent_channels, frames) generated latents, in [-1, 1]."""

    latents: torch.Tensor | None = None


@dataclass
class MusikaGenerationOutput(AudioGenerationOutput):
    """
    audio: (batch, channels, samples) float32, each piece's peak <= 1.
    styles: (batch, style_channels) the style of each piece: pass one back as ``style`` to hear it again.
    states: where each piece ended, to continue it (``MusikaPipeline.continue_piece``).
    """

    styles: torch.Tensor | None = None
    states: list[MusikaStreamState] | None = None


@dataclass
class MusikaDiscriminatorOutput(ModelOutput):
    """scores: (batch, 1, patches) hinge logits, each judging a stretch of the latent sequence.
    conditions: (batch, 2) the tempo and density codes (log2 of value / reference) the critic reads
        off the latents: trained on real music, it tells the generator how far off its tempo is."""

    scores: torch.Tensor | None = None
    conditions: torch.Tensor | None = None


# ---------------------------------------------------------------------------------- blocks
def dilations(count: int) -> list[int]:
    """1, 3, 9, ...: each block sees three times further than the one before (MelGAN-style)."""
    return [3**index for index in range(count)]


class ResidualBlock(nn.Module):
    """(B, H, N) -> (B, H, N): x + conv1x1(lrelu(conv3(lrelu(x), dilation))); reaches ``dilation`` frames."""

    def __init__(self, channels: int, dilation: int):
        super().__init__()
        self.dilation = dilation
        self.conv = nn.Conv1d(channels, channels, 3, dilation=dilation, padding=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(leaky_relu(self.conv(leaky_relu(x))))


class ResidualStack(nn.Sequential):
    def __init__(self, channels: int, count: int):
        super().__init__(*(ResidualBlock(channels, d) for d in dilations(count)))

    @property
    def radius(self) -> int:
        return sum(block.dilation for block in self)


class MusikaEncoder(nn.Module):
    """Features (B, C * 2 * bins, frames) -> latents (B, latent_channels, frames / prod(factors)) in [-1, 1]."""

    def __init__(self, config: MusikaAutoencoderConfig):
        super().__init__()
        hidden = config.hidden_channels
        self.input = nn.Conv1d(config.audio_channels * 2 * config.num_bins, hidden, 3, padding=1)
        self.stacks = nn.ModuleList([ResidualStack(hidden, config.residual_blocks)])
        self.reductions = nn.ModuleList()
        for factor in config.downsample_factors:
            self.reductions.append(nn.Conv1d(hidden, hidden, factor, stride=factor))
            self.stacks.append(ResidualStack(hidden, config.residual_blocks))
        self.output = nn.Conv1d(hidden, config.latent_channels, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = self.stacks[0](leaky_relu(self.input(features)))                   # (B, H, frames)
        for reduce, stack in zip(self.reductions, self.stacks[1:]):
            x = stack(leaky_relu(reduce(x)))                                   # (B, H, frames / factor)
        return torch.tanh(self.output(x))


class MusikaDecoder(nn.Module):
    """Latents (B, latent_channels, L) -> (B, C * 3 * bins, L * prod(factors)): scaled log magnitude and
    phase direction (x, y) per bin and frame."""

    def __init__(self, config: MusikaAutoencoderConfig):
        super().__init__()
        hidden = config.hidden_channels
        self.input = nn.Conv1d(config.latent_channels, hidden, 3, padding=1)
        self.stacks = nn.ModuleList([ResidualStack(hidden, config.residual_blocks)])
        self.expansions = nn.ModuleList()
        for factor in reversed(config.downsample_factors):
            self.expansions.append(nn.ConvTranspose1d(hidden, hidden, factor, stride=factor))
            self.stacks.append(ResidualStack(hidden, config.residual_blocks))
        self.output = nn.Conv1d(hidden, config.audio_channels * 3 * config.num_bins, 3, padding=1)
        self.factors = list(reversed(config.downsample_factors))

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        x = self.stacks[0](leaky_relu(self.input(latents)))                    # (B, H, L)
        for expand, stack in zip(self.expansions, self.stacks[1:]):
            x = stack(leaky_relu(expand(x)))                                   # (B, H, L * factor)
        return self.output(leaky_relu(x))

    def radius(self) -> float:
        """How many latent frames on each side one output frame depends on."""
        total, rate = 1.0 + self.stacks[0].radius, 1
        for factor, stack in zip(self.factors, self.stacks[1:]):
            rate *= factor
            total += stack.radius / rate
        return total + 1.0 / rate                                              # the output convolution


class FiLM(nn.Module):
    """Feature-wise scale and shift from the style code: x * (1 + gamma(w)) + beta(w)."""

    def __init__(self, style: int, channels: int):
        super().__init__()
        self.project = nn.Linear(style, 2 * channels)
        nn.init.zeros_(self.project.weight)
        nn.init.zeros_(self.project.bias)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.project(w)[..., None].chunk(2, dim=1)
        return x * (1 + gamma) + beta


class GeneratorStage(nn.Module):
    """(B, H, N) -> nearest x factor -> two FiLM-modulated 3-convolutions -> (B, H, N * factor)."""

    def __init__(self, channels: int, style: int, factor: int):
        super().__init__()
        self.factor = factor
        self.conv1, self.conv2 = (nn.Conv1d(channels, channels, 3, padding=1) for _ in range(2))
        self.film1, self.film2 = FiLM(style, channels), FiLM(style, channels)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=self.factor, mode="nearest")
        x = x + leaky_relu(self.film1(self.conv1(x), w))
        return x + leaky_relu(self.film2(self.conv2(x), w))


class LatentGeneratorNetwork(nn.Module):
    """Coordinates (B, coordinate_channels, N) and style code (B, hidden) -> latents (B, latent_channels, N * U)."""

    def __init__(self, config: MusikaConfig):
        super().__init__()
        hidden = config.hidden_channels
        self.mapping = nn.Sequential(
            nn.Linear(config.style_channels + CONDITIONING_SIZE, hidden), LeakyReLU(),
            nn.Linear(hidden, hidden), LeakyReLU(),
        )
        self.input = nn.Conv1d(config.coordinate_channels, hidden, 3, padding=1)
        self.stages = nn.ModuleList(GeneratorStage(hidden, hidden, f) for f in config.upsample_factors)
        self.output = nn.Conv1d(hidden, config.autoencoder["latent_channels"], 3, padding=1)

    def forward(self, coordinates: torch.Tensor, style: torch.Tensor, conditioning: torch.Tensor) -> torch.Tensor:
        w = self.mapping(torch.cat([style, conditioning], dim=1))             # (B, hidden)
        x = leaky_relu(self.input(coordinates))                                # (B, H, N)
        for stage in self.stages:
            x = stage(x, w)                                                    # (B, H, N * factor)
        return torch.tanh(self.output(x))

    def radius(self) -> float:
        """Coordinate frames on each side that one latent frame depends on."""
        total, rate = 1.0, 1
        for stage in self.stages:
            rate *= stage.factor
            total += 2.0 / rate
        return total + 1.0 / rate


# ------------------------------------------------------------------------------ pretrained
class MusikaAutoencoder(HFSynthPreTrainedModel):
    """Audio (B, C, T) <-> latents (B, latent_channels, ceil(T / samples_per_latent))."""

    config_class = MusikaAutoencoderConfig
    base_model_prefix = "musika_autoencoder"
    main_input_name = "input_values"

    def __init__(self, config: MusikaAutoencoderConfig):
        super().__init__(config)
        self.spectrogram = MusikaSpectrogram(config)
        self.encoder = MusikaEncoder(config)
        self.decoder = MusikaDecoder(config)
        self.post_init()

    @property
    def decoder_context(self) -> int:
        """Latent frames of context on each side that make a windowed decode exact: the decoder's reach
        plus the latent frames whose STFT frames overlap a sample."""
        config = self.config
        overlap = math.ceil((config.n_fft // 2) / config.samples_per_latent)
        return math.ceil(self.decoder.radius()) + overlap + 1

    def check_audio(self, audio: torch.Tensor) -> torch.Tensor:
        """(T,), (C, T) or (B, C, T) -> (B, C, T) with this model's channel count; finite."""
        audio = check_audio_tensor(audio, "input_values")
        channels = self.config.audio_channels
        if audio.ndim == 1:
            audio = audio[None, None]
        elif audio.ndim == 2:
            audio = audio[:, None] if channels == 1 and audio.shape[0] != 1 else audio[None]
        if audio.ndim != 3 or audio.shape[1] != channels:
            raise ValueError(f"audio must be (batch, {channels}, samples) for this {channels}-channel autoencoder; "
                             f"got {tuple(audio.shape)}")
        if not torch.isfinite(audio).all():
            raise ValueError("audio contains NaN or infinite samples")
        return audio.to(self.device, self.dtype)

    def encode(self, audio: torch.Tensor) -> torch.Tensor:
        """(B, C, T) audio -> (B, latent_channels, ceil(T / samples_per_latent)); the end is padded with silence."""
        audio = self.check_audio(audio)
        step = self.config.samples_per_latent
        audio = F.pad(audio, (0, -audio.shape[-1] % step))
        return self.encoder(self.spectrogram.analyse(audio.float()).to(self.dtype))  # DSP in float32

    def decode(self, latents: torch.Tensor, num_samples: int | None = None) -> torch.Tensor:
        """(B, latent_channels, L) -> (B, C, num_samples or L * samples_per_latent) audio."""
        latents = self.check_latents(latents)
        end = latents.shape[-1] * self.config.samples_per_latent
        audio = self.decode_range(latents, 0, 0, end)
        return audio if num_samples is None else audio[..., :num_samples]

    def decode_range(self, latents: torch.Tensor, first_latent: int, start: int, end: int) -> torch.Tensor:
        """Samples ``start:end`` (absolute) from a window of latents whose first is frame ``first_latent``.

        Exact (equal to decoding the whole sequence) when the window holds :attr:`decoder_context`
        frames on each side of ``start:end``, or reaches the sequence's own ends.
        """
        spec = self.spectrogram.complex_frames(self.decoder(latents.to(self.dtype)).float())  # (B, C, bins, frames)
        return self.spectrogram.frames_to_audio(spec, first_latent * self.config.frames_per_latent, start, end)

    def check_latents(self, latents: torch.Tensor) -> torch.Tensor:
        latents = torch.as_tensor(latents)
        size = self.config.latent_channels
        if latents.ndim != 3 or latents.shape[1] != size or latents.shape[-1] == 0:
            raise ValueError(f"latents must be (batch, {size}, frames) with frames >= 1; got {tuple(latents.shape)}")
        if not torch.isfinite(latents).all():
            raise ValueError("latents contain NaN or infinite values")
        return latents.to(self.device, self.dtype)

    def forward(self, input_values: torch.Tensor) -> MusikaAutoencoderOutput:
        """Reconstruction: (B, C, T) -> audio (B, C, T) and the latents between."""
        audio = self.check_audio(input_values)
        latents = self.encode(audio)
        return MusikaAutoencoderOutput(audio=self.decode(latents, audio.shape[-1]), latents=latents)

    def audio_to_audio(self, input_values: torch.Tensor, **_) -> MusikaAutoencoderOutput:
        """What the ``audio-to-audio`` pipeline calls: the reconstruction, peak <= 1."""
        out = self.forward(input_values)
        return MusikaAutoencoderOutput(audio=finalize_audio(out.audio), latents=out.latents)


class MusikaPreTrainedModel(HFSynthPreTrainedModel):
    config_class = MusikaConfig
    base_model_prefix = "musika"

    def conditioning(self, tempo: torch.Tensor | float | None, density: torch.Tensor | float | None,
                     batch: int) -> torch.Tensor:
        """Tempo (bpm) and density (onsets per second), each a number, (batch,) values (NaN: not given) or
        None -> (batch, 4): log2(value / reference) and a flag saying it was given, for each."""
        columns = []
        for value, reference in ((tempo, self.config.tempo_reference), (density, self.config.density_reference)):
            values = torch.full((batch,), float("nan")) if value is None else torch.as_tensor(value, dtype=torch.float32)
            values = values.float().reshape(-1).expand(batch).to(self.device)
            given = torch.isfinite(values) & (values > 0)
            code = torch.where(given, torch.log2(values.clamp_min(1e-6) / reference), torch.zeros_like(values))
            columns += [code, given.float()]
        return torch.stack(columns, dim=1).to(self.dtype)


class MusikaGenerator(AudioGenerationMixin, MusikaPreTrainedModel):
    """Coordinate anchors, a style and conditioning -> latents; with its autoencoder, -> audio (text-to-audio)."""

    main_input_name = "input_ids"

    def __init__(self, config: MusikaConfig):
        super().__init__(config)
        self.network = LatentGeneratorNetwork(config)
        self.autoencoder = MusikaAutoencoder(config.autoencoder_config)
        self.post_init()

    @property
    def upsampling(self) -> int:
        return math.prod(self.config.upsample_factors)

    @property
    def generator_context(self) -> int:
        """Coordinate frames of context on each side that make a windowed generation exact."""
        return math.ceil(self.network.radius())

    @property
    def path_start(self) -> int:
        """First latent frame generation uses: whole chunks in, so even the first window has left context."""
        frames = self.config.coordinate_frames_per_chunk
        return self.config.chunk_latents * math.ceil(self.generator_context / frames)

    def anchors_needed(self, end: int) -> int:
        """Anchors a window ending at latent frame ``end`` (exclusive) needs, right context included."""
        last_coordinate = end // self.upsampling + self.generator_context
        return last_coordinate // self.config.coordinate_frames_per_chunk + 2

    def coordinate_path(self, anchors: torch.Tensor, start: int, end: int) -> torch.Tensor:
        """Anchors (B, K, coordinate_channels) -> path (B, coordinate_channels, end - start) at coordinate
        frames ``start:end``: frame j lies (j mod P) / P of the way from anchor j // P to the next (P
        coordinate frames per chunk). Frames outside the anchors' reach are zero (the sequence's start)."""
        per_chunk = self.config.coordinate_frames_per_chunk
        frames = torch.arange(start, end, device=anchors.device)
        index = torch.div(frames, per_chunk, rounding_mode="floor")
        if int(index.max()) + 1 >= anchors.shape[1]:
            raise ValueError(f"coordinate frames up to {end} need {int(index.max()) + 2} anchors; got {anchors.shape[1]}")
        fraction = ((frames - index * per_chunk).float() / per_chunk)[None, :, None].to(anchors.dtype)
        inside = (frames >= 0)[None, :, None]
        index = index.clamp_min(0)
        path = torch.lerp(anchors[:, index], anchors[:, index + 1], fraction)  # (B, N, coordinate_channels)
        return (path * inside).transpose(1, 2)

    def forward(
        self, anchors: torch.Tensor, style: torch.Tensor, conditioning: torch.Tensor, start: int, end: int
    ) -> MusikaGeneratorOutput:
        """``anchors`` (B, K, coordinate_channels), ``style`` (B, style_channels), ``conditioning`` (B, 4)
        -> latent frames ``start:end`` (multiples of the upsampling), see :meth:`latent_window`."""
        return MusikaGeneratorOutput(latents=self.latent_window(anchors, style, conditioning, start, end))

    def latent_window(self, anchors: torch.Tensor, style: torch.Tensor, conditioning: torch.Tensor,
                      start: int, end: int) -> torch.Tensor:
        """Latent frames ``start:end`` (B, latent_channels, end - start), computed with
        :attr:`generator_context` coordinate frames of context (fewer before frame 0)."""
        up = self.upsampling
        if start % up or end % up or not 0 <= start < end:
            raise ValueError(f"start and end must be multiples of {up} with 0 <= start < end; got {start}, {end}")
        if anchors.ndim != 3 or anchors.shape[-1] != self.config.coordinate_channels:
            raise ValueError(f"anchors must be (batch, count, {self.config.coordinate_channels}); "
                             f"got {tuple(anchors.shape)}")
        if not torch.isfinite(anchors).all() or not torch.isfinite(style).all():
            raise ValueError("anchors and style must be finite (no NaN or infinite values)")
        context = self.generator_context
        first = max(0, start // up - context)
        path = self.coordinate_path(anchors.to(self.dtype), first, end // up + context)
        latents = self.network(path, style.to(self.dtype), conditioning.to(self.dtype))
        offset = (start // up - first) * up
        return latents[..., offset : offset + end - start]

    # ------------------------------------------------------------------------------- generation
    @torch.inference_mode()
    def generate(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        tempo: float | None = None,
        density: float | str | None = None,
        audio_length_in_s: float | None = None,
        generator: torch.Generator | None = None,
        seed: int | None = None,
        truncation: float | None = None,
        style: torch.Tensor | None = None,
        progress_bar: ProgressBar = None,
        return_dict_in_generate: bool = False,
        **kwargs,
    ) -> torch.Tensor | MusikaGenerationOutput:
        """Music of exactly ``audio_length_in_s`` seconds (default ``config.audio_length_in_s``) ->
        (batch, channels, samples), or :class:`MusikaGenerationOutput`.

        Args:
            input_ids / attention_mask: ByT5 ids of prompts, one piece each; a prompt may set the tempo
                ("120 bpm") and the density ("sparse", "dense"). Without them: one piece.
            tempo / density: the same settings as arguments (for every piece), instead of prompts.
            generator / seed: randomness of style and anchors (torch's global RNG if neither).
            truncation: standard deviation of style and anchors (default ``config.truncation``).
            style: (style_channels,) a style instead of a drawn one (e.g. ``out.styles[0]``).
            progress_bar: see :data:`~hfsynth.models.generation_utils.ProgressBar`.

        Each piece is streamed chunk by chunk (:func:`stream_section`), so memory stays flat for any length.
        """
        self.check_generate_kwargs(
            kwargs, "input_ids or tempo/density, audio_length_in_s, generator, seed, truncation, style, progress_bar"
        )
        rng = random_source(generator, seed)
        num_samples = self.num_samples_for(audio_length_in_s)
        pieces, states = [], []
        for tempo_i, density_i in self.requested_conditioning(input_ids, attention_mask, tempo, density):
            state = new_state(self, rng, truncation, style)
            chunks = stream_section(self, num_samples, state, tempo_i, density_i, chunks_per_yield=GENERATE_CHUNKS)
            total = math.ceil(num_samples / (GENERATE_CHUNKS * self.config.samples_per_chunk))
            pieces.append(torch.cat(list(progress(chunks, total, progress_bar)), dim=-1))
            states.append(state)
        styles = torch.cat([state.style for state in states]).cpu()
        return self.generation_output(
            torch.stack(pieces), return_dict_in_generate, MusikaGenerationOutput, styles=styles, states=states
        )

    def requested_conditioning(
        self, input_ids: torch.Tensor | None, attention_mask: torch.Tensor | None, tempo: object, density: object
    ) -> list[tuple[float | None, float | str | None]]:
        """(tempo, density) of every piece: read from the prompts, or the arguments for one piece."""
        if input_ids is None:
            return [(tempo, density)]
        if tempo is not None or density is not None:
            raise ValueError("pass tempo/density or prompts (input_ids) that name them, not both")
        return [conditioning_from_prompt(prompt, self.config) for prompt in decode_byte_prompts(input_ids, attention_mask)]


class MusikaLatentDiscriminator(MusikaPreTrainedModel):
    """Latents (B, latent_channels, N) and conditioning (B, 4) -> patch scores (B, 1, N / 8).

    Shares :class:`MusikaConfig` with the generator; lives only in training checkpoints.
    """

    main_input_name = "latents"

    def __init__(self, config: MusikaConfig):
        super().__init__(config)
        width = config.discriminator_channels
        self.input = nn.Conv1d(config.autoencoder["latent_channels"], width, 3, padding=1)
        self.body = nn.ModuleList(nn.Conv1d(width, width, 4, stride=2, padding=1) for _ in range(3))
        self.score = nn.Conv1d(width, 1, 3, padding=1)
        self.embed = nn.Linear(CONDITIONING_SIZE, width)
        self.condition_head = nn.Linear(width, 2)
        self.post_init()

    def forward(self, latents: torch.Tensor, conditioning: torch.Tensor) -> MusikaDiscriminatorOutput:
        x = leaky_relu(self.input(latents))                                    # (B, W, N)
        for conv in self.body:
            x = leaky_relu(conv(x))                                            # (B, W, N / 2 ...)
        projection = (x * self.embed(conditioning)[..., None]).sum(dim=1, keepdim=True) / math.sqrt(x.shape[1])
        return MusikaDiscriminatorOutput(scores=self.score(x) + projection, conditions=self.condition_head(x.mean(dim=-1)))

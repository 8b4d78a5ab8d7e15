"""The published Musika (Pasini & Schlüter, ISMIR 2022; github.com/marcoppasini/musika, 44.1 kHz
release), layer for layer, so that the authors' released Keras weights load unchanged. The
repository's ``22kHz/`` release has other networks (:mod:`.modeling_musika_22khz`) in the same
model: ``config.variant`` picks them.

Five networks, each named after the authors' ``Models_functions.build_*`` (w = ``autoencoder_width``,
h = ``hop_length``, b = ``base_channels``; all on Keras' channels-last (batch, time, channels)):

* ``encoder`` (ENC): normalised dB spectrogram frames (N, F, 2h + 1) -> first-level latents
  (N, F, h / 4) in [-1, 1], frame by frame: five 1x1 ``conv_util`` of 4w, a 1x1 convolution, tanh.
* ``decoder`` (DEC): a block of 64 first-level frames (N, 64, h / 4) -> magnitude and phase heads
  (N, 64, 2h + 1) in [-1, 1]: a U-Net of strided and transposed convolutions with AddNoise.
* ``encoder2`` (ENC2): windows of 16 first-level frames -> one latent frame (N, 1, latent_channels).
* ``decoder2`` (DEC2): a block of 4 latent frames -> 64 first-level frames, with AddNoise.
* ``generator`` (GEN): a segment of the coordinate path (N, S, 2 * latent_channels) -> latents of
  both audio channels (N, S, 2 * latent_channels), S = 128 (64 for ``small``): a dense layer on
  the path's average, then upsampling stages with AddNoise and AdaIN on the path's averages.

The authors run each network on batches whose items they split and rejoin through the batch axis
(a decoder's output item i is [input i || input i + N/2] along time); those are calling
conventions, not computation: here every network maps one block to one block, and the model
arranges the blocks (:meth:`MusikaReleaseAutoencoder.decode_frames`). Every AddNoise layer draws
from the :data:`~.layers_musika_release.NoiseSource` passed to ``forward``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..generation_utils import AudioGenerationMixin, ProgressBar, progress, random_source
from ..modeling_utils import HFSynthPreTrainedModel
from ..prompting import decode_byte_prompts
from .configuration_musika_release import MusikaReleaseConfig
from .generation_musika_release import new_release_state, stream_release_section
from .layers_musika_release import (
    RESIDUAL_SCALE,
    AdaIN,
    ConvBlock,
    GaussianNoise,
    NoiseInjection,
    NoiseSource,
    StyledBlock,
    TimeConv,
    encode_windows,
    name_noise_layers,
    pixel_shuffle,
)
from .modeling_musika import MusikaGenerationOutput, MusikaGeneratorOutput
from .modeling_musika_22khz import (
    Musika22kHzLatentDecoder,
    Musika22kHzLatentEncoder,
    Musika22kHzLatentGenerator,
    Musika22kHzSpectrogramDecoder,
    Musika22kHzSpectrogramEncoder,
)
from .prompting_musika import names_conditioning
from .spectral_musika_release import MusikaReleaseSpectrogram, OverlapAdd

def half_more(width: int) -> int:
    """``hop + hop // 2``: the authors' 1.5x widths."""
    return width + width // 2


# -------------------------------------------------------------------------------- autoencoder
class MusikaSpectrogramEncoder(nn.Module):
    """ENC: (N, F, bins) normalised dB -> (N, F, hop / 4) first-level latents in [-1, 1]."""

    def __init__(self, config: MusikaReleaseConfig):
        super().__init__()
        width = 4 * config.autoencoder_width
        sizes = [config.num_bins] + [width] * 5
        self.layers = nn.ModuleList(ConvBlock(a, b, 1, padding="valid") for a, b in zip(sizes, sizes[1:]))
        self.output = TimeConv(width, config.first_latent_channels, 1, padding="valid")

    def forward(self, spectrogram: torch.Tensor) -> torch.Tensor:
        x = spectrogram
        for layer in self.layers:
            x = layer(x)
        return torch.tanh(self.output(x))


class MusikaSpectrogramDecoder(nn.Module):
    """DEC: a block (N, 64, hop / 4) -> magnitude and phase heads, each (N, 64, bins) in [-1, 1].

    Down: 3w, 3w /2, 2w /2, w /2; up (transposed, x2) with skips: 2w, 3w, 3w -> magnitude head;
    the phase branch re-upsamples from the 2w level with its own two transposed convolutions.
    (The authors' ``build_decoder`` also builds a branch whose output is never used; Keras leaves
    it out of the model and of ``dec.h5``, and so does this port.)
    """

    def __init__(self, config: MusikaReleaseConfig):
        super().__init__()
        w, bins = config.autoencoder_width, config.num_bins
        self.down = nn.ModuleList([
            ConvBlock(config.first_latent_channels, 3 * w, 3, noise=True),
            ConvBlock(3 * w, 3 * w, 3, 2, noise=True),
            ConvBlock(3 * w, 2 * w, 3, 2, noise=True),
            ConvBlock(2 * w, w, 3, 2, noise=True),
        ])
        self.up = nn.ModuleList([
            ConvBlock(w, 2 * w, 4, 2, noise=True, upsample=True),
            ConvBlock(2 * w, 3 * w, 4, 2, noise=True, upsample=True),
            ConvBlock(3 * w, 3 * w, 4, 2, noise=True, upsample=True),
        ])
        self.magnitude = TimeConv(3 * w, bins, 1)
        self.phase_up = nn.ModuleList([
            ConvBlock(2 * w, 3 * w, 4, 2, noise=True, upsample=True),
            ConvBlock(3 * w, 3 * w, 4, 2, noise=True, upsample=True),
        ])
        self.phase = TimeConv(3 * w, bins, 1)

    def forward(self, latents: torch.Tensor, noise: NoiseSource) -> tuple[torch.Tensor, torch.Tensor]:
        g0 = self.down[0](latents, noise)                                     # (N, 64, 3w)
        g1 = self.down[1](g0, noise)                                          # (N, 32, 3w)
        g2 = self.down[2](g1, noise)                                          # (N, 16, 2w)
        g3 = self.down[3](g2, noise)                                          # (N, 8, w)
        g22 = self.up[0](g3, noise)                                           # (N, 16, 2w)
        g11 = self.up[1](g22 + g2, noise)                                     # (N, 32, 3w)
        g00 = self.up[2](g11 + g1, noise)                                     # (N, 64, 3w)
        magnitude = self.magnitude(g00 + g0).clamp(-1.0, 1.0)
        p = self.phase_up[0](g22, noise)                                      # (N, 32, 3w)
        p = self.phase_up[1](p + g11, noise)                                  # (N, 64, 3w)
        return magnitude, self.phase(p + g00).clamp(-1.0, 1.0)


class MusikaLatentEncoder(nn.Module):
    """ENC2: (N, F, hop / 4) first-level latents, F a multiple of 16 -> (N, F / 16, latent_channels)
    in [-1, 1]; each window of 16 frames is encoded on its own (valid convolutions: 16 -> 7 -> 3 -> 1)."""

    def __init__(self, config: MusikaReleaseConfig):
        super().__init__()
        w = config.autoencoder_width
        self.frames = config.frames_per_latent
        self.layers = nn.ModuleList([
            ConvBlock(config.first_latent_channels, w, 3),
            ConvBlock(w, half_more(w), 3, 2, padding="valid"),
            ConvBlock(half_more(w), half_more(w), 3),
            ConvBlock(half_more(w), 2 * w, 3, 2, padding="valid"),
            ConvBlock(2 * w, 2 * w, 3),
            ConvBlock(2 * w, 3 * w, 3, padding="valid"),
            ConvBlock(3 * w, 3 * w, 1, padding="valid"),
        ])
        self.bottleneck = TimeConv(3 * w, config.latent_channels, 1, padding="valid")

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        return encode_windows(latents, self.frames, self.layers, self.bottleneck)


class MusikaLatentDecoder(nn.Module):
    """DEC2: a block of 4 latent frames (N, 4, latent_channels) -> (N, 64, hop / 4) first-level latents."""

    def __init__(self, config: MusikaReleaseConfig):
        super().__init__()
        w = config.autoencoder_width
        wide = 2 * w + w // 2
        self.layers = nn.ModuleList([
            ConvBlock(config.latent_channels, 3 * w, 3, noise=True),
            ConvBlock(3 * w, wide, 4, 2, noise=True, upsample=True),
            ConvBlock(wide, wide, 3, noise=True),
            ConvBlock(wide, 2 * w, 4, 2, noise=True, upsample=True),
            ConvBlock(2 * w, 2 * w, 3, noise=True),
            ConvBlock(2 * w, half_more(w), 4, 2, noise=True, upsample=True),
            ConvBlock(half_more(w), w, 4, 2, noise=True, upsample=True),
        ])
        self.output = TimeConv(w, config.first_latent_channels, 1)

    def forward(self, latents: torch.Tensor, noise: NoiseSource) -> torch.Tensor:
        x = latents
        for layer in self.layers:
            x = layer(x, noise)                                               # T: 4 -> 8 -> 16 -> 32 -> 64
        return self.output(x)


#: variant -> (ENC, DEC, ENC2, DEC2) of that release.
AUTOENCODER_NETWORKS = {
    "44khz": (MusikaSpectrogramEncoder, MusikaSpectrogramDecoder, MusikaLatentEncoder, MusikaLatentDecoder),
    "22khz": (Musika22kHzSpectrogramEncoder, Musika22kHzSpectrogramDecoder, Musika22kHzLatentEncoder,
              Musika22kHzLatentDecoder),
}


class MusikaReleaseAutoencoder(nn.Module):
    """Both autoencoder levels and the spectrogram in between: stereo audio <-> latents
    (batch, frames, 2 * latent_channels) (the left channel's, then the right's), one latent frame per
    ``frames_per_latent`` hops (16 at 44.1 kHz, 8 at 22 kHz: 92.9 ms in both)."""

    def __init__(self, config: MusikaReleaseConfig):
        super().__init__()
        self.config = config
        self.spectrogram = MusikaReleaseSpectrogram(config)
        encoder, decoder, encoder2, decoder2 = AUTOENCODER_NETWORKS[config.variant]
        self.encoder = encoder(config)
        self.decoder = decoder(config)
        self.encoder2 = encoder2(config)
        self.decoder2 = decoder2(config)

    @property
    def dtype(self) -> torch.dtype:
        return self.encoder.output.weight.dtype

    def encode(self, audio: torch.Tensor) -> torch.Tensor:
        """(B, 2, T) audio -> (B, L, 2 * latent_channels) latents, L = ceil(frames / frames_per_latent):
        the end is padded with silence to whole windows (the authors' encoder drops a last partial chunk)."""
        check_stereo(audio, "audio")
        hop, n_fft, per_latent = self.config.hop_length, self.config.n_fft, self.config.frames_per_latent
        frames = 1 + math.ceil(max(audio.shape[-1] - n_fft, 0) / hop)
        frames = math.ceil(frames / per_latent) * per_latent
        audio = F.pad(audio.float(), (0, (frames - 1) * hop + n_fft - audio.shape[-1]))
        spectrogram = self.spectrogram.analyse(audio)                          # (B, 2, F, bins)
        first = self.encoder(spectrogram.flatten(0, 1).to(self.dtype))         # (2B, F, h / 4)
        latents = self.encoder2(first).unflatten(0, (-1, 2))                   # (B, 2, F / 16, L)
        return latents.transpose(1, 2).flatten(2)                              # left channels, then right

    def decode_frames(self, latents: torch.Tensor, noise: NoiseSource) -> torch.Tensor:
        """(B, L, 2 * latent_channels), L a multiple of ``latents_per_block`` (4; 8 at 22 kHz) -> complex
        STFT frames (B, 2, frames_per_latent * L, bins).

        Each block of latent frames of each audio channel is decoded on its own (DEC2, then DEC);
        the blocks of both channels go through the networks as one batch, channel by channel in
        time order.
        """
        batch, length, channels = latents.shape
        blocks = latents.reshape(batch, length, 2, channels // 2).transpose(1, 2)   # (B, 2, L, L_c)
        blocks = blocks.reshape(-1, self.config.latents_per_block, channels // 2)  # (2B L / 4, 4, L_c)
        first = self.decoder2(blocks.to(self.dtype), noise)                     # (2B L / 4, 64, h / 4)
        magnitude, phase = self.decoder(first, noise)                           # (2B L / 4, 64, bins) each
        frames = self.spectrogram.complex_frames(magnitude, phase)
        return frames.reshape(batch, 2, length * self.config.frames_per_latent, -1)

    def decode(self, latents: torch.Tensor, noise: NoiseSource | None = None) -> torch.Tensor:
        """(B, L, 2 * latent_channels) -> (B, 2, hop * (16 L' - 1) + n_fft) audio in [-1, 1], L' = L cut
        to whole blocks (of 4, the authors' ``decode_waveform`` cutting to multiples of 8; of 8 at 22 kHz,
        where the authors' ``stfunc`` cuts to multiples of 16)."""
        check_latents(latents, 2 * self.config.latent_channels)
        block = self.config.latents_per_block
        latents = latents[:, : latents.shape[1] // block * block]
        if latents.shape[1] == 0:
            raise ValueError(f"decoding needs at least {block} latent frames")
        overlap = OverlapAdd(self.spectrogram)
        frames = self.decode_frames(latents, noise or GaussianNoise())
        return torch.cat([overlap.push(frames), overlap.finish()], dim=-1).clamp(-1.0, 1.0)


# ---------------------------------------------------------------------------------- generator
class MusikaGeneratorStage(nn.Module):
    """Two styled blocks, each scaled by sqrt(1/2), plus a 1x1 shortcut of the input (pixel-shuffled
    when the stage doubles the length): (N, T, C_in) -> (N, 2T or T, C_out)."""

    def __init__(self, in_channels: int, out_channels: int, embedding_channels: int, upsample: bool = True):
        super().__init__()
        kernel = 4 if upsample else 1
        self.upsample = upsample
        self.first = StyledBlock(in_channels, out_channels, kernel, embedding_channels, upsample=upsample)
        self.second = StyledBlock(out_channels, out_channels, kernel, embedding_channels)
        self.shortcut = TimeConv(in_channels // 2 if upsample else in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor, embedding: torch.Tensor, noise: NoiseSource) -> torch.Tensor:
        h = RESIDUAL_SCALE * self.first(x, embedding, noise)
        h = RESIDUAL_SCALE * self.second(h, embedding, noise)
        return h + self.shortcut(pixel_shuffle(x) if self.upsample else x)


class MusikaLatentGenerator(nn.Module):
    """GEN: a coordinate segment (N, S, 2 * latent_channels) -> latents (N, S, 2 * latent_channels).

    The segment's averages over 2, 4, ..., S / 2 frames are the embeddings of the AdaIN layers; its
    average over S / 2 frames (2 frames) goes through a dense layer to 4 frames of 7b channels.
    Then four stages (6b, 5b, 4b, 3b; the first keeps the length when ``small``), a last styled
    block (2b, x2, embedding = the segment itself) and a linear (1, 4) convolution.
    """

    def __init__(self, config: MusikaReleaseConfig):
        super().__init__()
        b, channels = config.base_channels, 2 * config.latent_channels
        self.small = config.small
        self.dense = nn.Linear(2 * channels, 4 * 7 * b)
        self.dense_noise = NoiseInjection()
        self.dense_adain = AdaIN(channels, 7 * b)
        widths = [7 * b, 6 * b, 5 * b, 4 * b, 3 * b]
        self.stages = nn.ModuleList(
            MusikaGeneratorStage(a, c, channels, upsample=not (self.small and index == 0))
            for index, (a, c) in enumerate(zip(widths, widths[1:]))
        )
        self.last = StyledBlock(3 * b, 2 * b, 4, channels, upsample=True)
        self.output = TimeConv(2 * b, channels, 4)

    def forward(self, coordinates: torch.Tensor, noise: NoiseSource) -> torch.Tensor:
        averages = [coordinates]                                              # S, S/2, ..., 2 frames
        for _ in range(5 if self.small else 6):
            averages.append(averages[-1].unflatten(1, (-1, 2)).mean(dim=2))   # AveragePooling2D((1, 2))
        batch = coordinates.shape[0]
        g = self.dense(averages[-1].flatten(1)).reshape(batch, 4, -1)         # Flatten, Dense, Reshape: (N, 4, 7b)
        g = F.silu(self.dense_adain(self.dense_noise(g, noise), averages[-2]))
        for index, stage in enumerate(self.stages):
            g = stage(g, averages[4 - index], noise)                          # (N, 8..64, 6b..3b) (small: 4..32)
        return self.output(self.last(g, coordinates, noise))                 # (N, S, 2 L)


# ---------------------------------------------------------------------------------- pretrained
def check_stereo(audio: torch.Tensor, name: str) -> None:
    if not isinstance(audio, torch.Tensor) or audio.ndim != 3 or audio.shape[1] != 2:
        raise ValueError(f"{name} must be a (batch, 2, samples) tensor: the published Musika is stereo; "
                         f"got {getattr(audio, 'shape', type(audio).__name__)}")
    if not torch.isfinite(audio).all():
        raise ValueError(f"{name} contains NaN or infinite values")


def check_latents(latents: torch.Tensor, channels: int) -> None:
    if not isinstance(latents, torch.Tensor) or latents.ndim != 3 or latents.shape[-1] != channels:
        raise ValueError(f"latents must be a (batch, frames, {channels}) tensor; got "
                         f"{getattr(latents, 'shape', type(latents).__name__)}")
    if not torch.isfinite(latents).all():
        raise ValueError("latents contain NaN or infinite values")


class MusikaReleaseGenerator(AudioGenerationMixin, HFSynthPreTrainedModel):
    """The published Musika as one text-to-audio model: generator and both autoencoder levels.

    ``generate`` streams the authors' generation (``Utils_functions.generate``): a coordinate path
    through anchors drawn from a truncated normal -> the generator, segment by segment -> DEC2 and
    DEC for each block of 4 latent frames of each channel -> inverse STFT, clipped to [-1, 1]. Any
    length comes out in flat memory, one segment (11.9 s at 44.1 kHz) at a time.
    """

    config_class = MusikaReleaseConfig
    base_model_prefix = "musika_release"
    main_input_name = "input_ids"

    def __init__(self, config: MusikaReleaseConfig):
        super().__init__(config)
        self.generator = (Musika22kHzLatentGenerator if config.variant == "22khz" else MusikaLatentGenerator)(config)
        self.autoencoder = MusikaReleaseAutoencoder(config)
        name_noise_layers(self)
        self.post_init()

    def forward(self, coordinates: torch.Tensor, noise: NoiseSource | None = None) -> MusikaGeneratorOutput:
        """Coordinate segments (B, segment_frames, 2 * latent_channels) -> their latents, same shape."""
        expected = (self.config.segment_frames, 2 * self.config.latent_channels)
        if coordinates.ndim != 3 or tuple(coordinates.shape[1:]) != expected:
            raise ValueError(f"coordinates must be (batch, {expected[0]}, {expected[1]}); got {tuple(coordinates.shape)}")
        return MusikaGeneratorOutput(latents=self.generator(coordinates.to(self.dtype), noise or GaussianNoise()))

    @torch.inference_mode()
    def generate(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        audio_length_in_s: float | None = None,
        generator: torch.Generator | None = None,
        seed: int | None = None,
        truncation: float | None = None,
        style: torch.Tensor | None = None,
        tempo: float | None = None,
        density: float | str | None = None,
        progress_bar: ProgressBar = None,
        return_dict_in_generate: bool = False,
        **kwargs,
    ) -> torch.Tensor | MusikaGenerationOutput:
        """Stereo music of exactly ``audio_length_in_s`` seconds (default ``config.audio_length_in_s``)
        -> (pieces, 2, samples), or :class:`MusikaGenerationOutput` (``styles``, ``states``).

        Args:
            input_ids / attention_mask: ByT5 ids of prompts, one piece each. The released generators
                are unconditional: a prompt that asks for a tempo or a density is a ``ValueError``.
            generator / seed: all randomness (style, anchors and every AddNoise draw).
            truncation: bound of the truncated standard normal of style and anchors (default 2.0).
            style: (coordinate_channels,) a style instead of a drawn one (e.g. ``out.styles[0]``).
            tempo / density: refused (``ValueError``) unless None: the published weights have no
                such conditioning; they are here so that hfsynth's Musika calls fail clearly.
        """
        self.check_generate_kwargs(kwargs, "input_ids, audio_length_in_s, generator, seed, truncation, style, "
                                           "progress_bar")
        check_unconditional(tempo, density)
        rng = random_source(generator, seed)
        num_samples = self.num_samples_for(audio_length_in_s)
        prompts = [""] if input_ids is None else decode_byte_prompts(input_ids, attention_mask)
        pieces, states = [], []
        for prompt in prompts:
            check_unconditional_prompt(prompt)
            state = new_release_state(self, rng, truncation, style)
            sections = stream_release_section(self, num_samples, state)
            total = math.ceil(num_samples / self.config.samples_per_segment)
            pieces.append(torch.cat(list(progress(sections, total, progress_bar)), dim=-1))
            states.append(state)
        styles = torch.cat([state.style for state in states]).cpu()
        return self.generation_output(torch.stack(pieces), return_dict_in_generate, MusikaGenerationOutput,
                                      styles=styles, states=states)


def check_unconditional(tempo: object, density: object) -> None:
    if tempo is not None or density is not None:
        raise ValueError("the published Musika generators are unconditional: they take no tempo or density "
                         f"(got tempo={tempo!r}, density={density!r})")


def check_unconditional_prompt(prompt: str) -> None:
    named = names_conditioning(prompt)
    if named:
        raise ValueError(f"the prompt {prompt!r} asks for {' and '.join(named)}, which the published Musika "
                         "generators cannot follow (they are unconditional); leave it out")

"""The networks of Musika's 22 kHz release (github.com/marcoppasini/musika, folder ``22kHz/``), layer
for layer; :class:`~.modeling_musika_release.MusikaReleaseGenerator` holds them when
``config.variant == "22khz"``.

Same roles as the 44.1 kHz networks (see :mod:`.modeling_musika_release`), another architecture:
every autoencoder ``conv_util`` has Keras' batch norm after its (noise and) convolution, the first
level makes 128-channel latents, the second level turns 8 first-level frames (not 16) into one
latent frame, and the generator has no residual stages but squeeze-excitation gates and a tanh
output. Widths (u = ``autoencoder_width``, 16 as released, i.e. ``hop / 16``; b = ``base_channels``,
128) are the authors' ``hop`` multiples and constants rewritten as multiples of u and b.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .configuration_musika_release import MusikaReleaseConfig
from .layers_musika_release import (
    ADAIN_EPSILON_22KHZ,
    AdaIN,
    ConvBlock,
    NoiseInjection,
    NoiseSource,
    StyledBlock,
    TimeConv,
    encode_windows,
)

#: ENC's five 1x1 ``conv_util`` widths, in u: 2h + 32, 2h + 64, 2h + 128, 2h + 192, 2h + 256.
ENCODER_WIDTHS = (34, 36, 40, 44, 48)
#: ENC2's ``conv_util`` (width in u, kernel), all "valid": 8 frames -> 8, 6, 4, 4, 2, 1.
ENCODER2_LAYERS = ((16, 1), (32, 3), (40, 3), (40, 1), (48, 3), (48, 2))
#: DEC2's ``conv_util`` (width in u, upsample), kernel 4, all with noise: 8 latent frames -> 8, 16, 32, 32, 64.
DECODER2_LAYERS = ((48, False), (48, True), (40, True), (32, False), (24, True))
#: The generator's blocks: (in, out channels in b, kernel, upsample, embedding = average index, gated by block).
GENERATOR_BLOCKS = (
    (7, 6, 4, True, 4, None), (6, 6, 1, False, 4, None),
    (6, 5, 4, True, 3, None), (5, 5, 3, False, 3, None),
    (5, 4, 4, True, 2, 0), (4, 4, 3, False, 2, 1),
    (4, 3, 4, True, 1, 2), (3, 3, 3, False, 1, 3),
    (3, 2, 4, True, 0, None),
)


def norm_block(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: str = "same",
               noise: bool = False, upsample: bool = False) -> ConvBlock:
    """The 22 kHz ``conv_util``: (transposed) convolution -> [AddNoise] -> batch norm -> swish."""
    return ConvBlock(in_channels, out_channels, kernel_size, stride, padding, noise, upsample, batch_norm=True)


# -------------------------------------------------------------------------------- autoencoder
class Musika22kHzSpectrogramEncoder(nn.Module):
    """ENC: (N, F, bins) normalised dB -> (N, F, 128) first-level latents in [-1, 1], frame by frame."""

    def __init__(self, config: MusikaReleaseConfig):
        super().__init__()
        sizes = [config.num_bins] + [m * config.autoencoder_width for m in ENCODER_WIDTHS]
        self.layers = nn.ModuleList(norm_block(a, b, 1, padding="valid") for a, b in zip(sizes, sizes[1:]))
        self.output = TimeConv(sizes[-1], config.first_latent_channels, 1, padding="valid")

    def forward(self, spectrogram: torch.Tensor) -> torch.Tensor:
        x = spectrogram
        for layer in self.layers:
            x = layer(x)
        return torch.tanh(self.output(x))


class Musika22kHzSpectrogramDecoder(nn.Module):
    """DEC: a block (N, 64, 128) -> magnitude and phase heads, each (N, 64, bins) in [-1, 1].

    Down 48u (1x1), 32u /2, 24u /2, 20u /2; up (transposed, x2) 24u, 32u, 48u, each after adding the
    skip of its length; a 1x1 block of 80u on the sum with the first; one 1x1 convolution to both
    heads (magnitude channels first), clipped.
    """

    def __init__(self, config: MusikaReleaseConfig):
        super().__init__()
        u = config.autoencoder_width
        self.down = nn.ModuleList([
            norm_block(config.first_latent_channels, 48 * u, 1, noise=True),
            norm_block(48 * u, 32 * u, 3, 2, noise=True),
            norm_block(32 * u, 24 * u, 3, 2, noise=True),
            norm_block(24 * u, 20 * u, 3, 2, noise=True),
        ])
        self.up = nn.ModuleList([
            norm_block(20 * u, 24 * u, 4, 2, noise=True, upsample=True),
            norm_block(24 * u, 32 * u, 4, 2, noise=True, upsample=True),
            norm_block(32 * u, 48 * u, 4, 2, noise=True, upsample=True),
        ])
        self.fuse = norm_block(48 * u, 80 * u, 1, noise=True)
        self.output = TimeConv(80 * u, 2 * config.num_bins, 1)

    def forward(self, latents: torch.Tensor, noise: NoiseSource) -> tuple[torch.Tensor, torch.Tensor]:
        g0 = self.down[0](latents, noise)                                     # (N, 64, 48u)
        g1 = self.down[1](g0, noise)                                          # (N, 32, 32u)
        g2 = self.down[2](g1, noise)                                          # (N, 16, 24u)
        g = self.down[3](g2, noise)                                           # (N, 8, 20u)
        g = self.up[0](g, noise)                                              # (N, 16, 24u)
        g = self.up[1](g + g2, noise)                                         # (N, 32, 32u)
        g = self.up[2](g + g1, noise)                                         # (N, 64, 48u)
        heads = self.output(self.fuse(g + g0, noise)).clamp(-1.0, 1.0)        # (N, 64, 2 bins)
        magnitude, phase = heads.chunk(2, dim=-1)
        return magnitude, phase


class Musika22kHzLatentEncoder(nn.Module):
    """ENC2: (N, F, 128), F a multiple of 8 -> (N, F / 8, latent_channels) in [-1, 1]; each window of 8
    frames is encoded on its own ("valid" convolutions, 8 -> 1)."""

    def __init__(self, config: MusikaReleaseConfig):
        super().__init__()
        u = config.autoencoder_width
        self.frames = config.frames_per_latent
        sizes = [config.first_latent_channels] + [m * u for m, _ in ENCODER2_LAYERS]
        self.layers = nn.ModuleList(norm_block(a, b, k, padding="valid")
                                    for a, b, (_, k) in zip(sizes, sizes[1:], ENCODER2_LAYERS))
        self.bottleneck = TimeConv(sizes[-1], config.latent_channels, 1, padding="valid")

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        return encode_windows(latents, self.frames, self.layers, self.bottleneck)


class Musika22kHzLatentDecoder(nn.Module):
    """DEC2: a block of 8 latent frames (N, 8, latent_channels) -> (N, 64, 128) first-level latents in [-1, 1]."""

    def __init__(self, config: MusikaReleaseConfig):
        super().__init__()
        u = config.autoencoder_width
        sizes = [config.latent_channels] + [m * u for m, _ in DECODER2_LAYERS]
        self.layers = nn.ModuleList(
            norm_block(a, b, 4, 2 if up else 1, noise=True, upsample=up)
            for a, b, (_, up) in zip(sizes, sizes[1:], DECODER2_LAYERS)
        )
        self.output = TimeConv(sizes[-1], config.first_latent_channels, 1)

    def forward(self, latents: torch.Tensor, noise: NoiseSource) -> torch.Tensor:
        x = latents
        for layer in self.layers:
            x = layer(x, noise)                                               # T: 8 -> 8 -> 16 -> 32 -> 32 -> 64
        return torch.tanh(self.output(x))


# ---------------------------------------------------------------------------------- generator
class Musika22kHzLatentGenerator(nn.Module):
    """GEN: a coordinate segment (N, 128, 2 * latent_channels) -> latents (N, 128, 2 * latent_channels) in [-1, 1].

    As at 44.1 kHz, the segment's averages over 2 ... 64 frames are the AdaIN embeddings and its
    2-frame average goes through a dense layer to 4 frames of 7b channels. Then nine styled blocks
    (:data:`GENERATOR_BLOCKS`: 6b, 6b, 5b, 5b, 4b, 4b, 3b, 3b, 2b; every other one doubles the length),
    four of them gated by a squeeze-excitation of an earlier block's output, and a 1x1 convolution
    with tanh. AdaIN's epsilon is 1e-7 here.
    """

    def __init__(self, config: MusikaReleaseConfig):
        super().__init__()
        b, channels = config.base_channels, 2 * config.latent_channels
        self.dense = nn.Linear(2 * channels, 4 * 7 * b)
        self.dense_noise = NoiseInjection()
        self.dense_adain = AdaIN(channels, 7 * b, ADAIN_EPSILON_22KHZ)
        self.embedding_index = [block[4] for block in GENERATOR_BLOCKS]
        self.gated_by = [block[5] for block in GENERATOR_BLOCKS]
        self.blocks = nn.ModuleList(
            StyledBlock(a * b, c * b, kernel, channels, upsample=up, adain_epsilon=ADAIN_EPSILON_22KHZ,
                        gate_channels=None if source is None else GENERATOR_BLOCKS[source][1] * b)
            for a, c, kernel, up, _, source in GENERATOR_BLOCKS
        )
        self.output = TimeConv(2 * b, channels, 1)

    def forward(self, coordinates: torch.Tensor, noise: NoiseSource) -> torch.Tensor:
        averages = [coordinates]                                              # 128, 64, ..., 2 frames
        for _ in range(6):
            averages.append(averages[-1].unflatten(1, (-1, 2)).mean(dim=2))   # AveragePooling2D((1, 2))
        batch = coordinates.shape[0]
        g = self.dense(averages[-1].flatten(1)).reshape(batch, 4, -1)         # Flatten, Dense, Reshape: (N, 4, 7b)
        g = F.silu(self.dense_adain(self.dense_noise(g, noise), averages[-2]))
        outputs: list[torch.Tensor] = []
        for block, index, source in zip(self.blocks, self.embedding_index, self.gated_by):
            g = block(g, averages[index], noise, None if source is None else outputs[source])
            outputs.append(g)                                                 # (N, 8 .. 128, 6b .. 2b)
        return torch.tanh(self.output(g))                                     # (N, 128, 2 L)

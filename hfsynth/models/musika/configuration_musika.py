"""Musika configurations (Pasini & Schlüter, ISMIR 2022, "Musika! Fast Infinite Waveform Music Generation").

Two models, trained one after the other:

* :class:`MusikaAutoencoderConfig`: audio <-> compact latents through the STFT (log magnitude and
  phase in, magnitude and phase out, audio back through the inverse STFT);
* :class:`MusikaConfig`: the latent GAN whose generator draws latents along a *coordinate path*
  (random anchors joined by straight lines, shared by neighbouring chunks) under a style vector and
  tempo / note-density conditioning. It carries its autoencoder's config, so one folder holds both.
"""

from __future__ import annotations

import math
from typing import Any

from transformers import PretrainedConfig

from ...audio.validation import check_stft_sizes
from ...validation import check_int, check_positive_int, check_positive_number, check_positive_seconds, check_sampling_rate

AUTOENCODER_FIELDS = (
    "sampling_rate", "audio_channels", "n_fft", "hop_length", "downsample_factors", "hidden_channels",
    "latent_channels", "residual_blocks", "log_magnitude_floor",
)


class MusikaAutoencoderConfig(PretrainedConfig):
    r"""
    Sized for a CPU: 16 kHz, STFT 512 / 128, latents of 32 channels every 512 samples (31.25 Hz),
    about 1.3 M parameters. The reference (marcoppasini/musika) works at 22.05 kHz with STFT 1024 /
    256 and a second autoencoder level; one level is used here.

    Args:
        sampling_rate (`int`, 16000): Hz (paper 22050, later 44100).
        audio_channels (`int`, 1): 1 (mono) or 2 (stereo; both channels share one latent sequence).
        n_fft (`int`, 512) / hop_length (`int`, 128): the STFT the encoder reads and the decoder
            predicts (paper 1024 / 256; the same 4x overlap).
        downsample_factors (`list[int]`, [2, 2]): time reductions from STFT frames to latent frames;
            their product times ``hop_length`` is :attr:`samples_per_latent`.
        hidden_channels (`int`, 128): width of every 1-D convolution (frequency bins are channels).
        latent_channels (`int`, 32): size of a latent frame; latents are bounded by tanh, as in Musika.
        residual_blocks (`int`, 2): dilated residual blocks at every time resolution.
        log_magnitude_floor (`float`, log 1e-5): magnitudes below exp(floor) read as silence; the log
            magnitude is scaled so that the floor maps to -1 and a magnitude of 1 to +1.
    """

    model_type = "hfsynth_musika_autoencoder"

    def __init__(
        self,
        sampling_rate: int = 16000,
        audio_channels: int = 1,
        n_fft: int = 512,
        hop_length: int = 128,
        downsample_factors: list[int] | None = None,
        hidden_channels: int = 128,
        latent_channels: int = 32,
        residual_blocks: int = 2,
        log_magnitude_floor: float = math.log(1e-5),
        **kwargs,
    ):
        self.sampling_rate = check_sampling_rate(sampling_rate)
        if audio_channels not in (1, 2):
            raise ValueError(f"audio_channels must be 1 (mono) or 2 (stereo); got {audio_channels!r}")
        self.audio_channels = int(audio_channels)
        self.n_fft, self.hop_length, _ = check_stft_sizes(n_fft, hop_length)
        if self.hop_length > self.n_fft // 2:
            raise ValueError(f"hop_length ({hop_length}) must be at most n_fft / 2 ({n_fft // 2}) so frames overlap")
        factors = [2, 2] if downsample_factors is None else list(downsample_factors)
        self.downsample_factors = [check_positive_int(f, "downsample_factors") for f in factors]
        self.hidden_channels = check_positive_int(hidden_channels, "hidden_channels")
        self.latent_channels = check_positive_int(latent_channels, "latent_channels")
        self.residual_blocks = check_int(residual_blocks, "residual_blocks", minimum=0)
        if not math.isfinite(log_magnitude_floor) or log_magnitude_floor >= 0:
            raise ValueError(f"log_magnitude_floor must be a finite negative number; got {log_magnitude_floor!r}")
        self.log_magnitude_floor = float(log_magnitude_floor)
        super().__init__(**kwargs)

    @property
    def frames_per_latent(self) -> int:
        return math.prod(self.downsample_factors)

    @property
    def samples_per_latent(self) -> int:
        """Audio samples per latent frame (512 at the defaults: 32 ms at 16 kHz)."""
        return self.hop_length * self.frames_per_latent

    @property
    def num_bins(self) -> int:
        return self.n_fft // 2 + 1

    def architecture(self) -> dict[str, Any]:
        """The fields that define the network (what :class:`MusikaConfig` stores of its autoencoder)."""
        return {name: getattr(self, name) for name in AUTOENCODER_FIELDS}


class MusikaConfig(PretrainedConfig):
    r"""
    The latent generator, its discriminator and the conditioning, plus the autoencoder it draws for.

    Args:
        autoencoder (`dict` or `MusikaAutoencoderConfig`): the autoencoder's architecture; the folder's
            weights hold the autoencoder too, so text-to-audio loads one model.
        chunk_latents (`int`, 32): latent frames per chunk (about 1 s at the defaults); one coordinate
            anchor per chunk (Musika: 64 frames per generated sample).
        coordinate_channels (`int`, 32): size of a coordinate anchor (Musika: 128 at a larger width).
        style_channels (`int`, 64): size of the style vector, constant over a section.
        hidden_channels (`int`, 128): width of the generator's and discriminator's convolutions.
        upsample_factors (`list[int]`, [2, 2, 2]): coordinate frames -> latent frames; their product
            must divide ``chunk_latents``.
        tempo_min / tempo_max (`float`, 40 / 240): tempi (quarter notes per minute) that may be asked for.
        tempo_reference (`float`, 100): the tempo conditioning is log2(bpm / reference).
        density_reference (`float`, 3.0): onsets per second; the density conditioning is log2(rate / reference).
        density_sparse / density_dense (`float`, 1.5 / 5.0): the onset rates "sparse" and "dense" stand
            for (the training recipe sets them to the data's quartiles).
        truncation (`float`, 0.8): default standard deviation of the anchors and the style (Musika's
            truncation: smaller is safer, larger more varied).
        discriminator_channels (`int`, 128): width of the latent discriminator.
        audio_length_in_s (`float`, 10.0): what ``generate`` makes when the call names no length
            (any length works: generation streams).
    """

    model_type = "hfsynth_musika"

    def __init__(
        self,
        autoencoder: dict[str, Any] | MusikaAutoencoderConfig | None = None,
        chunk_latents: int = 32,
        coordinate_channels: int = 32,
        style_channels: int = 64,
        hidden_channels: int = 128,
        upsample_factors: list[int] | None = None,
        tempo_min: float = 40.0,
        tempo_max: float = 240.0,
        tempo_reference: float = 100.0,
        density_reference: float = 3.0,
        density_sparse: float = 1.5,
        density_dense: float = 5.0,
        truncation: float = 0.8,
        discriminator_channels: int = 128,
        audio_length_in_s: float = 10.0,
        **kwargs,
    ):
        if isinstance(autoencoder, MusikaAutoencoderConfig):
            autoencoder = autoencoder.architecture()
        self.autoencoder = MusikaAutoencoderConfig(**(autoencoder or {})).architecture()
        self.sampling_rate = self.autoencoder["sampling_rate"]
        self.chunk_latents = check_positive_int(chunk_latents, "chunk_latents")
        self.coordinate_channels = check_positive_int(coordinate_channels, "coordinate_channels")
        self.style_channels = check_positive_int(style_channels, "style_channels")
        self.hidden_channels = check_positive_int(hidden_channels, "hidden_channels")
        factors = [2, 2, 2] if upsample_factors is None else list(upsample_factors)
        self.upsample_factors = [check_positive_int(f, "upsample_factors") for f in factors]
        if self.chunk_latents % math.prod(self.upsample_factors):
            raise ValueError(
                f"chunk_latents ({chunk_latents}) must be a multiple of the product of upsample_factors "
                f"({math.prod(self.upsample_factors)})"
            )
        for name, value in (("tempo_min", tempo_min), ("tempo_max", tempo_max), ("tempo_reference", tempo_reference),
                            ("density_reference", density_reference), ("density_sparse", density_sparse),
                            ("density_dense", density_dense), ("truncation", truncation)):
            check_positive_number(value, name)
        if not tempo_min < tempo_max:
            raise ValueError(f"need tempo_min < tempo_max; got {tempo_min}, {tempo_max}")
        self.tempo_min, self.tempo_max = float(tempo_min), float(tempo_max)
        self.tempo_reference, self.density_reference = float(tempo_reference), float(density_reference)
        self.density_sparse, self.density_dense = float(density_sparse), float(density_dense)
        self.truncation = float(truncation)
        self.discriminator_channels = check_positive_int(discriminator_channels, "discriminator_channels")
        self.audio_length_in_s = check_positive_seconds(audio_length_in_s)
        super().__init__(**kwargs)

    @property
    def autoencoder_config(self) -> MusikaAutoencoderConfig:
        return MusikaAutoencoderConfig(**self.autoencoder)

    @property
    def coordinate_frames_per_chunk(self) -> int:
        """Coordinate frames per chunk: the generator upsamples them to ``chunk_latents`` latent frames."""
        return self.chunk_latents // math.prod(self.upsample_factors)

    @property
    def samples_per_chunk(self) -> int:
        return self.chunk_latents * self.autoencoder_config.samples_per_latent

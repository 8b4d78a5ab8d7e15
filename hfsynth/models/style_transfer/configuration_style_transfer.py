"""Configurations of the two style-transfer models: MelGAN-VC (Pasini 2019) and CycleGAN (Zhu et al. 2017).

Both work on the same kind of input, a normalised log spectrogram (mel or CQT) cut into chunks of
``chunk_frames`` frames, so their spectrogram and domain fields live in one base class; each model
adds its own network sizes and loss weights.
"""

from __future__ import annotations

import math

from transformers import PretrainedConfig

from ...audio.validation import check_stft_sizes
from ...validation import check_non_negative_number, check_positive_int, check_sampling_rate

REPRESENTATIONS = ("mel", "cqt")
DIRECTIONS = ("a_to_b", "b_to_a")
#: log(1e-5): the mel magnitude floor (-100 dB), mapped to -1.
DEFAULT_LOG_FLOOR = math.log(1e-5)
#: log(10): a little above the loudest Slaney mel magnitude of a full-scale chord at n_fft 1024, mapped to +1.
DEFAULT_LOG_CEILING = math.log(10.0)


class StyleTransferConfig(PretrainedConfig):
    r"""
    Fields shared by every spectrogram style-transfer model (not registered itself).

    Args:
        representation (`str`, "mel"): "mel" (log-mel, inverted by the mel pseudo-inverse and Griffin-Lim) or
            "cqt" (log-magnitude constant-Q transform, inverted by librosa's CQT Griffin-Lim; slower, CPU only).
        sampling_rate (`int`, 16000): MelGAN-VC paper: 16 kHz.
        n_fft (`int`, 1152) / hop_length (`int`, 192): STFT frame and hop (MelGAN-VC paper values); the CQT uses
            ``hop_length`` only, which must then be divisible by ``2 ** (octaves - 1)``.
        n_mels (`int`, 192): mel bands (paper: 192); for "cqt" the number of CQT bins.
        fmin (`float`, 0) / fmax (`float`, None = Nyquist): mel range; for "cqt" ``fmin`` > 0 is the lowest bin
            (0 means C1) and ``bins_per_octave`` sets the spacing.
        bins_per_octave (`int`, 12): CQT resolution (unused for mel).
        log_floor / log_ceiling (`float`, log 1e-5 / log 10): the natural-log magnitudes mapped to -1 and +1.
            Fixed in the config so the transform of a saved model never changes.
        chunk_frames (`int`, 24): frames the generator sees at once (paper: 24). Longer audio is cut into
            chunks overlapping by half, transferred and cross-faded back (see ``transfer_in_chunks``).
        griffin_lim_iters (`int`, 32) / mel_inverse_iters (`int`, 20): iterations of fast Griffin-Lim and of
            the non-negative mel pseudo-inverse when turning a spectrogram back into audio.
        domain_a / domain_b (`str`, "a" / "b"): names of the two styles (e.g. "piano", "strings"); a direction
            may also be written "<domain_a>_to_<domain_b>".
        direction (`str`, "a_to_b"): the default direction of ``audio_to_audio``.
        min_peak (`float`, 1e-4): audio whose peak is below this is treated as silence (ValueError).
    """

    def __init__(
        self,
        representation: str = "mel",
        sampling_rate: int = 16000,
        n_fft: int = 1152,
        hop_length: int = 192,
        n_mels: int = 192,
        fmin: float = 0.0,
        fmax: float | None = None,
        bins_per_octave: int = 12,
        log_floor: float = DEFAULT_LOG_FLOOR,
        log_ceiling: float = DEFAULT_LOG_CEILING,
        chunk_frames: int = 24,
        griffin_lim_iters: int = 32,
        mel_inverse_iters: int = 20,
        domain_a: str = "a",
        domain_b: str = "b",
        direction: str = "a_to_b",
        min_peak: float = 1e-4,
        **kwargs,
    ):
        if representation not in REPRESENTATIONS:
            raise ValueError(f"representation must be one of {REPRESENTATIONS}; got {representation!r}")
        self.representation = representation
        self.sampling_rate = check_sampling_rate(sampling_rate)
        self.n_fft, self.hop_length, _ = check_stft_sizes(n_fft, hop_length)
        self.n_mels = check_positive_int(n_mels, "n_mels")
        self.fmin = float(fmin)
        self.fmax = None if fmax is None else float(fmax)
        self.bins_per_octave = check_positive_int(bins_per_octave, "bins_per_octave")
        if not (math.isfinite(log_floor) and math.isfinite(log_ceiling) and log_floor < log_ceiling):
            raise ValueError(f"need finite log_floor < log_ceiling; got {log_floor}, {log_ceiling}")
        self.log_floor, self.log_ceiling = float(log_floor), float(log_ceiling)
        self.chunk_frames = check_positive_int(chunk_frames, "chunk_frames")
        if self.chunk_frames < 2 or self.chunk_frames % 2:
            raise ValueError(f"chunk_frames must be even and >= 2 (chunks overlap by half); got {chunk_frames}")
        self.griffin_lim_iters = check_positive_int(griffin_lim_iters, "griffin_lim_iters")
        self.mel_inverse_iters = check_positive_int(mel_inverse_iters, "mel_inverse_iters")
        if not (isinstance(domain_a, str) and isinstance(domain_b, str) and domain_a and domain_b and domain_a != domain_b):
            raise ValueError(f"domain_a and domain_b must be two different non-empty names; got {domain_a!r}, {domain_b!r}")
        self.domain_a, self.domain_b = domain_a, domain_b
        self.min_peak = float(min_peak)
        self.direction = self._resolve(direction, DIRECTIONS)
        super().__init__(**kwargs)

    @property
    def directions(self) -> tuple[str, ...]:
        """Directions this model can transfer in (both by default; MelGAN-VC only its trained one)."""
        return DIRECTIONS

    def resolve_direction(self, direction: str | None) -> str:
        """"a_to_b" / "b_to_a" from either spelling ("piano_to_strings" works too); ValueError otherwise.

        ``None`` is the config's own direction."""
        return self.direction if direction is None else self._resolve(direction, self.directions)

    def _resolve(self, direction: str, allowed_directions: tuple[str, ...]) -> str:
        aliases = {"a_to_b": "a_to_b", "b_to_a": "b_to_a",
                   f"{self.domain_a}_to_{self.domain_b}": "a_to_b", f"{self.domain_b}_to_{self.domain_a}": "b_to_a"}
        resolved = aliases.get(direction) if isinstance(direction, str) else None
        if resolved is None or resolved not in allowed_directions:
            allowed = sorted(name for name, value in aliases.items() if value in allowed_directions)
            raise ValueError(f"unknown direction {direction!r} for this model; allowed: {allowed}")
        return resolved

    @property
    def min_num_samples(self) -> int:
        """The shortest input: one generator chunk of audio."""
        return self.chunk_frames * self.hop_length


def _channels(channels: list[int] | None, default: list[int]) -> list[int]:
    channels = list(default if channels is None else channels)
    if not channels:
        raise ValueError("channels is empty; give one width per U-Net level")
    return [check_positive_int(c, "channels") for c in channels]


class MelGANVCConfig(StyleTransferConfig):
    r"""
    MelGAN-VC (Pasini 2019, "MelGAN-VC: Voice Conversion and Audio Style Transfer on arbitrarily long
    samples using Spectrograms"): one generator A -> B, a spectral-norm discriminator with hinge loss and a
    siamese network whose TraVeL loss keeps the vectors between chunk embeddings, so that transfer keeps
    the relations between chunks. Spectrogram fields: see :class:`StyleTransferConfig`.

    Args:
        generator_channels (`list[int]`, [32, 64, 128]): U-Net widths, one per level (each level halves both
            spectrogram axes, so ``chunk_frames`` and ``n_mels`` must divide by ``2 ** (levels - 1)``).
        discriminator_channels (`list[int]`, [32, 64, 128]): strided spectral-norm convolutions.
        siamese_channels (`list[int]`, [32, 64, 128]) / siamese_dim (`int`, 128): the siamese network and the
            length of its embedding (paper: vec_len 128).
        num_splits (`int`, 3): parts along time that the discriminator sees concatenated (paper: 3), so
            training crops are ``num_splits * chunk_frames`` frames.
        travel_weight (`float`, 10) / margin_weight (`float`, 10, paper's factor 10 on the siamese loss) /
            identity_weight (`float`, 0.5): generator loss = adversarial + 10 (TraVeL) + 0.5 identity;
            siamese loss = 10 (TraVeL + margin).
        margin (`float`, 2): delta of the siamese margin loss max(0, delta - ||t_ij||) (paper: 2).
    """

    model_type = "hfsynth_melganvc"

    def __init__(
        self,
        generator_channels: list[int] | None = None,
        discriminator_channels: list[int] | None = None,
        siamese_channels: list[int] | None = None,
        siamese_dim: int = 128,
        num_splits: int = 3,
        travel_weight: float = 10.0,
        margin_weight: float = 10.0,
        identity_weight: float = 0.5,
        margin: float = 2.0,
        **kwargs,
    ):
        self.generator_channels = _channels(generator_channels, [32, 64, 128])
        self.discriminator_channels = _channels(discriminator_channels, [32, 64, 128])
        self.siamese_channels = _channels(siamese_channels, [32, 64, 128])
        self.siamese_dim = check_positive_int(siamese_dim, "siamese_dim")
        self.num_splits = check_positive_int(num_splits, "num_splits")
        self.travel_weight = check_non_negative_number(travel_weight, "travel_weight")
        self.margin_weight = check_non_negative_number(margin_weight, "margin_weight")
        self.identity_weight = check_non_negative_number(identity_weight, "identity_weight")
        self.margin = check_non_negative_number(margin, "margin")
        super().__init__(**kwargs)
        _check_unet_sizes(self, self.generator_channels)

    @property
    def directions(self) -> tuple[str, ...]:
        """One generator: only the trained direction (the config's ``direction``)."""
        return (self.direction,)


class CycleGANConfig(StyleTransferConfig):
    r"""
    CycleGAN (Zhu et al. 2017) on spectrogram images: two U-Net generators (A -> B, B -> A) with
    reflection padding, two PatchGAN discriminators, least-squares adversarial loss plus cycle and identity
    losses. Spectrogram fields: see :class:`StyleTransferConfig` (here ``chunk_frames`` defaults to 32).

    Args:
        generator_channels (`list[int]`, [32, 64, 128]): U-Net widths per level (as in MelGAN-VC).
        discriminator_channels (`list[int]`, [32, 64, 128]): PatchGAN widths (paper: 64-512, 70x70 patches).
        cycle_weight (`float`, 10): lambda of ||G_BA(G_AB(a)) - a||_1 and the reverse (paper: 10).
        identity_weight (`float`, 5): weight of ||G_AB(b) - b||_1 and ||G_BA(a) - a||_1 (paper: 0.5 lambda).
    """

    model_type = "hfsynth_cyclegan"

    def __init__(
        self,
        generator_channels: list[int] | None = None,
        discriminator_channels: list[int] | None = None,
        cycle_weight: float = 10.0,
        identity_weight: float = 5.0,
        **kwargs,
    ):
        kwargs.setdefault("chunk_frames", 32)
        self.generator_channels = _channels(generator_channels, [32, 64, 128])
        self.discriminator_channels = _channels(discriminator_channels, [32, 64, 128])
        self.cycle_weight = check_non_negative_number(cycle_weight, "cycle_weight")
        self.identity_weight = check_non_negative_number(identity_weight, "identity_weight")
        super().__init__(**kwargs)
        _check_unet_sizes(self, self.generator_channels)


def _check_unet_sizes(config: StyleTransferConfig, channels: list[int]) -> None:
    """Each U-Net level halves both axes, so both must divide by 2 ** (levels - 1)."""
    factor = 2 ** (len(channels) - 1)
    for name in ("chunk_frames", "n_mels"):
        if getattr(config, name) % factor:
            raise ValueError(
                f"{name}={getattr(config, name)} must be divisible by {factor} for a {len(channels)}-level U-Net"
            )

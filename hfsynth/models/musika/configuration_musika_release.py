"""The configuration of the *published* Musika (github.com/marcoppasini/musika: the 44.1 kHz release
and the repository's ``22kHz/`` one).

Unlike :class:`~hfsynth.models.musika.MusikaConfig` (hfsynth's own, CPU-sized redesign), this one
describes the networks the authors released (``marcop/musika_ae`` with ``marcop/musika_techno``,
``musika_misc`` or ``musika_misc_small``) layer for layer, so that their weights load unchanged. Its
fields are the authors' ``parse/parse_generate.py`` arguments under descriptive names; the widths
of every layer follow from them exactly as in the authors' ``models.py``. ``variant`` picks the release: the 22 kHz networks are another
architecture (batch norm in the autoencoders, squeeze-excitation gates in the generator, 8
spectrogram frames per latent frame), described by the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from transformers import PretrainedConfig

from ...validation import check_finite_number, check_positive_int, check_positive_seconds, check_sampling_rate

#: The random half of every coordinate anchor has 64 values in the authors' ``get_noise_interp_multi``.
ANCHOR_RANDOM_CHANNELS = 64
#: Spectrogram frames the first decoder makes at a time (the authors' ``shape // 2``), in both releases.
FRAMES_PER_BLOCK = 64


@dataclass(frozen=True)
class ReleaseVariant:
    """What differs between the two releases beyond the layer widths.

    frames_per_latent: spectrogram frames per latent frame (the first autoencoder level keeps the
        frame rate; encoder 2 turns each window of this many first-level frames into one latent frame).
    latents_per_block: latent frames the second decoder reads at a time; each block becomes
        :data:`FRAMES_PER_BLOCK` first-level frames, decoded by the first decoder on its own.
    first_latent_channels: channels of the first-level latents (None: ``hop // 4``).
    coordinate_spacing: anchors are this many latent windows' halves apart (44.1 kHz: ``coordlen``,
        1.5 windows; 22 kHz: one window, ``latlen``).
    centred_path: the 44.1 kHz path averages neighbouring frames and drops its first ``latlen / 4``;
        the 22 kHz path is the plain interpolation.
    anchor_truncation_floor: the 22 kHz ``get_noise_interp_multi`` draws the anchors' random part with
        a bound of at least 1.75 (the style keeps the asked one).
    default_sampling_rate / default_autoencoder_width / default_truncation: the config's defaults for
        this release (the rate and truncation are not in the weights; the width is the release's).
    """

    frames_per_latent: int
    latents_per_block: int
    first_latent_channels: int | None
    coordinate_spacing: float
    centred_path: bool
    anchor_truncation_floor: float
    default_sampling_rate: int
    default_autoencoder_width: int
    default_truncation: float


VARIANTS = {
    "44khz": ReleaseVariant(16, 4, None, 1.5, True, 0.0, 44100, 256, 2.0),
    # truncation: the 22 kHz demo's default slider (25), 0.01 + 3.5 * 25 / 100
    "22khz": ReleaseVariant(8, 8, 128, 1.0, False, 1.75, 22050, 16, 0.885),
}


class MusikaReleaseConfig(PretrainedConfig):
    r"""
    The published Musika: a two-level spectrogram autoencoder and a latent generator. Defaults are
    the 44.1 kHz release's (``parse/parse_generate.py``); the authors' argument names are in brackets.

    Args:
        variant (`str`, "44khz"): which release: ``"44khz"`` (the repository's root) or ``"22khz"``
            (its ``22kHz/`` folder, ``parse_test.py``: 22050 Hz, autoencoder width 16, truncation 0.885).
        sampling_rate (`int`, the release's: 44100 / 22050): [``sr``] Hz; the weights do not record it.
        hop_length (`int`, 256): [``hop``] STFT hop; the frame and FFT are ``4 * hop_length`` (1024),
            giving ``2 * hop_length + 1`` (513) bins; first-level latents have ``hop_length // 4`` (64) channels.
        autoencoder_width (`int`, the release's: 256 / 16): the unit of the autoencoders' widths, ``hop`` in the release
            (encoder 4x, decoder 3x / 2x / 1x, encoder 2 1x-3x, decoder 2 3x-1x); reduced-width test
            checkpoints divide it. The 22 kHz widths are multiples of ``hop / 16`` (16; e.g. its
            encoder's ``2 * hop + 32`` = 34 x 16), so there it is 16.
        latent_channels (`int`, 64): [``latdepth``] second-level latent channels per audio channel;
            the generator makes ``2 * latent_channels`` (left, then right).
        coordinate_channels (`int`, 64): [``coorddepth``] size of the style vector, the constant part
            of every coordinate anchor; the anchors' random part has 64 values, and the generator
            reads ``2 * latent_channels`` = 64 + ``coordinate_channels`` channels.
        base_channels (`int`, 128): [``base_channels``] generator widths are 7x ... 2x this.
        small (`bool`, False): [``small``] the ``musika_misc_small`` generator: shorter context
            (``latent_length`` 128 instead of 256) and a first stage without upsampling.
        mu_rescale / sigma_rescale (`float`, -25 / 75): [``mu_rescale`` / ``sigma_rescale``] the
            spectrogram normalisation: ``(dB - mu) / sigma``.
        truncation (`float`, the release's: 2.0 / 0.885): [``truncation``] default bound of the truncated standard normal
            that draws the style and the anchors (the authors' truncation trick: a bound, not a scale).
            The 22 kHz demo's default slider (25) gives 0.885.
        audio_length_in_s (`float`, 120.0): [``seconds``] what ``generate`` makes when the call names no length.
    """

    model_type = "hfsynth_musika_release"

    def __init__(
        self,
        variant: str = "44khz",
        sampling_rate: int | None = None,
        hop_length: int = 256,
        autoencoder_width: int | None = None,
        latent_channels: int = 64,
        coordinate_channels: int = 64,
        base_channels: int = 128,
        small: bool = False,
        mu_rescale: float = -25.0,
        sigma_rescale: float = 75.0,
        truncation: float | None = None,
        audio_length_in_s: float = 120.0,
        **kwargs,
    ):
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {sorted(VARIANTS)}; got {variant!r}")
        self.variant = variant
        release = VARIANTS[variant]          # what the weights do not record defaults to the release's
        sampling_rate = release.default_sampling_rate if sampling_rate is None else sampling_rate
        autoencoder_width = release.default_autoencoder_width if autoencoder_width is None else autoencoder_width
        truncation = release.default_truncation if truncation is None else truncation
        self.sampling_rate = check_sampling_rate(sampling_rate)
        self.hop_length = check_positive_int(hop_length, "hop_length")
        if self.hop_length % 4:
            raise ValueError(f"hop_length must be a multiple of 4 (first-level latents have hop / 4 channels); "
                             f"got {hop_length}")
        self.autoencoder_width = check_positive_int(autoencoder_width, "autoencoder_width")
        if self.autoencoder_width % 2 and variant == "44khz":
            raise ValueError(f"autoencoder_width must be even (some layers are 1.5x and 2.5x it); got {autoencoder_width}")
        self.latent_channels = check_positive_int(latent_channels, "latent_channels")
        self.coordinate_channels = check_positive_int(coordinate_channels, "coordinate_channels")
        if self.coordinate_channels + ANCHOR_RANDOM_CHANNELS != 2 * self.latent_channels:
            raise ValueError(
                f"the generator reads 2 * latent_channels = {2 * self.latent_channels} coordinate channels: "
                f"{ANCHOR_RANDOM_CHANNELS} random ones and coordinate_channels style ones; got coordinate_channels "
                f"{coordinate_channels}"
            )
        self.base_channels = check_positive_int(base_channels, "base_channels")
        if not isinstance(small, bool):
            raise ValueError(f"small must be True or False; got {small!r}")
        if small and variant != "44khz":
            raise ValueError(f"small is a 44.1 kHz generator (musika_misc_small); the {variant} release has none")
        self.small = small
        self.mu_rescale = check_finite_number(mu_rescale, "mu_rescale")
        self.sigma_rescale = check_finite_number(sigma_rescale, "sigma_rescale")
        if self.sigma_rescale <= 0:
            raise ValueError(f"sigma_rescale must be > 0; got {sigma_rescale!r}")
        self.truncation = check_finite_number(truncation, "truncation")
        if self.truncation <= 0:
            raise ValueError(f"truncation (the bound of the truncated normal) must be > 0; got {truncation!r}")
        self.audio_length_in_s = check_positive_seconds(audio_length_in_s)
        super().__init__(**kwargs)

    #: Written to config.json even when they equal the class defaults: those defaults follow ``variant``.
    RELEASE_DEFAULTED = ("variant", "sampling_rate", "autoencoder_width", "truncation")

    def to_diff_dict(self) -> dict:
        return {**{key: getattr(self, key) for key in self.RELEASE_DEFAULTED}, **super().to_diff_dict()}

    # ------------------------------------------------------------------------ derived sizes
    @property
    def release(self) -> ReleaseVariant:
        return VARIANTS[self.variant]

    @property
    def frames_per_latent(self) -> int:
        return self.release.frames_per_latent

    @property
    def latents_per_block(self) -> int:
        return self.release.latents_per_block

    @property
    def audio_channels(self) -> int:
        """The release is stereo: the generator's channels are the left latents, then the right."""
        return 2

    @property
    def n_fft(self) -> int:
        return 4 * self.hop_length

    @property
    def num_bins(self) -> int:
        return self.n_fft // 2 + 1

    @property
    def first_latent_channels(self) -> int:
        """Channels of the first autoencoder level's latents (64; 128 at 22 kHz): spectrogram frame rate, bins compressed."""
        return self.release.first_latent_channels or self.hop_length // 4

    @property
    def latent_length(self) -> int:
        """[``latlen``] latent frames of one generator window (256; 128 when ``small``)."""
        return 128 if self.small else 256

    @property
    def segment_frames(self) -> int:
        """Latent frames the generator makes at once: half a window, each half is generated on its own (128)."""
        return self.latent_length // 2

    @property
    def coordinate_length(self) -> int:
        """[``coordlen``] coordinate frames between two anchors (384; 192 when ``small``; 256 at 22 kHz)."""
        return int(self.latent_length * self.release.coordinate_spacing)

    @property
    def path_offset(self) -> int:
        """Frames the path drops at its start (the 44.1 kHz ``rls[:, latlen // 4:]``; none at 22 kHz)."""
        return self.latent_length // 4 if self.release.centred_path else 0

    @property
    def samples_per_latent(self) -> int:
        """Audio samples per latent frame (4096: 92.9 ms at 44.1 kHz; 2048 at 22 kHz, the same time)."""
        return self.frames_per_latent * self.hop_length

    @property
    def samples_per_segment(self) -> int:
        """Audio samples one generator segment becomes (524,288: 11.9 s at 44.1 kHz)."""
        return self.segment_frames * self.samples_per_latent

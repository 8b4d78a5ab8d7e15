"""GANSynth configuration (Engel et al. 2019, "GANSynth: Adversarial Neural Audio Synthesis")."""

from __future__ import annotations

import math

from transformers import PretrainedConfig

from ...audio.validation import check_stft_sizes
from ...validation import (
    check_finite_number,
    check_non_negative_number,
    check_positive_int,
    check_positive_number,
    check_positive_seconds,
    check_sampling_rate,
)

REPRESENTATIONS = ("mag_if", "mel_if")
SPECTRAL_FRONTENDS = ("hfsynth", "magenta")
INPUT_LAYERS = ("dense", "padded_conv")
INPUT_NORMALIZATIONS = ("latent", "latent_and_pitch")
#: magenta's ``specgrams_prespecified_normalizer`` (``mag_normalizer_a/b``, ``p_normalizer_a/b``):
#: normalised = a * value + b per channel (log magnitude, IF).
MAGENTA_NORMALIZER_SCALE = [0.0661371661726, 0.8]
MAGENTA_NORMALIZER_OFFSET = [0.113718730221, 0.0]
#: log(1e-6): the magnitude floor of :func:`hfsynth.audio.mag_if_from_audio`, mapped to -1.
DEFAULT_LOG_MAGNITUDE_FLOOR = math.log(1e-6)
DEFAULT_STAGE_RESOLUTIONS = [[8, 2], [16, 4], [32, 8], [64, 16], [128, 32], [256, 64]]
DEFAULT_CHANNELS = [128, 128, 64, 32, 16, 8]
#: The published GANSynth (magenta's ``configs/mel_prog_hires.py``: IF-Mel, high frequency resolution,
#: progressive): 4 s notes at 16 kHz as 1024 mel bands x 128 frames, MIDI 24-84, 7.3 M parameters.
PUBLISHED = dict(
    representation="mel_if", sampling_rate=16000, audio_length_in_s=4.0, n_fft=1024, hop_length=256,
    high_frequency_resolution=True, stage_resolutions=[[16 * 2**k, 2 * 2**k] for k in range(7)],
    channels=[256, 256, 256, 256, 128, 64, 32], pitch_min=24, pitch_max=84, latent_size=256, pitch_scale=1.0,
    input_layer="padded_conv", input_normalization="latent_and_pitch", spectral_frontend="magenta",
)


class GANSynthConfig(PretrainedConfig):
    r"""
    One config describes both networks: the discriminator mirrors the generator stage by stage, so
    sharing the resolutions, channels and pitch range is what keeps them compatible.

    The defaults are sized for a CPU: 1.024 s notes at 16 kHz as 256 linear bins x 64 frames (STFT
    512 / 256), six progressive stages, 1.2 M generator and 0.9 M discriminator parameters (see
    ``configs/gansynth_small.yaml`` for step times). The paper's values are given with each field;
    :meth:`published` is magenta's published generator exactly (what ``hfsynth convert gansynth`` loads).

    Args:
        representation (`str`, "mag_if"): what the generator outputs, two channels per time-frequency
            cell: log magnitude and instantaneous frequency (IF) on a linear-frequency ("mag_if") or
            mel-frequency ("mel_if") axis. Paper: IF-Mel with high frequency resolution was best, IF
            (linear) with it close. The default is linear because its inverse is exact (61-87 dB SNR on
            C2-C6 test notes at the default size, away from the last half window) while the mel one
            loses phase detail wherever mel bands are coarser than FFT bins (13-46 dB with 256 bands;
            worse with fewer).
        sampling_rate (`int`, 16000): paper 16 kHz (NSynth).
        audio_length_in_s (`float`, 1.024): length of a generated note; must equal the top stage's
            frames x the STFT hop (paper: 4 s, 64000 samples).
        n_fft (`int`, 256) / hop_length (`int`, 128): the baseline STFT frame and hop
            (paper: 1024 / 256, giving 256 frames x 512 bins).
        high_frequency_resolution (`bool`, True): the paper's "H": double the frame and the hop
            (paper: 2048 / 512, giving 128 frames x 1024 bins), resolving the harmonics of low notes.
            :attr:`stft_n_fft` and :attr:`stft_hop_length` are the values actually used.
        stage_resolutions (`list[list[int]]`): [frequency rows, frames] of each progressive stage, lowest
            first; each doubles both sizes of the one before. The top stage is the spectrogram: its rows are
            ``stft_n_fft // 2`` linear bins (the Nyquist bin is dropped) for "mag_if", or the number of mel
            bands for "mel_if". Paper (time x frequency): 2x16, 4x32, ..., 128x1024, seven stages.
        channels (`list[int]`, [128, 128, 64, 32, 16, 8]): feature maps at each stage, lowest resolution
            first, in both networks (paper: 256 at the low resolutions, fewer at the highest).
        pitch_min / pitch_max (`int`, 36 / 84): MIDI pitches the model is conditioned on, inclusive
            (C2-C6; paper: 24-84, 61 pitches). One-hot, concatenated with the latent.
        latent_size (`int`, 256): the random vector, normalised onto a sphere (paper: 256).
        pitch_scale (`float`, sqrt(latent_size)): the value of the hot entry of the one-hot pitch. The
            latent on the sphere has norm sqrt(latent_size); a plain one-hot (1.0) is then a 1/16
            perturbation of the generator's input, and a CPU run's generator all but ignored it (its
            output varied 10x less across pitches than across latents). The default puts both halves
            of the input on an equal footing.
        pixel_norm (`bool`, True): normalise every generator feature vector to unit mean square
            (progressive GAN, Karras et al. 2018, as in GANSynth).
        equalized_learning_rate (`bool`, True): weights drawn from N(0, 1) and scaled by He's constant
            at run time, so Adam's step is the same relative size for every layer (progressive GAN).
        minibatch_std_group_size (`int`, 4): groups over which the discriminator measures sample
            variety (its "minibatch standard deviation" feature; progressive GAN: 4).
        log_magnitude_floor (`float`, log 1e-6) / log_magnitude_ceiling (`float`, log(stft_n_fft / 4)):
            the log magnitudes mapped to -1 and +1. The ceiling defaults to a full-scale sine's peak
            under the Hann window. The IF is already in [-1, 1]. Stored so that the transform of a
            saved model never changes.
        gradient_penalty_weight (`float`, 10): lambda of WGAN-GP (Gulrajani et al. 2017; paper 10).
        drift_penalty_weight (`float`, 0.001): epsilon of the progressive GAN's penalty on the critic's
            real scores, keeping them near 0.
        aux_pitch_weight (`float`, 10): weight of the auxiliary pitch classification (AC-GAN) loss, for
            the discriminator on real and generated notes and for the generator on its own notes
            (10 in GANSynth's training setup).
        harmonic_conditioning (`bool`, False): an addition to the paper. A "harmonic comb" of the
            requested pitch (``harmonic_comb``: 1 on the rows at a harmonic of its fundamental, 0
            between) is an extra input channel of every generator block after the first and of the
            critic, next to the spectrogram. The paper's generator sees the pitch only as a one-hot
            at its input and must learn to place every harmonic on its rows through the upsampling
            convolutions, and its critic judges realism whatever the pitch; with the comb, placing
            the harmonics is local for one and checking them is local for the other.
        input_layer (`str`, "dense"): how the generator makes its first feature map from the latent
            and pitch. "dense": a dense layer to (channels[0], rows, frames). "padded_conv": the
            published GANSynth's: the input as a 1x1 map, zero-padded to (2 rows - 1, 2 frames - 1)
            and a 'valid' rows x frames convolution. Both are linear maps of the input; they differ in
            the weights' layout and in the equalised learning rate's constant (the convolution's
            fan-in counts its rows x frames taps).
        input_normalization (`str`, "latent"): what PixelNorm projects onto the sphere at the input.
            "latent": the latent alone, the scaled one-hot pitch appended after it. "latent_and_pitch":
            the concatenation of both (the published GANSynth, whose pitch_scale is 1).
        spectral_frontend (`str`, "hfsynth"): the spectrogram conventions. "hfsynth": hfsynth's own
            (centred STFT frames, the Nyquist bin dropped, :mod:`hfsynth.audio.phase`'s mel warp,
            log magnitude scaled by the floor and ceiling). "magenta": the published checkpoints' exactly
            (:mod:`hfsynth.audio.magenta_specgrams`: all the padding in front of the note, the DC bin
            dropped, magenta's mel matrix, IF and inverse STFT, and the affine normaliser below); the
            note may then be shorter than frames x hop (published: 64000 samples in 128 frames of 512).
        normalizer_scale / normalizer_offset (`list[float]`): with the "magenta" front end, the per-channel
            (log magnitude, IF) normalisation: normalised = scale * value + offset, clipped to [-1, 1]
            (magenta's ``specgrams_prespecified_normalizer``; default its published a = [0.0661371661726,
            0.8], b = [0.113718730221, 0]). The "hfsynth" front end takes neither.
    """

    model_type = "hfsynth_gansynth"

    @classmethod
    def published(cls, **overrides) -> GANSynthConfig:
        """The published GANSynth's generator (:data:`PUBLISHED`), with ``overrides`` (e.g. other widths)."""
        return cls(**{**PUBLISHED, **overrides})

    def __init__(
        self,
        representation: str = "mag_if",
        sampling_rate: int = 16000,
        audio_length_in_s: float = 1.024,
        n_fft: int = 256,
        hop_length: int = 128,
        high_frequency_resolution: bool = True,
        stage_resolutions: list[list[int]] | None = None,
        channels: list[int] | None = None,
        pitch_min: int = 36,
        pitch_max: int = 84,
        latent_size: int = 256,
        pitch_scale: float | None = None,
        pixel_norm: bool = True,
        equalized_learning_rate: bool = True,
        minibatch_std_group_size: int = 4,
        log_magnitude_floor: float = DEFAULT_LOG_MAGNITUDE_FLOOR,
        log_magnitude_ceiling: float | None = None,
        gradient_penalty_weight: float = 10.0,
        drift_penalty_weight: float = 0.001,
        aux_pitch_weight: float = 10.0,
        harmonic_conditioning: bool = False,
        input_layer: str = "dense",
        input_normalization: str = "latent",
        spectral_frontend: str = "hfsynth",
        normalizer_scale: list[float] | None = None,
        normalizer_offset: list[float] | None = None,
        **kwargs,
    ):
        self.representation = _check_choice(representation, REPRESENTATIONS, "representation")
        self.sampling_rate = check_sampling_rate(sampling_rate)
        self.audio_length_in_s = check_positive_seconds(audio_length_in_s)
        self.n_fft, self.hop_length, _ = check_stft_sizes(n_fft, hop_length)
        self.high_frequency_resolution = bool(high_frequency_resolution)
        self.stage_resolutions = _check_stages(stage_resolutions or DEFAULT_STAGE_RESOLUTIONS)
        self.channels = [check_positive_int(c, "channels") for c in (channels or DEFAULT_CHANNELS)]
        if not 0 <= pitch_min <= pitch_max <= 127:
            raise ValueError(f"need 0 <= pitch_min <= pitch_max <= 127; got {pitch_min}, {pitch_max}")
        self.pitch_min, self.pitch_max = int(pitch_min), int(pitch_max)
        self.latent_size = check_positive_int(latent_size, "latent_size")
        self.pitch_scale = math.sqrt(self.latent_size) if pitch_scale is None else check_positive_number(pitch_scale, "pitch_scale")
        self.pixel_norm = bool(pixel_norm)
        self.equalized_learning_rate = bool(equalized_learning_rate)
        self.minibatch_std_group_size = check_positive_int(minibatch_std_group_size, "minibatch_std_group_size")
        self.log_magnitude_floor = float(log_magnitude_floor)
        self.log_magnitude_ceiling = float(
            math.log(self.stft_n_fft / 4) if log_magnitude_ceiling is None else log_magnitude_ceiling
        )
        self.gradient_penalty_weight = check_non_negative_number(gradient_penalty_weight, "gradient_penalty_weight")
        self.drift_penalty_weight = check_non_negative_number(drift_penalty_weight, "drift_penalty_weight")
        self.aux_pitch_weight = check_non_negative_number(aux_pitch_weight, "aux_pitch_weight")
        self.harmonic_conditioning = bool(harmonic_conditioning)
        self.input_layer = _check_choice(input_layer, INPUT_LAYERS, "input_layer")
        self.input_normalization = _check_choice(input_normalization, INPUT_NORMALIZATIONS, "input_normalization")
        self.spectral_frontend = _check_choice(spectral_frontend, SPECTRAL_FRONTENDS, "spectral_frontend")
        self.normalizer_scale, self.normalizer_offset = self._normalizer(normalizer_scale, normalizer_offset)
        self._check_consistency()
        super().__init__(**kwargs)

    def _normalizer(self, scale: list[float] | None, offset: list[float] | None
                    ) -> tuple[list[float] | None, list[float] | None]:
        """The magenta front end's (scale, offset), defaulting to magenta's; ``None`` for hfsynth's."""
        if self.spectral_frontend != "magenta":
            if scale is not None or offset is not None:
                raise ValueError("normalizer_scale / normalizer_offset belong to spectral_frontend='magenta'; the "
                                 "hfsynth front end scales by log_magnitude_floor / log_magnitude_ceiling")
            return None, None
        scale = list(MAGENTA_NORMALIZER_SCALE if scale is None else scale)
        offset = list(MAGENTA_NORMALIZER_OFFSET if offset is None else offset)
        if len(scale) != 2 or len(offset) != 2:
            raise ValueError(f"normalizer_scale and normalizer_offset hold 2 values (log magnitude, IF); "
                             f"got {scale!r} and {offset!r}")
        scale = [check_positive_number(value, "normalizer_scale") for value in scale]
        return scale, [check_finite_number(value, "normalizer_offset") for value in offset]

    def _check_consistency(self) -> None:
        """The fields that must agree: channels per stage, spectrogram size, note length, magnitude range."""
        if len(self.channels) != self.num_stages:
            raise ValueError(
                f"channels has {len(self.channels)} entries for {self.num_stages} stages; give one per stage"
            )
        if self.stft_hop_length >= self.stft_n_fft:
            raise ValueError(
                f"hop_length ({self.hop_length}) must be smaller than n_fft ({self.n_fft}) so that frames overlap "
                "and the inverse STFT exists"
            )
        if self.spectral_frontend == "magenta":
            self._check_magenta_frontend()
        else:
            self._check_hfsynth_frontend()
        if not self.log_magnitude_floor < self.log_magnitude_ceiling:
            raise ValueError(
                f"need log_magnitude_floor < log_magnitude_ceiling; got {self.log_magnitude_floor}, "
                f"{self.log_magnitude_ceiling}"
            )

    def _check_hfsynth_frontend(self) -> None:
        """Rows: linear bins without Nyquist, or mel bands; frames: exactly the note's hops."""
        rows, frames = self.stage_resolutions[-1]
        if self.representation == "mag_if" and rows != self.stft_n_fft // 2:
            raise ValueError(
                f"a mag_if model's top stage has stft_n_fft // 2 = {self.stft_n_fft // 2} frequency rows; "
                f"stage_resolutions ends with {rows}"
            )
        if self.representation == "mel_if" and rows < 2:
            raise ValueError(f"a mel_if model needs at least 2 mel bands in its top stage; got {rows}")
        if self.num_samples != frames * self.stft_hop_length:
            seconds = frames * self.stft_hop_length / self.sampling_rate
            raise ValueError(
                f"audio_length_in_s={self.audio_length_in_s} gives {self.num_samples} samples, but the top stage's "
                f"{frames} frames of hop {self.stft_hop_length} cover {frames * self.stft_hop_length}: "
                f"use audio_length_in_s={seconds:g}"
            )

    def _check_magenta_frontend(self) -> None:
        """Rows: n_fft // 2 bins or as many mel bands (magenta has no other); frames: enough to cover the
        note, the rest of the last frame padded in front."""
        rows, frames = self.stage_resolutions[-1]
        if rows != self.stft_n_fft // 2:
            raise ValueError(
                f"with the magenta front end the top stage has stft_n_fft // 2 = {self.stft_n_fft // 2} rows "
                f"(bins without DC, or as many mel bands); stage_resolutions ends with {rows}"
            )
        covered = self.stft_hop_length * (frames - 1) + self.stft_n_fft
        if self.num_samples > covered:
            raise ValueError(
                f"audio_length_in_s={self.audio_length_in_s} gives {self.num_samples} samples, more than the "
                f"{covered} that {frames} frames of hop {self.stft_hop_length} and n_fft {self.stft_n_fft} cover"
            )

    @property
    def stft_n_fft(self) -> int:
        """The STFT frame used: ``n_fft``, doubled with high frequency resolution."""
        return self.n_fft * (2 if self.high_frequency_resolution else 1)

    @property
    def stft_hop_length(self) -> int:
        """The STFT hop used: ``hop_length``, doubled with high frequency resolution."""
        return self.hop_length * (2 if self.high_frequency_resolution else 1)

    @property
    def num_samples(self) -> int:
        """Samples in a generated note."""
        return round(self.audio_length_in_s * self.sampling_rate)

    @property
    def num_stages(self) -> int:
        return len(self.stage_resolutions)

    @property
    def num_pitches(self) -> int:
        return self.pitch_max - self.pitch_min + 1

    @property
    def spectrogram_shape(self) -> tuple[int, int]:
        """(frequency rows, frames) of a generated note's spectrogram: the top stage."""
        rows, frames = self.stage_resolutions[-1]
        return rows, frames


def _check_choice(value: str, choices: tuple[str, ...], name: str) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def _check_stages(stages: list[list[int]]) -> list[list[int]]:
    """Stages as [rows, frames] pairs, each doubling the previous one (what 2x up/down-sampling needs)."""
    try:
        pairs = [[check_positive_int(rows, "stage rows"), check_positive_int(frames, "stage frames")]
                 for rows, frames in stages]
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"stage_resolutions must be a list of [rows, frames] positive integers; got {stages!r}"
        ) from error
    if not pairs:
        raise ValueError("stage_resolutions is empty; give at least one [rows, frames] stage")
    for lower, higher in zip(pairs, pairs[1:]):
        if higher != [2 * lower[0], 2 * lower[1]]:
            raise ValueError(f"each stage must double the previous one in both sizes; {lower} is followed by {higher}")
    return pairs

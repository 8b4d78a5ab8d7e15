"""Short-time Fourier transform and its inverse, batched over leading dims and differentiable.

Every spectral feature in hfsynth (mel, instantaneous frequency, Griffin-Lim) goes through these two
functions, so frame sizes are checked once and every model frames audio the same way:
complex spectrograms have shape (..., n_fft // 2 + 1, frames).
"""

from __future__ import annotations

import torch

from ..validation import check_positive_int
from .validation import check_audio_tensor, check_stft_sizes

_WINDOWS = {
    "hann": torch.hann_window,
    "hamming": torch.hamming_window,
    "blackman": torch.blackman_window,
    "rectangular": lambda length, periodic, device, dtype: torch.ones(length, device=device, dtype=dtype),
}
# Windows are tiny but built on every call of a training step; keyed by everything that makes them differ.
_WINDOW_CACHE: dict[tuple[str, int, torch.device, torch.dtype], torch.Tensor] = {}


def get_window(
    window: str, win_length: int, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """A periodic analysis window (the STFT convention, so overlap-add sums to a constant), cached per device/dtype."""
    if window not in _WINDOWS:
        raise ValueError(f"unknown window {window!r}; choose one of {sorted(_WINDOWS)}")
    win_length = check_positive_int(win_length, "win_length")
    key = (window, win_length, torch.device(device), dtype)
    if key not in _WINDOW_CACHE:
        # A window first asked for under torch.inference_mode() would be an inference tensor, which
        # autograd refuses later (training after generation): cached tensors are always built outside it.
        with torch.inference_mode(False):
            _WINDOW_CACHE[key] = _WINDOWS[window](win_length, periodic=True, device=device, dtype=dtype)
    return _WINDOW_CACHE[key]


def check_spectrogram(
    spec: object, n_fft: int | None = None, name: str = "spec", require_complex: bool = False
) -> torch.Tensor:
    """Returns ``spec`` as a tensor of shape (..., freq, frames); with ``n_fft``, checks ``freq == n_fft // 2 + 1``."""
    if not isinstance(spec, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape (..., freq, frames); got {type(spec).__name__}")
    if require_complex and not spec.is_complex():
        raise ValueError(f"{name} must be a complex spectrogram; got dtype {spec.dtype}")
    if spec.ndim < 2:
        raise ValueError(f"{name} must have shape (..., freq, frames); got {tuple(spec.shape)}")
    if spec.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(spec.shape)})")
    if n_fft is not None and spec.shape[-2] != check_positive_int(n_fft, "n_fft") // 2 + 1:
        raise ValueError(f"{name} has {spec.shape[-2]} frequency bins; n_fft={n_fft} gives {n_fft // 2 + 1}")
    return spec


def stft(
    audio: torch.Tensor,
    n_fft: int,
    hop_length: int,
    win_length: int | None = None,
    window: str = "hann",
    center: bool = True,
    pad_mode: str = "reflect",
) -> torch.Tensor:
    """Complex STFT of ``audio`` (..., samples) -> (..., n_fft // 2 + 1, frames).

    With ``center=True`` frame ``t`` is centred on sample ``t * hop_length`` and there are
    ``samples // hop_length + 1`` frames.
    """
    audio = check_audio_tensor(audio)
    n_fft, hop_length, win_length = check_stft_sizes(n_fft, hop_length, win_length)
    samples = audio.shape[-1]
    if center and pad_mode == "reflect" and samples <= n_fft // 2:
        raise ValueError(
            f"audio has {samples} samples; reflect padding with n_fft={n_fft} needs more than {n_fft // 2}"
        )
    if not center and samples < n_fft:
        raise ValueError(f"audio has {samples} samples; center=False needs at least n_fft={n_fft}")
    leading = audio.shape[:-1]
    spec = torch.stft(
        audio.reshape(-1, samples),
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=get_window(window, win_length, audio.device, audio.dtype),
        center=center,
        pad_mode=pad_mode,
        return_complex=True,
    )  # (batch, freq, frames)
    return spec.reshape(*leading, *spec.shape[-2:])


def istft(
    spec: torch.Tensor,
    n_fft: int,
    hop_length: int,
    length: int | None = None,
    win_length: int | None = None,
    window: str = "hann",
    center: bool = True,
) -> torch.Tensor:
    """Inverse of :func:`stft`: complex (..., n_fft // 2 + 1, frames) -> real (..., samples).

    Pass ``length`` (the original sample count) to get exactly that many samples back; otherwise the
    last partial hop is dropped.
    """
    spec = check_spectrogram(spec, n_fft, require_complex=True)
    n_fft, hop_length, win_length = check_stft_sizes(n_fft, hop_length, win_length)
    if length is not None:
        length = check_positive_int(length, "length")
    leading = spec.shape[:-2]
    audio = torch.istft(
        spec.reshape(-1, *spec.shape[-2:]),
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=get_window(window, win_length, spec.device, spec.real.dtype),
        center=center,
        length=length,
    )  # (batch, samples)
    return audio.reshape(*leading, audio.shape[-1])


def magnitude_phase(spec: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Splits a complex spectrogram into magnitude and phase (radians, in [-pi, pi])."""
    spec = check_spectrogram(spec, require_complex=True)
    return spec.abs(), spec.angle()


def polar_spectrogram(magnitude: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`magnitude_phase`: ``magnitude * exp(i * phase)``."""
    if magnitude.shape != phase.shape:
        raise ValueError(f"magnitude {tuple(magnitude.shape)} and phase {tuple(phase.shape)} must have the same shape")
    return torch.polar(magnitude, phase)


def log_magnitude(spec: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """``log(max(|spec|, eps))``: the clamp keeps silent bins finite (log(eps)) and their gradient zero.

    A complex ``spec`` is reduced to its magnitude first; a real one is taken to be a magnitude already.
    """
    spec = check_spectrogram(spec)
    if eps <= 0:
        raise ValueError(f"eps must be > 0 so that log stays finite; got {eps}")
    magnitude = spec.abs() if spec.is_complex() else spec
    return magnitude.clamp(min=eps).log()

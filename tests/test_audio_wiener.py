"""Open-Unmix's Wiener post-filter on its own: against open-unmix's outputs for the fixture's
magnitude estimates, and its properties (sources sum to the mixture, windows are independent)."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from hfsynth.audio.spectral import istft, stft
from hfsynth.audio.wiener import expectation_maximization, invert_channel_matrices, wiener, with_mixture_phase

FIXTURE = Path(__file__).parent / "fixtures" / "openunmix"
TARGETS = ["vocals", "drums", "bass", "other"]


def random_spectra(batch=1, sources=3, channels=2, bins=9, frames=20, seed=0) -> tuple[torch.Tensor, torch.Tensor]:
    """Complex mixture (batch, channels, bins, frames) and magnitude estimates under it
    (batch, sources, channels, bins, frames)."""
    g = torch.Generator().manual_seed(seed)
    mixture = torch.complex(torch.randn(batch, channels, bins, frames, generator=g),
                            torch.randn(batch, channels, bins, frames, generator=g))
    magnitudes = torch.rand(batch, sources, channels, bins, frames, generator=g) * mixture.abs().unsqueeze(1)
    return mixture, magnitudes


@pytest.mark.parametrize("run, niter, residual", [
    ("separate.niter0", 0, False), ("separate.niter1", 1, False), ("separate.niter1_residual", 1, True),
])
def test_open_unmix_s_waveforms_from_its_magnitude_estimates(run, niter, residual):
    vectors = load_file(FIXTURE / "vectors.safetensors")
    audio = vectors["audio"]                                                       # (1, 2, samples)
    mixture = stft(audio, 512, 128)
    sources = with_mixture_phase(torch.stack([vectors[f"estimate.{t}"] for t in TARGETS], dim=1), mixture)
    if residual:
        sources = torch.cat([sources, (mixture - sources.sum(dim=1)).unsqueeze(1)], dim=1)
    stems = istft(wiener(sources, mixture, niter, window_frames=32), 512, 128, length=audio.shape[-1])
    torch.testing.assert_close(stems, vectors[run], atol=1e-4, rtol=0)


def test_the_initial_estimates_have_the_mixture_s_phase():
    mixture, magnitudes = random_spectra()
    sources = with_mixture_phase(magnitudes, mixture)
    torch.testing.assert_close(sources.abs(), magnitudes)
    torch.testing.assert_close(torch.polar(torch.ones(()), sources.angle()),
                               torch.polar(torch.ones(()), mixture.angle()).unsqueeze(1).expand_as(sources))
    mono = with_mixture_phase(magnitudes[:, :, :1], mixture)                     # a mono estimate, stereo mixture
    assert mono.shape == sources.shape and torch.allclose(mono.abs()[:, :, 1], magnitudes[:, :, 0])


@pytest.mark.parametrize("channels", [1, 2])
def test_em_splits_the_mixture_between_the_sources(channels):
    mixture, magnitudes = random_spectra(channels=channels)
    refined = expectation_maximization(with_mixture_phase(magnitudes, mixture), mixture, iterations=2)
    assert refined.shape == magnitudes.shape
    # exactly, but for the regularisation: sum_j y_j = x - sqrt(eps) C_xx^-1 x
    torch.testing.assert_close(refined.sum(dim=1), mixture, atol=1e-3, rtol=1e-3)


def test_no_iterations_keep_the_estimates_and_windows_are_independent():
    mixture, magnitudes = random_spectra(batch=2, frames=20)
    sources = with_mixture_phase(magnitudes, mixture)
    assert wiener(sources, mixture, iterations=0) is sources
    windowed = wiener(sources, mixture, iterations=1, window_frames=8)             # windows [0, 8), [8, 16), [16, 20)
    torch.testing.assert_close(windowed[..., 16:], wiener(sources[..., 16:], mixture[..., 16:], 1, None))
    torch.testing.assert_close(wiener(sources, mixture, 1, None), wiener(sources, mixture, 1, 20))
    assert not torch.allclose(windowed, wiener(sources, mixture, 1, None))


def test_loud_windows_are_scaled_to_the_same_level_before_em():
    mixture, magnitudes = random_spectra()                                         # peak |x| about 4: not scaled
    sources = with_mixture_phase(magnitudes, mixture)
    loud, louder = wiener(100 * sources, 100 * mixture, 1), wiener(1000 * sources, 1000 * mixture, 1)
    torch.testing.assert_close(louder, 10 * loud, atol=1e-3, rtol=1e-5)


def test_channel_matrices_invert_in_closed_form():
    g = torch.Generator().manual_seed(1)
    for channels in (1, 2):
        matrices = torch.complex(torch.randn(5, 3, channels, channels, generator=g),
                                 torch.randn(5, 3, channels, channels, generator=g))
        torch.testing.assert_close(invert_channel_matrices(matrices), torch.linalg.inv(matrices), atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="one or two channels; got 3"):
        invert_channel_matrices(torch.ones(3, 3, dtype=torch.complex64))

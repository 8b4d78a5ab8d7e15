"""Sample-level ratios in dB: SDR, SI-SDR, SI-SNR and SDR improvement (separation, vocoders, style
transfer), and BSS-Eval's SDR, the number published MUSDB18 separation results report.

All take time-aligned clips of equal length and return one value per clip (a float for one clip).

Clipping: every ratio is clipped to [-MAX_DB, +MAX_DB] = [-100, 100] dB, so a perfect estimate gives
+100 dB, not inf, and nothing gives NaN. The edge cases follow from the energies:
zero error energy -> +100 dB (this includes a silent estimate of a silent reference);
zero target energy with a nonzero error (e.g. a silent reference) -> -100 dB.
"""

from __future__ import annotations

import numpy as np
import torch

from ._inputs import AudioSet, as_paired_sets, map_chunks

MAX_DB = 100.0


def _ratio_db(target_energy: torch.Tensor, error_energy: torch.Tensor) -> torch.Tensor:
    """10 log10(target / error), clipped to +-MAX_DB; error 0 -> +MAX_DB."""
    tiny = torch.finfo(target_energy.dtype).tiny
    db = 10.0 * (target_energy.clamp_min(tiny).log10() - error_energy.clamp_min(tiny).log10())
    db = torch.where(error_energy == 0, torch.full_like(db, MAX_DB), db)
    return db.clamp(-MAX_DB, MAX_DB)


def sdr_kernel(reference: torch.Tensor, estimate: torch.Tensor) -> torch.Tensor:
    """Per-clip SDR (B,) of two (B, samples) chunks (see :func:`sdr`)."""
    reference, estimate = reference.double(), estimate.double()
    return _ratio_db(reference.square().sum(dim=1), (reference - estimate).square().sum(dim=1))


def si_sdr_kernel(reference: torch.Tensor, estimate: torch.Tensor) -> torch.Tensor:
    """Per-clip SI-SDR (B,) of two (B, samples) chunks (see :func:`si_sdr`)."""
    reference, estimate = reference.double(), estimate.double()
    energy = reference.square().sum(dim=1, keepdim=True)
    scale = (estimate * reference).sum(dim=1, keepdim=True) / energy.clamp_min(torch.finfo(torch.float64).tiny)
    target = scale * reference                                                     # 0 for a silent reference
    db = _ratio_db(target.square().sum(dim=1), (estimate - target).square().sum(dim=1))
    # A silent estimate leaves target and error both 0; it recovered nothing of an audible reference.
    missed = (estimate == 0).all(dim=1) & (energy[:, 0] > 0)
    return torch.where(missed, torch.full_like(db, -MAX_DB), db)


def _zero_mean(audio: torch.Tensor) -> torch.Tensor:
    return audio.double() - audio.double().mean(dim=1, keepdim=True)


def sdr(reference: AudioSet, estimate: AudioSet) -> float | np.ndarray:
    """Signal-to-distortion ratio ``10 log10(||s||^2 / ||s - s_hat||^2)`` in dB.

    The plain energy ratio used by the Music Demixing challenge (no BSS-Eval distortion filter), so
    any gain error counts as distortion: a copy scaled by 0.5 scores 6.02 dB. Clipped at +-100 dB.
    """
    ref_set, est_set = as_paired_sets(reference=reference, estimate=estimate)
    return ref_set.output(map_chunks(sdr_kernel, ref_set, est_set))


def bss_eval_sdr(reference: AudioSet, estimate: AudioSet, filter_length: int = 512) -> float | np.ndarray:
    """BSS-Eval's SDR (Vincent et al. 2006, "Performance measurement in blind audio source separation").

    The estimate's part that a time-invariant filter of ``filter_length`` taps can make from the
    reference counts as the target, the rest as distortion: ``10 log10(||s_target||^2 / ||e||^2)``.
    This is the SDR of MUSDB18 / SiSEC results (museval computes it per second and reports the
    median; here it is one value per clip), unlike :func:`sdr`, the plain energy ratio of the Music
    Demixing challenge. Computed by ``fast_bss_eval`` (``pip install "hfsynth[evaluate]"``), clipped
    at +-100 dB.
    """
    try:
        import fast_bss_eval
    except ImportError as error:
        raise ImportError('bss_eval_sdr needs fast_bss_eval: pip install "hfsynth[evaluate]"') from error
    ref_set, est_set = as_paired_sets(reference=reference, estimate=estimate)

    def kernel(ref: torch.Tensor, est: torch.Tensor) -> torch.Tensor:
        sdr_db = fast_bss_eval.sdr(ref.double()[:, None], est.double()[:, None], filter_length=filter_length,
                                   clamp_db=MAX_DB)
        return sdr_db[:, 0]

    return ref_set.output(map_chunks(kernel, ref_set, est_set))


def si_sdr(reference: AudioSet, estimate: AudioSet) -> float | np.ndarray:
    """Scale-invariant SDR (Le Roux et al. 2019, "SDR - half-baked or well done?").

    With ``a = <s_hat, s> / ||s||^2``: ``10 log10(||a s||^2 / ||s_hat - a s||^2)`` in dB, so a
    rescaled copy scores like the copy itself. No mean removal. Clipped at +-100 dB.
    """
    ref_set, est_set = as_paired_sets(reference=reference, estimate=estimate)
    return ref_set.output(map_chunks(si_sdr_kernel, ref_set, est_set))


def si_snr(reference: AudioSet, estimate: AudioSet) -> float | np.ndarray:
    """Scale-invariant SNR (Luo & Mesgarani 2019, Conv-TasNet): SI-SDR after removing each clip's mean.

    Clipped at +-100 dB.
    """
    ref_set, est_set = as_paired_sets(reference=reference, estimate=estimate)
    return ref_set.output(
        map_chunks(lambda ref, est: si_sdr_kernel(_zero_mean(ref), _zero_mean(est)), ref_set, est_set)
    )


def sdr_improvement(
    reference: AudioSet, mixture: AudioSet, estimate: AudioSet, scale_invariant: bool = False
) -> float | np.ndarray:
    """SDR gained by separation: ``SDR(reference, estimate) - SDR(reference, mixture)`` in dB.

    With ``scale_invariant=True`` both terms are SI-SDR (SI-SDRi, the usual separation score).
    Each term is clipped at +-100 dB before the difference.
    """
    ref_set, mix_set, est_set = as_paired_sets(reference=reference, mixture=mixture, estimate=estimate)
    ratio = si_sdr_kernel if scale_invariant else sdr_kernel

    def improvement(ref: torch.Tensor, mix: torch.Tensor, est: torch.Tensor) -> torch.Tensor:
        return ratio(ref, est) - ratio(ref, mix)

    return ref_set.output(map_chunks(improvement, ref_set, mix_set, est_set))

"""The Musika issue's measurements of trained checkpoints, in one run.

    python bench/musika_quality.py --autoencoder runs/musika_ae_small/final [--model pipelines/musika-small]

1. Autoencoder (``--autoencoder``, or the one inside ``--model``): reconstruction of held-out Bach
   chorales that the training config never rendered: multi-resolution STFT distance (lower is
   better) and SI-SNR (dB; phase-sensitive, so low for any spectrogram codec).
2. With ``--model`` (a generator folder): ``--clips`` generated clips against as many held-out real
   ones: spectral flatness (noise -> 1) and pitch-class clarity (music -> high) side by side; the
   seam ratio (spectral flux at chunk boundaries over the flux inside chunks; goal <= 1.2); and the
   onset rate for prompts "70 bpm" vs "140 bpm" (goal: faster for the faster prompt).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from _common import bench_parser, machine_line, parse_bench_args, write_report
from _heldout import held_out_clips

from hfsynth.evaluation import (
    multi_resolution_stft_distance,
    onset_rate,
    pitch_class_clarity,
    seam_flux_ratio,
    si_snr,
    spectral_flatness,
)
from hfsynth.models.musika import MusikaAutoencoder, MusikaPipeline

TRAINING_CONFIG = "configs/musika_ae_small.yaml"


def mean(values: object) -> float:
    return float(np.nanmean(np.asarray(values, dtype=np.float64)))


@torch.inference_mode()
def reconstruct(autoencoder: MusikaAutoencoder, clips: torch.Tensor) -> list[np.ndarray]:
    """The autoencoder's reconstructions of ``clips`` (N, samples), mono."""
    audio = clips[:, None].expand(-1, autoencoder.config.audio_channels, -1)
    return list(autoencoder.decode(autoencoder.encode(audio), clips.shape[-1]).mean(dim=1).numpy())


def generated(pipe: MusikaPipeline, count: int, seconds: float, tempo: float | None = None) -> list[np.ndarray]:
    clips = [pipe(audio_length_in_s=seconds, generator=torch.Generator().manual_seed(seed), tempo=tempo).audios[0]
             for seed in range(count)]
    return [clip if clip.ndim == 1 else clip.mean(axis=0) for clip in clips]


def main() -> None:
    parser = bench_parser(__doc__, report=True)
    parser.add_argument("--autoencoder", help="a MusikaAutoencoder folder (default: the one inside --model)")
    parser.add_argument("--model", help="a Musika generator folder (text-to-audio)")
    parser.add_argument("--config", default=TRAINING_CONFIG, help="the autoencoder's training config")
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parse_bench_args(parser)
    if not (args.autoencoder or args.model):
        parser.error("give --autoencoder and/or --model")

    pipe = MusikaPipeline.from_pretrained(args.model) if args.model else None
    autoencoder = (MusikaAutoencoder.from_pretrained(args.autoencoder) if args.autoencoder
                   else pipe.model.autoencoder).eval()
    rate = autoencoder.config.sampling_rate
    real = held_out_clips(args.config, args.clips, args.seconds, rate, args.seed, bpm=100.0)
    rebuilt = reconstruct(autoencoder, real)
    distance = mean(multi_resolution_stft_distance(list(real.numpy()), rebuilt))
    snr = mean(si_snr(list(real.numpy()), rebuilt))

    metrics = {"autoencoder_mr_stft_distance": distance, "autoencoder_si_snr_db": snr}
    print(machine_line())
    print(f"{args.clips} held-out chorale clips of {args.seconds} s at 100 bpm\n")
    print("| measurement | value | reference |")
    print("|---|---|---|")
    print(f"| autoencoder MR-STFT distance | {distance:.3f} | 0 = identical |")
    print(f"| autoencoder SI-SNR (dB) | {snr:.2f} | |")
    if pipe is not None:
        def real_at(bpm: float) -> list[np.ndarray]:
            return list(held_out_clips(args.config, args.clips, args.seconds, rate, args.seed, bpm=bpm).numpy())
        metrics.update(generation_metrics(pipe, real, rebuilt, args.clips, args.seconds, real_at))
    if args.report:
        write_report(args.report, args.model or args.autoencoder, f"{args.clips} held-out chorale clips of "
                     f"{args.seconds} s ({args.config})", "text-to-audio", args.clips, metrics)


def generation_metrics(pipe: MusikaPipeline, real: torch.Tensor, rebuilt: list[np.ndarray], clips: int,
                       seconds: float, real_at: Callable[[float], list[np.ndarray]]) -> dict[str, float]:
    """Music-likeness, seams and tempo response of ``clips`` generated clips next to the ``real`` ones,
    their autoencoder reconstructions ``rebuilt`` (what the generator can reach at best) and white
    noise (``real_at(bpm)``: held-out music rendered at that tempo), printed as table rows."""
    rate = pipe.config.sampling_rate
    fake, real_list = generated(pipe, clips, seconds), list(real.numpy())
    noise = list(np.random.default_rng(0).standard_normal(real.shape).astype(np.float32) * float(real.std()))
    chunk = pipe.model.config.chunk_latents * pipe.model.autoencoder.config.samples_per_latent
    slow, fast = (mean(onset_rate(generated(pipe, clips, seconds, tempo), rate)) for tempo in (70.0, 140.0))
    real_slow, real_fast = (mean(onset_rate(real_at(tempo), rate)) for tempo in (70.0, 140.0))
    metrics = {
        "spectral_flatness": mean(spectral_flatness(fake)), "spectral_flatness_real": mean(spectral_flatness(real_list)),
        "spectral_flatness_reconstructed": mean(spectral_flatness(rebuilt)),
        "spectral_flatness_noise": mean(spectral_flatness(noise)),
        "pitch_class_clarity": mean(pitch_class_clarity(fake, rate)),
        "pitch_class_clarity_real": mean(pitch_class_clarity(real_list, rate)),
        "pitch_class_clarity_reconstructed": mean(pitch_class_clarity(rebuilt, rate)),
        "pitch_class_clarity_noise": mean(pitch_class_clarity(noise, rate)),
        "seam_flux_ratio": mean(seam_flux_ratio(fake, chunk)),
        "onset_rate_70_bpm": slow, "onset_rate_140_bpm": fast,
        "onset_rate_70_bpm_real": real_slow, "onset_rate_140_bpm_real": real_fast,
    }
    for name, digits in (("spectral_flatness", 4), ("pitch_class_clarity", 3)):
        print(f"| {name.replace('_', ' ')}, generated | {metrics[name]:.{digits}f} | "
              f"{metrics[name + '_real']:.{digits}f} held-out music, {metrics[name + '_reconstructed']:.{digits}f} its "
              f"autoencoder reconstruction, {metrics[name + '_noise']:.{digits}f} white noise |")
    print(f"| seam flux ratio (chunk boundaries / inside) | {metrics['seam_flux_ratio']:.3f} | goal <= 1.2 |")
    print(f"| onset rate at 70 / 140 bpm (onsets/s) | {slow:.2f} / {fast:.2f} | goal: the second higher; "
          f"{real_slow:.2f} / {real_fast:.2f} for the held-out music |")
    return metrics

if __name__ == "__main__":
    main()

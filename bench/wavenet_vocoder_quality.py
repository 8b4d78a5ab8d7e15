"""How well a WaveNet vocoder reconstructs music it never saw, against Griffin-Lim from the same mel.

    python bench/wavenet_vocoder_quality.py --model pipelines/wavenet-vocoder-tiny [--clips 12] [--temperature 1 0.7]

The held-out clips are Bach chorales that none of the training config's music parts rendered,
played by the training ensembles (one clip per chorale, ensembles taken in turn). Each clip's
conditioning mel (:meth:`WaveNetModel.mel_from_audio`) is turned back into audio twice:

- WaveNet: the vocoder, sampling sample by sample from that mel;
- Griffin-Lim: the mel mapped to a linear spectrogram (non-negative least squares) and phased by
  ``--gl-iters`` iterations, framed exactly as the mel was.

and both are compared with the original: multi-resolution STFT distance (lower is better) and the
fraction of the original's voiced pYIN frames whose pitch the reconstruction keeps within 50 cents
(the issue's thresholds: WaveNet's distance below Griffin-Lim's, pitch agreement >= 0.90).
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from _common import bench_parser, machine_line, parse_bench_args
from _heldout import held_out_clips

from hfsynth.audio.griffin_lim import griffin_lim
from hfsynth.audio.mel import mel_to_linear
from hfsynth.evaluation.pitch import frame_pitch_agreement
from hfsynth.evaluation.spectral import multi_resolution_stft_distance
from hfsynth.models.wavenet import WaveNetModel
from hfsynth.models.wavenet.modeling_wavenet import MEL_FLOOR

TRAINING_CONFIG = "configs/wavenet_vocoder_tiny.yaml"


def griffin_lim_from_mel(model: WaveNetModel, audio: torch.Tensor, iterations: int) -> torch.Tensor:
    """Griffin-Lim reconstruction of ``audio`` from the very mel the vocoder is conditioned on."""
    config = model.config
    scaled = model.mel_from_audio(audio)
    mel = torch.exp((scaled - 1.0) * (-math.log(MEL_FLOOR) / 2))                # undo mel_from_audio's scaling
    linear = mel_to_linear(mel, config.sampling_rate, config.mel_n_fft, fmin=config.mel_fmin, fmax=config.mel_fmax)
    # mel_from_audio frames the audio padded by (n_fft - hop) / 2 without centring, so frame k is
    # centred on sample k * hop + hop / 2; a centred STFT (which torch's iSTFT can invert with a Hann
    # window) centres frame k on k * hop, so its reconstruction runs half a hop early.
    half_hop = config.hop_length // 2
    length = (linear.shape[-1] - 1) * config.hop_length
    out = griffin_lim(linear, config.mel_n_fft, config.hop_length, n_iter=iterations, length=length,
                      generator=torch.Generator().manual_seed(0))
    shortfall = max(0, audio.shape[-1] - half_hop - out.shape[-1])               # a partial last hop
    return torch.nn.functional.pad(out, (half_hop, shortfall))[..., : audio.shape[-1]]


def scores(reference: torch.Tensor, estimate: torch.Tensor, rate: int) -> tuple[float, float]:
    """(mean MR-STFT distance, mean voiced-frame pitch agreement) over the clips."""
    ref, est = list(reference.numpy()), list(estimate.numpy())
    distance = float(np.mean(multi_resolution_stft_distance(ref, est)))
    agreement = float(np.nanmean(frame_pitch_agreement(ref, est, rate)))
    return distance, agreement


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--model", required=True, help="a WaveNet vocoder folder")
    parser.add_argument("--config", default=TRAINING_CONFIG, help="the training config (which chorales to avoid)")
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--gl-iters", type=int, default=64)
    parser.add_argument("--temperature", type=float, nargs="+", default=[1.0],
                        help="sampling temperatures, one WaveNet row each (lower: less sampling noise)")
    parser.add_argument("--seed", type=int, default=1)
    args = parse_bench_args(parser)

    model = WaveNetModel.from_pretrained(args.model).eval()
    rate = model.config.sampling_rate
    audio = held_out_clips(args.config, args.clips, args.seconds, rate, args.seed)
    print(machine_line())
    print(f"{args.clips} held-out chorale clips of {args.seconds} s; model {args.model}\n")
    print("| reconstruction | MR-STFT distance (lower is better) | pYIN frames within 50 cents | seconds |")
    print("|---|---|---|---|")
    for temperature in args.temperature:
        with torch.inference_mode():
            start = time.perf_counter()
            vocoded = model.vocode(audio, torch.Generator().manual_seed(args.seed), temperature)
            vocoder_seconds = time.perf_counter() - start
        distance, pitch = scores(audio, vocoded, rate)
        row = f"| WaveNet vocoder, temperature {temperature:g} | {distance:.3f} | {pitch:.3f} | {vocoder_seconds:.0f} |"
        print(row, flush=True)
    with torch.inference_mode():
        reconstructed = griffin_lim_from_mel(model, audio, args.gl_iters)
    distance, pitch = scores(audio, reconstructed, rate)
    print(f"| Griffin-Lim, {args.gl_iters} iterations | {distance:.3f} | {pitch:.3f} | |")


if __name__ == "__main__":
    main()

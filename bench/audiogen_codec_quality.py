"""How well AudioGen's codec reconstructs audio it never trained on (the AudioGen issue's codec report).

    python bench/audiogen_codec_quality.py --codec runs/audiogen_codec_tiny/final [--report FILE]

Two held-out sets:

* notes: a neighbouring General MIDI program of every family the codec trained on (e.g. program 1,
  bright piano, for program 0), at velocity 75, which training never played;
* music: Bach chorales played by a string quartet (the codec trained on isolated notes only).

For each: SI-SNR (dB; phase-sensitive) and the multi-resolution STFT distance (lower is better)
of the codec's reconstruction, next to two references on the same clips: 8-bit mu-law (a
256-level quantiser, 128 kbps at 16 kHz, far above the codec's 1.8 kbps) and silence (the distance
of predicting nothing).
"""

from __future__ import annotations

import numpy as np
import torch
from _common import bench_parser, machine_line, parse_bench_args, write_report
from _heldout import held_out_clips
from transformers import EncodecModel

from hfsynth.audio.mulaw import mulaw_decode, mulaw_encode
from hfsynth.data import NoteDatasetConfig, as_torch, build_note_dataset
from hfsynth.evaluation import multi_resolution_stft_distance, si_snr

TRAINING_CONFIG = "configs/audiogen_codec_tiny.yaml"
#: One neighbour of each program in hfsynth.data.notes.DEFAULT_PROGRAMS, same family.
HELD_OUT_PROGRAMS = (34, 57, 72, 25, 1, 12, 19, 66, 41, 81, 53)


def held_out_notes(count: int, seconds: float, sampling_rate: int, seed: int) -> torch.Tensor:
    config = NoteDatasetConfig(programs=HELD_OUT_PROGRAMS, pitches=(36, 84), velocities=(75,),
                               duration_in_s=(0.75 * seconds, seconds), max_examples=count,
                               sampling_rate=sampling_rate, seed=seed)
    notes = as_torch(build_note_dataset(config, cache_dir=None), sampling_rate, columns=["audio"])
    return torch.stack([notes[index]["audio"] for index in range(len(notes))])


@torch.inference_mode()
def reconstruct(codec: EncodecModel, clips: torch.Tensor) -> torch.Tensor:
    """(N, samples) -> the codec's (N, samples) reconstructions."""
    codes = codec.encode(clips[:, None]).audio_codes
    return codec.decode(codes, [None]).audio_values[:, 0, : clips.shape[-1]]


def scores(reference: torch.Tensor, estimate: torch.Tensor) -> tuple[float, float]:
    """(mean SI-SNR dB, mean MR-STFT distance) of (N, samples) estimates."""
    ref, est = list(reference.numpy()), list(estimate.numpy())
    return float(np.mean(si_snr(ref, est))), float(np.mean(multi_resolution_stft_distance(ref, est)))


def main() -> None:
    parser = bench_parser(__doc__, report=True)
    parser.add_argument("--codec", required=True, help="an EncodecModel folder (a codec run's final/ or export)")
    parser.add_argument("--clips", type=int, default=22, help="clips per set")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parse_bench_args(parser)
    codec = EncodecModel.from_pretrained(args.codec).eval()
    rate = codec.config.sampling_rate
    sets = {
        "notes": held_out_notes(args.clips, args.seconds, rate, args.seed),
        "music": held_out_clips(TRAINING_CONFIG, args.clips, args.seconds, rate, args.seed),
    }
    print(machine_line())
    print(f"codec {args.codec}: {codec.config.num_quantizers} codebooks at {codec.config.frame_rate} frames/s\n")
    print("| held-out set | clips | system | SI-SNR (dB) | MR-STFT distance |")
    print("| --- | --- | --- | --- | --- |")
    metrics = {}
    for name, clips in sets.items():
        systems = {
            "codec": reconstruct(codec, clips),
            "8-bit mu-law": mulaw_decode(mulaw_encode(clips)),
            "silence": torch.zeros_like(clips),
        }
        for system, estimate in systems.items():
            snr, distance = scores(clips, estimate)
            print(f"| {name} | {len(clips)} | {system} | {snr:.1f} | {distance:.3f} |", flush=True)
        metrics[f"{name}_si_snr_db"], metrics[f"{name}_mr_stft_distance"] = scores(clips, systems["codec"])
    if args.report:
        write_report(args.report, args.codec, "held-out notes (unseen programs, velocity 75) and Bach chorales",
                     "audio-reconstruction", sum(len(clips) for clips in sets.values()), metrics)


if __name__ == "__main__":
    main()

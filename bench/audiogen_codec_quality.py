"""How well AudioGen's codec reconstructs audio it never trained on (the AudioGen issue's codec report).

    python bench/audiogen_codec_quality.py --codec runs/audiogen_codec_tiny_v2/final [--report FILE]

Two held-out sets:

* notes: a neighbouring General MIDI program of every family the codec trained on (e.g. program 1,
  bright piano, for program 0), at velocity 75, which training never played;
* music: Bach chorales played by a string quartet (the codec trained on isolated notes only).

For each: SI-SNR (dB; phase-sensitive) and the multi-resolution STFT distance (lower is better)
of the codec's reconstruction, next to two references on the same clips: 8-bit mu-law (a
256-level quantiser, 128 kbps at 16 kHz, far above the codec's 1.8 kbps) and silence (the distance
of predicting nothing).

On the notes, also the note classifier's family accuracy (``pipelines/note-classifier``) for
each system: what the codec keeps of an instrument's timbre. It bounds AudioGen's family check,
which classifies audio that went through this codec's decoder.
"""

from __future__ import annotations

import numpy as np
import torch
from _common import bench_parser, machine_line, parse_bench_args, write_report
from _heldout import held_out_clips, held_out_notes

from hfsynth.audio.mulaw import mulaw_decode, mulaw_encode
from hfsynth.evaluation import ClassifierEvaluator, multi_resolution_stft_distance, si_snr
from hfsynth.models.audiogen.codec_audiogen import load_codec
from hfsynth.modules.augmentation import codec_round_trip

TRAINING_CONFIG = "configs/audiogen_codec_tiny.yaml"


def scores(reference: torch.Tensor, estimate: torch.Tensor) -> tuple[float, float]:
    """(mean SI-SNR dB, mean MR-STFT distance) of (N, samples) estimates."""
    ref, est = list(reference.numpy()), list(estimate.numpy())
    return float(np.mean(si_snr(ref, est))), float(np.mean(multi_resolution_stft_distance(ref, est)))


def main() -> None:
    parser = bench_parser(__doc__, report=True)
    parser.add_argument("--codec", required=True,
                        help="an EncodecModel folder (a codec run's final/) or an AudioGen folder, for its codec")
    parser.add_argument("--clips", type=int, default=22, help="clips per set")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--classifier", default="pipelines/note-classifier", help="names the notes' families")
    args = parse_bench_args(parser)
    codec = load_codec(args.codec)
    classifier = ClassifierEvaluator.from_pretrained(args.classifier)
    rate = codec.config.sampling_rate
    notes, families = held_out_notes(args.clips, args.seconds, rate, args.seed)
    sets = {"notes": notes, "music": held_out_clips(TRAINING_CONFIG, args.clips, args.seconds, rate, args.seed)}
    print(machine_line())
    print(f"codec {args.codec}: {codec.config.num_quantizers} codebooks at {codec.config.frame_rate} frames/s\n")
    print("| held-out set | clips | system | SI-SNR (dB) | MR-STFT distance | classifier family accuracy |")
    print("| --- | --- | --- | --- | --- | --- |")
    metrics = {}
    for name, clips in sets.items():
        systems = {
            "original": clips,
            "codec": codec_round_trip(codec, clips),
            "8-bit mu-law": mulaw_decode(mulaw_encode(clips)),
            "silence": torch.zeros_like(clips),
        }
        for system, estimate in systems.items():
            snr, distance = scores(clips, estimate) if system != "original" else (float("inf"), 0.0)
            family = classifier.score(list(estimate.numpy()), rate).family_accuracy(families) if name == "notes" else None
            family_text = "" if family is None else f"{family:.2f}"
            print(f"| {name} | {len(clips)} | {system} | {snr:.1f} | {distance:.3f} | {family_text} |", flush=True)
            if system == "codec":
                metrics[f"{name}_si_snr_db"], metrics[f"{name}_mr_stft_distance"] = snr, distance
                if family is not None:
                    metrics["notes_family_accuracy"] = family
    if args.report:
        write_report(args.report, args.codec, "held-out notes (unseen programs, velocity 75) and Bach chorales",
                     "audio-reconstruction", sum(len(clips) for clips in sets.values()), metrics)


if __name__ == "__main__":
    main()

"""Does the text control AudioGen's sound? The AudioGen issue's checks of a trained checkpoint.

    python bench/audiogen_quality.py --model runs/audiogen_tiny_v2/final [--report FILE]

1. Instrument family: for each of NSynth's eleven families, ``--per-family`` prompts naming it
   ("a medium-loud flute note, E4", pitches C3-C5). The shipped note classifier
   (``pipelines/note-classifier``, the evaluation suite's) names the family of each result; the
   goal is >= 80% correct. Real training notes of the same prompts' families, and the codec's
   reconstructions of them (what generated audio can at best sound like), give the ceilings.
2. Register: "a low-pitched <family> note" vs "a high-pitched <family> note", ``--register-per-family``
   clips of each for every family; the median pYIN pitch (searched over C2-C6) of all "low" and all
   "high" clips, and in how many families the median of the "high" clips is above the "low" ones'.

Both at guidance scale 1 (no guidance) and 3 (the default), from the same seeds (``--guidance`` for others).
"""

from __future__ import annotations

import numpy as np
import torch
from _common import bench_parser, machine_line, parse_bench_args, write_report
from transformers import EncodecModel

from hfsynth.audio.pitch import midi_to_note
from hfsynth.data import NoteDatasetConfig, as_torch, build_note_dataset
from hfsynth.data.captions import FAMILY_WORDS
from hfsynth.data.notes import DEFAULT_PROGRAMS
from hfsynth.evaluation import ClassifierEvaluator
from hfsynth.evaluation.pitch import pitch_accuracy_pyin
from hfsynth.models.audiogen import AudioGenPipeline
from hfsynth.modules.augmentation import codec_round_trip

FAMILIES = list(FAMILY_WORDS)
#: The register check searches pYIN over C2-C6 (60 +- 2 octaves), the training notes' range.
REGISTER_SEARCH = (60.0, 2.0)


def family_prompts(per_family: int, seed: int) -> tuple[list[str], list[str]]:
    """(prompts, their families): ``per_family`` prompts per family at random pitches C3-C5."""
    rng = np.random.default_rng(seed)
    prompts, families = [], []
    for family in FAMILIES:
        for pitch in rng.integers(48, 73, size=per_family):
            prompts.append(f"a medium-loud {FAMILY_WORDS[family][0]} note, {midi_to_note(int(pitch))}")
            families.append(family)
    return prompts, families


def generate(pipe: AudioGenPipeline, prompts: list[str], seconds: float, guidance: float, seed: int,
             batch_size: int) -> list[np.ndarray]:
    clips = []
    for start in range(0, len(prompts), batch_size):
        generator = torch.Generator().manual_seed(seed + start)
        out = pipe(prompts[start : start + batch_size], audio_length_in_s=seconds, guidance_scale=guidance,
                   generator=generator)
        clips.extend(out.audios)
    return clips


def median_pitch(clips: list[np.ndarray], sampling_rate: int) -> np.ndarray:
    """Each clip's median pYIN pitch (MIDI; NaN when unvoiced), searched over the whole training range."""
    center, octaves = REGISTER_SEARCH
    return pitch_accuracy_pyin(clips, sampling_rate, center, search_octaves=octaves).median_midi


def real_notes_ceiling(classifier: ClassifierEvaluator, codec: EncodecModel, count_per_family: int,
                       seconds: float) -> tuple[float, float]:
    """Family accuracy of the classifier on training notes (the programs AudioGen learnt), C3-C5, and
    on the codec's reconstructions of them: the most a model that speaks this codec can reach."""
    config = NoteDatasetConfig(programs=DEFAULT_PROGRAMS, pitches=(48, 72), velocities=(75,),
                               duration_in_s=(0.75 * seconds, seconds),
                               max_examples=count_per_family * len(DEFAULT_PROGRAMS))
    columns = ["audio", "instrument_family"]
    notes = as_torch(build_note_dataset(config, cache_dir=None), config.sampling_rate, columns=columns)
    clips = torch.stack([notes[index]["audio"] for index in range(len(notes))])
    families = [int(notes[index]["instrument_family"]) for index in range(len(notes))]
    return tuple(classifier.score(list(audio.numpy()), config.sampling_rate).family_accuracy(families)
                 for audio in (clips, codec_round_trip(codec, clips)))


def main() -> None:
    parser = bench_parser(__doc__, report=True)
    parser.add_argument("--model", required=True, help="an AudioGen folder (text-to-audio)")
    parser.add_argument("--classifier", default="pipelines/note-classifier")
    parser.add_argument("--per-family", type=int, default=8)
    parser.add_argument("--register-per-family", type=int, default=1,
                        help="clips per family for each register word (more: a steadier count of right-way families)")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--batch-size", type=int, default=22)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--guidance", type=float, nargs="+", default=[1.0, 3.0], help="guidance scales to compare")
    args = parse_bench_args(parser)
    if args.register_per_family < 1:
        parser.error(f"--register-per-family must be >= 1; got {args.register_per_family}")
    pipe = AudioGenPipeline.from_pretrained(args.model)
    rate = pipe.model.config.sampling_rate
    classifier = ClassifierEvaluator.from_pretrained(args.classifier)
    prompts, families = family_prompts(args.per_family, args.seed)
    repeats = args.register_per_family
    register_words = {register: [f"a {register}-pitched {FAMILY_WORDS[f][0]} note" for f in FAMILIES
                                 for _ in range(repeats)] for register in ("low", "high")}
    print(machine_line())
    real, reconstructed = real_notes_ceiling(classifier, pipe.model.audio_encoder, 2, args.seconds)
    print(f"model {args.model}; {len(prompts)} family prompts, {args.seconds:g} s each; classifier family "
          f"accuracy on real training notes {real:.3f}, on the codec's reconstructions of them {reconstructed:.3f}\n")
    print("| guidance | family accuracy (goal >= 0.8) | low: median MIDI | high: median MIDI | families high > low |")
    print("| --- | --- | --- | --- | --- |")
    metrics = {"family_accuracy_real_notes": real, "family_accuracy_codec_reconstructions": reconstructed}
    for guidance in args.guidance:
        clips = generate(pipe, prompts, args.seconds, guidance, args.seed, args.batch_size)
        accuracy = classifier.score(clips, rate).family_accuracy(families)
        medians = {register: median_pitch(generate(pipe, texts, args.seconds, guidance, args.seed, args.batch_size),
                                          rate) for register, texts in register_words.items()}
        by_family = {register: np.nanmedian(values.reshape(len(FAMILIES), repeats), axis=1)
                     for register, values in medians.items()}
        right_way = int(np.sum(by_family["high"] > by_family["low"]))
        low, high = float(np.nanmedian(medians["low"])), float(np.nanmedian(medians["high"]))
        print(f"| {guidance:g} | {accuracy:.3f} | {low:.1f} | {high:.1f} | {right_way} / {len(FAMILIES)} |", flush=True)
        tag = f"guidance_{guidance:g}"
        metrics.update({f"family_accuracy_{tag}": accuracy, f"low_median_midi_{tag}": low,
                        f"high_median_midi_{tag}": high, f"families_high_above_low_{tag}": right_way})
    if args.report:
        write_report(args.report, args.model, "prompts naming each instrument family / register", "text-to-audio",
                     len(prompts) + 2 * len(FAMILIES) * repeats, metrics)


if __name__ == "__main__":
    main()

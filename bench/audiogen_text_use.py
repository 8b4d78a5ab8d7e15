"""How much does a trained AudioGen lean on each word of its caption? Loss with right and wrong words.

    python bench/audiogen_text_use.py --model pipelines/audiogen-tiny [--model DIR ...] [--notes 44]

The model scores rendered notes (teacher forcing, its training loss) under captions of one template,
"a loud <family> note, <note name>", that are right, that name another family (five families on,
e.g. bass -> mallet), that name a note seven semitones off, or that are empty (the null condition of
classifier-free guidance). The loss a wrong word adds is what the model has learnt that word tells
about the audio: zero means the word is ignored. Prints one Markdown table row per model.
"""

from __future__ import annotations

import torch
from _common import bench_parser, machine_line, parse_bench_args
from _notes import fixed_length_notes

from hfsynth.audio.pitch import midi_to_note
from hfsynth.data.instruments import INSTRUMENT_FAMILIES
from hfsynth.models.audiogen import AudioGenForConditionalGeneration, AudioGenProcessor

#: Families are swapped this many places along INSTRUMENT_FAMILIES (11 of them), notes this many semitones.
FAMILY_SHIFT, PITCH_SHIFT = 5, 7


def caption(family: int, pitch: int) -> str:
    return f"a loud {INSTRUMENT_FAMILIES[family].replace('_', ' ')} note, {midi_to_note(pitch)}"


def caption_sets(families: list[int], pitches: list[int]) -> dict[str, list[str]]:
    """The four captions of every note, by name."""
    count = len(INSTRUMENT_FAMILIES)
    return {
        "right": [caption(family, pitch) for family, pitch in zip(families, pitches)],
        "wrong family": [caption((family + FAMILY_SHIFT) % count, pitch) for family, pitch in zip(families, pitches)],
        "wrong note": [caption(family, pitch + PITCH_SHIFT) for family, pitch in zip(families, pitches)],
        "no text": [""] * len(families),
    }


@torch.inference_mode()
def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--model", action="append", help="a model folder (repeat for several)")
    parser.add_argument("--notes", type=int, default=44)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parse_bench_args(parser)
    print(machine_line())
    print(f"{args.notes} rendered notes of {args.seconds:g} s (C3-C5, one program per family); loss in nats "
          "per code, and what each wrong caption adds to the right one's\n")
    print("| model | right | wrong family | wrong note | no text |")
    print("| --- | --- | --- | --- | --- |")
    for folder in args.model or ["pipelines/audiogen-tiny"]:
        model = AudioGenForConditionalGeneration.from_pretrained(folder).eval()
        processor = AudioGenProcessor.from_pretrained(folder)
        audio, notes = fixed_length_notes(args.notes, model.config.sampling_rate, args.seconds,
                                          ["instrument_family", "pitch"])
        codes = model.encode_audio(audio)
        families, pitches = ([int(value) for value in notes[column]] for column in ("instrument_family", "pitch"))
        losses = {name: float(model(**processor(text=captions, return_tensors="pt"), audio_codes=codes).loss)
                  for name, captions in caption_sets(families, pitches).items()}
        right = losses.pop("right")
        cells = " | ".join(f"{loss:.3f} (+{loss - right:.3f})" for loss in losses.values())
        print(f"| {folder} | {right:.3f} | {cells} |", flush=True)


if __name__ == "__main__":
    main()

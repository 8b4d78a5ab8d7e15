"""``hfsynth data``: build the offline datasets (notes, music, paired, folder) or render one note.

    hfsynth data notes --programs 0,33,40 --pitches C2-C6 --max-examples 500 --out data/notes
    hfsynth data music --scores bach --max-scores 20 --instruments string_quartet --out data/quartets
    hfsynth data paired --scores bach/bwv66.6 --instruments-a piano --instruments-b string_quartet --out data/pairs
    hfsynth data folder my_recordings/ --out data/mine
    hfsynth data note --program 0 --pitch C4 --out note.wav
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path



def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="render datasets from MIDI with a SoundFont, or load an audio folder")
    commands = parser.add_subparsers(dest="data_command", required=True, metavar="KIND")

    notes = commands.add_parser("notes", help="NSynth-like single notes with pitch/velocity/instrument labels")
    notes.add_argument("--programs", help="General MIDI programs, e.g. 0,33,40, or 'all' (default: one per family)")
    notes.add_argument("--pitches", default="21-108", help="MIDI pitch range, e.g. 21-108 or C2-C6")
    notes.add_argument("--velocities", default="25,50,75,100,127", help="MIDI velocities, comma separated")
    notes.add_argument("--note-seconds", type=float, default=3.0, help="how long the key is held")
    notes.add_argument("--clip-seconds", type=float, default=4.0, help="clip length (the release rings on)")
    notes.add_argument("--max-examples", type=int, help="render a seeded random subset of this many notes")
    _add_common(notes, rate=16000)
    notes.set_defaults(func=run_notes)

    for name, help_text in (("music", "score clips with per-part stems and their mixture"),
                            ("paired", "the same score clips with two instrument sets (style transfer)")):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--scores", nargs="+", default=["bach/bwv66.6"],
                         help="score/MIDI files, folders, music21 corpus paths (bach/bwv66.6) or composers (bach)")
        sub.add_argument("--max-scores", type=int, default=None, help="keep a seeded random subset of this many scores")
        sub.add_argument("--bpm", type=float, help="play every score at this tempo (default: the score's own)")
        sub.add_argument("--clip-seconds", type=float, default=4.0, help="clip length in seconds")
        sub.add_argument("--max-clips-per-score", type=int, help="keep only the first clips of each score")
        if name == "music":
            sub.add_argument("--instruments", default="string_quartet",
                             help="ensemble name, programs top voice first (40,41,42), part=program pairs "
                             "(Soprano=73,Bass=32), or 'score' for the score's own")
        else:
            sub.add_argument("--instruments-a", default="piano", help="domain A: ensemble name or programs")
            sub.add_argument("--instruments-b", default="string_quartet", help="domain B: ensemble name or programs")
        _add_common(sub, rate=16000)
        sub.set_defaults(func=run_music if name == "music" else run_paired)

    folder = commands.add_parser("folder", help="a folder of WAV/FLAC files (optional metadata.csv) as a dataset")
    folder.add_argument("folder", help="folder of audio files")
    folder.add_argument("--sampling-rate", type=int, default=None, help="resample to this rate on decode")
    folder.add_argument("--out", required=True, help="output dataset folder (must not exist)")
    folder.set_defaults(func=run_folder)

    note = commands.add_parser("note", help="render one note to an audio file")
    note.add_argument("--program", type=int, default=0, help="General MIDI program 0-127")
    note.add_argument("--pitch", default="C4", help="note name (C4, F#3) or MIDI number")
    note.add_argument("--velocity", type=int, default=100, help="MIDI velocity 1-127")
    note.add_argument("--note-seconds", type=float, default=3.0, help="how long the key is held")
    note.add_argument("--clip-seconds", type=float, default=4.0, help="file length (the release rings on)")
    note.add_argument("--sampling-rate", type=int, default=16000, help="output sampling rate")
    note.add_argument("--stereo", action="store_true", help="keep the synthesiser's stereo")
    note.add_argument("--soundfont", default=None, help=".sf2 file (default: pretty_midi's General MIDI SoundFont)")
    note.add_argument("--out", required=True, help="output audio file (.wav/.flac)")
    note.set_defaults(func=run_note)


def run_notes(args: argparse.Namespace) -> int:
    from ..data.notes import DEFAULT_PROGRAMS, NoteDatasetConfig, build_note_dataset

    if args.programs is None:
        programs = DEFAULT_PROGRAMS
    elif args.programs == "all":
        programs = tuple(range(128))
    else:
        programs = _ints(args.programs, "--programs")
    config = NoteDatasetConfig(
        programs=programs,
        pitches=_pitch_range(args.pitches),
        velocities=_ints(args.velocities, "--velocities"),
        sampling_rate=args.sampling_rate,
        duration_in_s=(args.note_seconds, args.clip_seconds),
        channels=2 if args.stereo else 1,
        max_examples=args.max_examples,
        seed=args.seed,
        soundfont=args.soundfont,
    )
    return _build_and_save(lambda cache_dir: build_note_dataset(config, cache_dir, progress=True), args)


def run_music(args: argparse.Namespace) -> int:
    from ..data.music import MusicDatasetConfig, build_music_dataset

    config = MusicDatasetConfig(instruments=_instruments(args.instruments, "--instruments"), **_score_options(args))
    return _build_and_save(lambda cache_dir: build_music_dataset(config, cache_dir, progress=True), args)


def run_paired(args: argparse.Namespace) -> int:
    from ..data.paired import PairedDatasetConfig, build_paired_dataset

    config = PairedDatasetConfig(
        instruments_a=_instruments(args.instruments_a, "--instruments-a"),
        instruments_b=_instruments(args.instruments_b, "--instruments-b"),
        **_score_options(args),
    )
    return _build_and_save(lambda cache_dir: build_paired_dataset(config, cache_dir, progress=True), args)


def run_folder(args: argparse.Namespace) -> int:
    from ..data.building import check_new_folder, save_dataset
    from ..data.folder import load_audio_folder

    check_new_folder(args.out)
    dataset = load_audio_folder(args.folder, sampling_rate=args.sampling_rate)
    print(f"wrote {len(dataset)} files to {save_dataset(dataset, args.out)}")
    return 0


def run_note(args: argparse.Namespace) -> int:
    from ..audio.io import write_audio
    from ..data.notes import NoteDatasetConfig, render_note

    pitch = _pitch(args.pitch)
    config = NoteDatasetConfig(
        programs=(args.program,),
        pitches=(pitch, pitch),
        velocities=(args.velocity,),
        sampling_rate=args.sampling_rate,
        duration_in_s=(args.note_seconds, args.clip_seconds),
        channels=2 if args.stereo else 1,
        soundfont=args.soundfont,
    )
    audio = render_note(config, args.program, pitch, args.velocity)
    path = write_audio(args.out, audio, config.sampling_rate)
    print(f"wrote {path} ({audio.shape[-1] / config.sampling_rate:.2f} s at {config.sampling_rate} Hz)")
    return 0


def _add_common(parser: argparse.ArgumentParser, rate: int) -> None:
    parser.add_argument("--sampling-rate", type=int, default=rate, help="sampling rate in Hz")
    parser.add_argument("--stereo", action="store_true", help="keep the synthesiser's stereo (default mono)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (subsets, caption wording)")
    parser.add_argument("--soundfont", default=None, help=".sf2 file (default: pretty_midi's General MIDI SoundFont)")
    parser.add_argument("--cache-dir", default=None, help="reuse/keep renders here, keyed by the config")
    parser.add_argument("--out", required=True, help="new dataset folder; load it with datasets.load_from_disk")


def _score_options(args: argparse.Namespace) -> dict:
    return {
        "scores": tuple(args.scores),
        "max_scores": args.max_scores,
        "bpm": args.bpm,
        "sampling_rate": args.sampling_rate,
        "clip_in_s": args.clip_seconds,
        "max_clips_per_score": args.max_clips_per_score,
        "channels": 2 if args.stereo else 1,
        "seed": args.seed,
        "soundfont": args.soundfont,
    }


def _build_and_save(build, args: argparse.Namespace) -> int:
    from ..data.building import build_info, check_new_folder, save_dataset

    check_new_folder(args.out)
    if args.cache_dir is not None:
        dataset = build(args.cache_dir)
        path = save_dataset(dataset, args.out)
    else:  # build on disk next to the output (not in memory), then move it into place
        parent = Path(args.out).resolve().parent
        parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=parent, prefix=".hfsynth-data-") as work:
            dataset = build(work)
            path = save_dataset(dataset, args.out)
    print(f"wrote {len(dataset)} examples to {path}")
    skipped = build_info(dataset).get("skipped", [])
    if skipped:
        print(f"skipped {len(skipped)} silent notes: {', '.join(skipped[:5])}{' ...' if len(skipped) > 5 else ''}")
    return 0


def _ints(text: str, option: str) -> tuple[int, ...]:
    try:
        return tuple(int(item) for item in text.split(",") if item.strip())
    except ValueError:
        raise ValueError(f"{option} must be comma-separated integers, e.g. 0,24,40; got {text!r}") from None


def _pitch(text: str) -> int:
    """A MIDI number ("60") or note name ("C4")."""
    text = text.strip()
    from ..audio.pitch import note_to_midi  # here: the parser is built before torch is imported

    return int(text) if re.fullmatch(r"\d+", text) else note_to_midi(text)


def _pitch_range(text: str) -> tuple[int, int]:
    """ "21-108", "C2-C6", "C-1:G9" or a single pitch ("C4")."""
    for separator in (":", ".."):
        if separator in text:
            low, high = text.split(separator, 1)
            return _pitch(low), _pitch(high)
    for match in re.finditer("-", text):  # a '-' may also start a negative octave ("C-1")
        try:
            return _pitch(text[: match.start()]), _pitch(text[match.end() :])
        except ValueError:
            continue
    try:
        pitch = _pitch(text)
    except ValueError:
        raise ValueError(f"--pitches must be a MIDI range like 21-108 or C2-C6; got {text!r}") from None
    return pitch, pitch


def _instruments(text: str, option: str) -> str | tuple[int, ...] | dict[str, int] | None:
    """ "score", an ensemble name, "40,41,42" or "Soprano=73,Bass=32"."""
    if text == "score":
        return None
    if re.fullmatch(r"[\d,\s]+", text):
        return _ints(text, option)
    if "=" in text:
        pairs = [item.rsplit("=", 1) for item in text.split(",") if item.strip()]
        if not all(len(pair) == 2 and pair[1].strip().isdigit() for pair in pairs):
            raise ValueError(f"{option} pairs must look like Soprano=73,Bass=32; got {text!r}")
        return {name.strip(): int(program) for name, program in pairs}
    return text

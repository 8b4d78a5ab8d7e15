"""The offline data engine: audio datasets rendered from MIDI with a SoundFont, and user folders.

- :func:`build_note_dataset`: NSynth-like single notes with pitch/velocity/family labels.
- :func:`build_music_dataset`: score clips with per-part ``stems`` summing to the ``mixture``.
- :func:`build_paired_dataset`: the same clips with two instrument sets (style-transfer pairs).
- :func:`load_audio_folder`: a folder of WAV/FLAC files, with optional ``metadata.csv``.

Audio columns are ``Audio(decode=False)``; read them with :func:`decode_audio` or :func:`as_torch`.
Names are imported on first use, so ``hfsynth.data.instruments`` stays light to import.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "AUDIO_FEATURE": "audio_column",
    "as_torch": "audio_column",
    "decode_audio": "audio_column",
    "encode_audio": "audio_column",
    "build_info": "building",
    "load_saved_dataset": "loading",
    "save_dataset": "building",
    "FAMILY_WORDS": "captions",
    "find_family": "captions",
    "music_caption": "captions",
    "note_caption": "captions",
    "ENSEMBLES": "ensembles",
    "Ensemble": "ensembles",
    "load_audio_folder": "folder",
    "INSTRUMENT_FAMILIES": "instruments",
    "family_of_program": "instruments",
    "program_name": "instruments",
    "MUSIC_FEATURES": "music",
    "MusicDatasetConfig": "music",
    "build_music_dataset": "music",
    "NOTE_FEATURES": "notes",
    "NoteDatasetConfig": "notes",
    "build_note_dataset": "notes",
    "render_note": "notes",
    "PAIRED_FEATURES": "paired",
    "PairedDatasetConfig": "paired",
    "build_paired_dataset": "paired",
    "render_midi": "render",
    "load_score": "scores",
    "SOURCE_AUDIO_COLUMNS": "sources",
    "check_training_source": "sources",
    "load_training_source": "sources",
    "resolve_sources": "scores",
    "DEFAULT_SOUNDFONT": "soundfont",
    "load_soundfont": "soundfont",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

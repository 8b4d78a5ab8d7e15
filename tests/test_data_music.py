"""Music and paired sets: stems sum to the mixture, tempo and instrument labels, sources, errors."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest

from hfsynth.data import (
    MUSIC_FEATURES,
    MusicDatasetConfig,
    PairedDatasetConfig,
    as_torch,
    build_music_dataset,
    build_paired_dataset,
    decode_audio,
    find_family,
)
from hfsynth.data.ensembles import spread_programs
from hfsynth.data.render import midi_to_bytes

CHORALE = "bach/bwv66.6"  # 4 parts, quarter = 96 in the score


@pytest.fixture(scope="module")
def quartet():
    return build_music_dataset(MusicDatasetConfig(scores=[CHORALE], clip_in_s=2.0, max_clips_per_score=3))


def test_stems_sum_to_the_mixture(quartet):
    assert len(quartet) == 3 and quartet.features == MUSIC_FEATURES
    for example in quartet:
        mixture, rate = decode_audio(example["mixture"])
        stems = np.stack([decode_audio(stem)[0] for stem in example["stems"]])
        assert rate == 16000 and stems.shape == (4, 32000) and mixture.shape == (32000,)
        np.testing.assert_allclose(stems.sum(axis=0), mixture, atol=1e-6)
        assert all(np.abs(stem).max() > 0.01 for stem in stems)  # every voice sings in every clip
        assert np.abs(mixture).max() <= 0.9 + 1e-6


def test_labels(quartet):
    example = quartet[1]
    assert example["stem_names"] == ["Soprano", "Alto", "Tenor", "Bass"]
    assert example["stem_programs"] == [40, 40, 41, 42] and example["stem_families"] == ["string"] * 4
    assert example["tempo"] == 96.0 and example["start_in_s"] == 2.0 and example["source"] == "bach/bwv66.6.mxl"
    assert example["clip_id"] == "bach_bwv66.6_001" and example["instruments"] == "string_quartet"
    assert "string quartet" in example["caption"] and "96 bpm" in example["caption"]


def test_as_torch_gives_stem_and_mixture_tensors(quartet):
    batch = as_torch(quartet, columns=["mixture", "stems", "tempo"])[0:2]
    assert batch["stems"][0].shape == (4, 32000) and batch["mixture"][1].shape == (32000,)
    assert batch["tempo"].tolist() == [96.0, 96.0]
    resampled = as_torch(quartet, sampling_rate=8000)[0]
    assert resampled["mixture"].shape == (16000,) and resampled["stems"].shape == (4, 16000)


def test_bpm_override_sets_the_tempo_label_and_the_timing():
    slow = build_music_dataset(MusicDatasetConfig(scores=[CHORALE], bpm=48, instruments="piano", clip_in_s=8.0))
    fast = build_music_dataset(MusicDatasetConfig(scores=[CHORALE], bpm=192, instruments="piano", clip_in_s=8.0))
    assert set(slow["tempo"]) == {48.0} and set(fast["tempo"]) == {192.0}
    assert len(slow) > 3 * len(fast)  # 4x slower plays 4x longer
    assert "slow" in slow[0]["caption"] and "fast" in fast[0]["caption"] and "piano" in fast[0]["caption"]


def make_midi_folder(folder):
    midi = pretty_midi.PrettyMIDI(initial_tempo=150)
    bass = pretty_midi.Instrument(program=33, name="Bass line")
    lead = pretty_midi.Instrument(program=73, name="Tune")
    drums = pretty_midi.Instrument(program=0, is_drum=True, name="Kit")
    for beat in range(12):
        start = beat * 0.4
        bass.notes.append(pretty_midi.Note(100, 36 + beat % 5, start, start + 0.35))
        lead.notes.append(pretty_midi.Note(90, 72 + beat % 7, start, start + 0.35))
        drums.notes.append(pretty_midi.Note(100, 36 if beat % 2 else 42, start, start + 0.1))
    midi.instruments.extend([bass, drums, lead])
    folder.mkdir()
    (folder / "song.mid").write_bytes(midi_to_bytes(midi))
    return folder


def test_midi_folder_with_its_own_programs(tmp_path):
    folder = make_midi_folder(tmp_path / "midi")
    dataset = build_music_dataset(MusicDatasetConfig(scores=[str(folder)], instruments=None, clip_in_s=2.0))
    example = dataset[0]
    assert example["stem_names"] == ["Tune", "Bass line", "Kit"]  # top voice first, drums last
    assert example["stem_programs"] == [73, 33, 0] and example["stem_families"] == ["flute", "bass", "drums"]
    assert example["tempo"] == 150.0 and example["source"] == "song.mid"
    assert find_family(example["caption"]) in ("flute", "bass")
    mixture = decode_audio(example["mixture"])[0]
    stems = np.stack([decode_audio(stem)[0] for stem in example["stems"]])
    np.testing.assert_allclose(stems.sum(axis=0), mixture, atol=1e-6)
    # An ensemble replaces the pitched programs; drums stay drums.
    remapped = build_music_dataset(MusicDatasetConfig(scores=[str(folder)], instruments=[0, 32], clip_in_s=2.0))
    assert remapped[0]["stem_programs"] == [0, 32, 0] and remapped[0]["instruments"] == "programs 0,32"


def test_paired_clips_line_up(tmp_path):
    config = PairedDatasetConfig(scores=[CHORALE], clip_in_s=2.0, max_clips_per_score=2)
    pairs = build_paired_dataset(config, cache_dir=tmp_path)
    assert len(pairs) == 2 and pairs["start_in_s"] == [0.0, 2.0]
    example = pairs[0]
    audio_a, rate_a = decode_audio(example["audio_a"])
    audio_b, rate_b = decode_audio(example["audio_b"])
    assert rate_a == rate_b == 16000 and audio_a.shape == audio_b.shape == (32000,)
    assert not np.allclose(audio_a, audio_b, atol=1e-3)
    assert example["programs_a"] == [0, 0, 0, 0] and example["programs_b"] == [40, 40, 41, 42]
    assert "piano" in example["caption_a"] and "string quartet" in example["caption_b"]
    again = build_paired_dataset(config, cache_dir=tmp_path)  # from the cache
    assert again[0]["audio_b"]["bytes"] == example["audio_b"]["bytes"]
    assert len(list(tmp_path.iterdir())) == 1


def test_instruments_by_part_name():
    config = MusicDatasetConfig(scores=[CHORALE], instruments={"Soprano": 73, "Bass": 32}, max_clips_per_score=1)
    example = build_music_dataset(config)[0]
    assert example["stem_programs"] == [73, 0, 0, 32] and example["instruments"] == "Soprano=73,Bass=32"
    assert example["stem_families"] == ["flute", "keyboard", "keyboard", "bass"]


def test_ensembles_spread_over_any_number_of_parts():
    quartet = (40, 40, 41, 42)
    assert spread_programs(quartet, 4) == [40, 40, 41, 42]
    assert spread_programs(quartet, 2) == [40, 42]
    assert spread_programs(quartet, 5) == [40, 40, 41, 41, 42]
    assert spread_programs((0,), 3) == [0, 0, 0]


def test_bad_music_input_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="unknown ensemble 'kazoo_band'"):
        MusicDatasetConfig(instruments="kazoo_band")
    with pytest.raises(ValueError, match="no score found for 'no_such_work_xyz'"):
        build_music_dataset(MusicDatasetConfig(scores=["no_such_work_xyz"]))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no MIDI or score files"):
        build_music_dataset(MusicDatasetConfig(scores=[str(tmp_path / "empty")]))
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd but not really")
    with pytest.raises(ValueError, match="cannot parse MIDI file .*broken.mid"):
        build_music_dataset(MusicDatasetConfig(scores=[str(broken)]))
    with pytest.raises(ValueError, match="pick two domains"):
        PairedDatasetConfig(instruments_a="piano", instruments_b="piano")

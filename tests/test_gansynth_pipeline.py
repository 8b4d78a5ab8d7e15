"""GANSynth's public contract: text-to-audio through transformers' ``pipeline()``, and GANSynthPipeline
(pitch x latent grids, slerp, MIDI rendering)."""

import numpy as np
import pretty_midi
import pytest
import torch
from transformers import AutoModelForTextToWaveform, pipeline

import hfsynth  # noqa: F401  (registers GANSynth)
from hfsynth.models.gansynth import GANSynthGenerator, GANSynthPipeline, slerp
from hfsynth.models.gansynth.pipeline_gansynth import save_gansynth_folder
from test_gansynth_model import tiny_config

RATE = 8000
NOTE = 256  # samples in a tiny model's note (32 ms)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> str:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("gansynth")
    save_gansynth_folder(GANSynthGenerator(tiny_config()), path)
    return str(path)


@pytest.fixture(scope="module")
def tta(folder):
    return pipeline("text-to-audio", model=folder)


@pytest.fixture(scope="module")
def pipe(folder) -> GANSynthPipeline:
    return GANSynthPipeline.from_pretrained(folder)


def generate(tta, prompt, seconds=0.032, seed=0) -> np.ndarray:
    return tta(prompt, forward_params={"audio_length_in_s": seconds, "seed": seed})["audio"]


# ------------------------------------------------------------------------------ text-to-audio
def test_gansynth_is_the_text_to_waveform_class(folder):
    assert isinstance(AutoModelForTextToWaveform.from_pretrained(folder), GANSynthGenerator)


@pytest.mark.parametrize("seconds", [0.032, 0.02, 0.1])  # the note's own length, shorter, longer
def test_text_to_audio_contract(tta, seconds):
    out = tta("a bright C4", forward_params={"audio_length_in_s": seconds})
    audio = out["audio"]
    assert out["sampling_rate"] == RATE and audio.dtype == np.float32
    assert audio.shape == (round(seconds * RATE),) and np.abs(audio).max() <= 1.0 and audio.std() > 0
    if seconds > 0.032:
        assert np.all(audio[NOTE:] == 0)          # silence after the note


def test_the_default_length_is_the_note_length(tta):
    assert tta("C4")["audio"].shape == (NOTE,)


@pytest.mark.parametrize("prompt, pitch", [("C4", 60), ("F#3", 54), ("note 60", 60), ("a soft guitar, Bb3", 58)])
def test_the_prompt_names_the_pitch(tta, pipe, prompt, pitch):
    generator = torch.Generator().manual_seed(5)
    latent = pipe.model.sample_latents(1, generator)
    expected = pipe(pitch, latents=latent).audios[0, 0]
    np.testing.assert_allclose(generate(tta, prompt, seed=5), expected, atol=1e-6)


def test_text_to_audio_is_reproducible_and_pitch_changes_the_note(tta):
    assert np.array_equal(generate(tta, "C4", seed=3), generate(tta, "C4", seed=3))
    assert not np.allclose(generate(tta, "C4", seed=3), generate(tta, "E4", seed=3))
    torch.manual_seed(1)
    first = tta("C4")["audio"]
    torch.manual_seed(1)
    assert np.array_equal(first, tta("C4")["audio"])


@pytest.mark.parametrize("prompt, message", [("a warm pad", "names no pitch"), ("C7", "outside this model's range")])
def test_a_prompt_without_a_playable_pitch_is_a_value_error(tta, prompt, message):
    with pytest.raises(ValueError, match=message) as error:
        tta(prompt, forward_params={"audio_length_in_s": 0.032})
    assert "C3 (48) to C5 (72)" in str(error.value)


@pytest.mark.parametrize("seconds", [-1.0, 0.0, float("nan"), "long"])
def test_text_to_audio_rejects_bad_lengths(tta, seconds):
    with pytest.raises(ValueError, match="audio_length_in_s"):
        tta("C4", forward_params={"audio_length_in_s": seconds})


def test_a_mel_if_model_keeps_the_contract(tmp_path):
    save_gansynth_folder(GANSynthGenerator(tiny_config(representation="mel_if")), tmp_path)
    audio = pipeline("text-to-audio", model=str(tmp_path))("C4", forward_params={"audio_length_in_s": 0.05})["audio"]
    assert audio.shape == (400,) and audio.dtype == np.float32 and np.abs(audio).max() <= 1.0 and audio.std() > 0


# ---------------------------------------------------------------------------- GANSynthPipeline
def test_every_latent_plays_every_pitch(pipe):
    out = pipe(["C4", 62, "note 64"], batch_size=2, seed=0)
    assert out.audios.shape == (2, 3, NOTE) and out.audios.dtype == np.float32 and out.sampling_rate == RATE
    assert out.pitches == [60, 62, 64] and out.latents.shape == (2, 16) and np.abs(out.audios).max() <= 1.0
    again = pipe([60, 62, 64], latents=out.latents[1])                 # a kept latent plays its instrument again
    np.testing.assert_allclose(again.audios[0], out.audios[1], atol=1e-5)
    assert not np.allclose(out.audios[0], out.audios[1], atol=1e-3)
    assert pipe(60, batch_size=2, seed=0, audio_length_in_s=0.05).audios.shape == (2, 1, 400)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"pitches": 90}, r"outside this model's range C3 \(48\) to C5 \(72\)"),
        ({"pitches": "C7"}, "outside this model's range"),
        ({"pitches": []}, "pitches is empty"),
        ({"pitches": 60.5}, "MIDI number"),
        ({"pitches": 60, "batch_size": 0}, "batch_size"),
        ({"pitches": 60, "batch_size": -2}, "batch_size"),
        ({"pitches": 60, "latents": torch.zeros(2, 15)}, r"\(batch, 16\)"),
        ({"pitches": 60, "latents": torch.zeros(2, 16), "batch_size": 2}, "not both"),
        ({"pitches": 60, "audio_length_in_s": 0}, "audio_length_in_s"),
    ],
)
def test_pipeline_bad_input_is_a_value_error(pipe, kwargs, message):
    with pytest.raises(ValueError, match=message):
        pipe(**kwargs)


def test_slerp_keeps_the_endpoints_and_stays_on_the_sphere(pipe):
    a, b = torch.randn(16), torch.randn(16)
    path = pipe.interpolate(a, b, steps=5)
    assert path.shape == (5, 16)
    torch.testing.assert_close(path[0], a)
    torch.testing.assert_close(path[-1], b)
    unit = slerp(a / a.norm(), b / b.norm(), 7)
    torch.testing.assert_close(unit.norm(dim=1), torch.ones(7))
    angles = torch.arccos((unit[:-1] * unit[1:]).sum(dim=1).clamp(-1, 1))
    torch.testing.assert_close(angles, angles[:1].expand(6), atol=1e-5, rtol=1e-4)  # even steps along the arc
    torch.testing.assert_close(slerp(a, 2 * a, 3)[1], 1.5 * a)                       # parallel: a straight line
    with pytest.raises(ValueError, match="steps"):
        pipe.interpolate(a, b, steps=1)
    with pytest.raises(ValueError, match="z_b"):
        pipe.interpolate(a, torch.randn(3), steps=3)


# ------------------------------------------------------------------------------------- MIDI
def midi_with(notes_by_instrument: list[list[tuple]], drums: bool = False) -> pretty_midi.PrettyMIDI:
    """One instrument per list of (pitch, start, end, velocity) notes."""
    score = pretty_midi.PrettyMIDI()
    for notes in notes_by_instrument:
        instrument = pretty_midi.Instrument(program=0, is_drum=drums)
        instrument.notes = [pretty_midi.Note(velocity, pitch, start, end) for pitch, start, end, velocity in notes]
        score.instruments.append(instrument)
    return score


def test_render_midi_places_each_note_at_its_start(pipe):
    # 80-sample notes with a 40-sample release: silence between them.
    score = midi_with([[(60, 0.1, 0.11, 100), (64, 0.3, 0.31, 100)], [(67, 0.2, 0.21, 100)]])
    piece = pipe.render_midi(score, seed=0, release_in_s=0.005)
    audio = piece.audio
    assert piece.sampling_rate == RATE and audio.dtype == np.float32 and np.abs(audio).max() <= 1.0
    assert piece.latents.shape == (2, 16)
    assert audio.shape == (round(0.31 * RATE) + 40,)
    sounding = np.abs(audio) > 0
    for onset in (800, 1600, 2400):
        assert not sounding[onset - 680 : onset].any()               # silent since the previous note ended
        assert sounding[onset : onset + 8].any()                     # and sounding from the note's start
    assert not sounding[:800].any()


def test_render_midi_scales_notes_by_velocity(pipe):
    score = midi_with([[(60, 0.0, 0.01, 127), (60, 0.1, 0.11, 42)]])
    audio = pipe.render_midi(score, instrument_latents=torch.randn(16), release_in_s=0.0).audio
    loud, soft = audio[:80], audio[800:880]
    np.testing.assert_allclose(soft, loud * 42 / 127, atol=1e-6)


def test_render_midi_bad_input_is_a_value_error(pipe):
    with pytest.raises(ValueError, match="no pitched notes"):
        pipe.render_midi(pretty_midi.PrettyMIDI())
    with pytest.raises(ValueError, match="no pitched notes"):
        pipe.render_midi(midi_with([[(60, 0.0, 0.1, 100)]], drums=True))
    with pytest.raises(ValueError, match=r"pitches \[30, 100\], outside"):
        pipe.render_midi(midi_with([[(30, 0.0, 0.1, 100), (60, 0.1, 0.2, 100), (100, 0.2, 0.3, 100)]]))
    with pytest.raises(ValueError, match="2 pitched instruments"):
        two_instruments = midi_with([[(60, 0.0, 0.1, 100)], [(62, 0.0, 0.1, 100)]])
        pipe.render_midi(two_instruments, instrument_latents=torch.randn(3, 16))
    with pytest.raises(ValueError, match="release_in_s"):
        pipe.render_midi(midi_with([[(60, 0.0, 0.1, 100)]]), release_in_s=-0.1)


def test_pipeline_save_and_load_round_trip(pipe, tmp_path):
    pipe.save_pretrained(tmp_path)
    latent = torch.randn(1, 16)
    np.testing.assert_array_equal(GANSynthPipeline.from_pretrained(tmp_path)(60, latents=latent).audios,
                                  pipe(60, latents=latent).audios)
    assert pipeline("text-to-audio", model=str(tmp_path))("C4")["audio"].shape == (NOTE,)

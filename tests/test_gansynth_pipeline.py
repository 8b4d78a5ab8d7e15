"""GANSynth's generation: the shared generator tests, then what is GANSynth's own (pitch prompts,
pitch x latent grids, slerp, MIDI rendering)."""

import numpy as np
import pretty_midi
import pytest
import torch
from transformers import AutoModelForTextToWaveform, pipeline

from model_tester import GeneratorTester
from hfsynth.models.gansynth import GANSynthGenerator, GANSynthPipeline, slerp
from test_gansynth_model import tiny_config

RATE = 8000
NOTE = 256  # samples in a tiny model's note (32 ms)


class TestGANSynthGeneration(GeneratorTester):
    pipeline_class = GANSynthPipeline
    prompts = ("a bright C4", "E4")
    seconds = 0.032

    def make_model(self):
        return GANSynthGenerator(tiny_config())


@pytest.fixture(scope="module")
def pipe() -> GANSynthPipeline:
    torch.manual_seed(0)
    return GANSynthPipeline(GANSynthGenerator(tiny_config()))


@pytest.fixture(scope="module")
def folder(pipe, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("gansynth")
    pipe.save_pretrained(path)
    return str(path)


@pytest.fixture(scope="module")
def tta(folder):
    return pipeline("text-to-audio", model=folder)


# ------------------------------------------------------------------------------ text-to-audio
def test_gansynth_is_the_text_to_waveform_class(folder):
    assert isinstance(AutoModelForTextToWaveform.from_pretrained(folder), GANSynthGenerator)


@pytest.mark.parametrize("seconds", [0.02, 0.1])  # shorter and longer than the note
def test_other_lengths_trim_or_pad_the_note(tta, seconds):
    audio = tta("a bright C4", forward_params={"audio_length_in_s": seconds})["audio"]
    assert audio.shape == (round(seconds * RATE),) and np.abs(audio).max() <= 1.0 and audio.std() > 0
    if seconds > 0.032:
        assert np.all(audio[NOTE:] == 0)          # silence after the note


@pytest.mark.parametrize("prompt, pitch", [("C4", 60), ("F#3", 54), ("note 60", 60), ("a soft guitar, Bb3", 58)])
def test_the_prompt_names_the_pitch(tta, pipe, prompt, pitch):
    latent = pipe.model.sample_latents(1, torch.Generator().manual_seed(5))
    expected = pipe(pitch, latents=latent).audios[0]
    np.testing.assert_allclose(tta(prompt, forward_params={"seed": 5})["audio"], expected, atol=1e-6)


def test_the_pitch_changes_the_note(tta):
    assert not np.allclose(tta("C4", forward_params={"seed": 3})["audio"], tta("E4", forward_params={"seed": 3})["audio"])


@pytest.mark.parametrize("prompt, message", [("a warm pad", "names no pitch"), ("C7", "outside this model's range")])
def test_a_prompt_without_a_playable_pitch_is_a_value_error(tta, prompt, message):
    with pytest.raises(ValueError, match=message) as error:
        tta(prompt, forward_params={"audio_length_in_s": 0.032})
    assert "C3 (48) to C5 (72)" in str(error.value)


def test_generate_takes_pitches_and_latents_instead_of_prompts(pipe):
    latents = torch.randn(2, 16)
    out = pipe.model.generate(pitch=["C4", 64], latents=latents, return_dict_in_generate=True)
    assert out.audio.shape == (2, 1, NOTE)
    torch.testing.assert_close(out.latents, latents)
    with pytest.raises(ValueError, match="one of them"):
        pipe.model.generate()
    with pytest.raises(ValueError, match=r"\(2, 16\)"):
        pipe.model.generate(pitch=[60, 62], latents=torch.randn(3, 16))


def test_a_mel_if_model_keeps_the_contract(tmp_path):
    GANSynthPipeline(GANSynthGenerator(tiny_config(representation="mel_if"))).save_pretrained(tmp_path)
    audio = pipeline("text-to-audio", model=str(tmp_path))("C4", forward_params={"audio_length_in_s": 0.05})["audio"]
    assert audio.shape == (400,) and audio.dtype == np.float32 and np.abs(audio).max() <= 1.0 and audio.std() > 0


# ---------------------------------------------------------------------------- GANSynthPipeline
def test_every_latent_plays_every_pitch(pipe):
    out = pipe(["C4", 62, "note 64"], num_waveforms_per_prompt=2, generator=torch.Generator().manual_seed(0))
    assert out.audios.shape == (6, NOTE) and out.audios.dtype == np.float32 and out.sampling_rate == RATE
    assert out.latents.shape == (2, 16) and np.abs(out.audios).max() <= 1.0
    again = pipe([60, 62, 64], latents=out.latents[1])                 # a kept latent plays its instrument again
    np.testing.assert_allclose(again.audios, out.audios[1::2], atol=1e-5)
    assert not np.allclose(out.audios[0], out.audios[1], atol=1e-3)    # two instruments at one pitch
    assert pipe(60, num_waveforms_per_prompt=2, audio_length_in_s=0.05).audios.shape == (2, 400)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"prompt": 90}, r"outside this model's range C3 \(48\) to C5 \(72\)"),
        ({"prompt": "C7"}, "outside this model's range"),
        ({"prompt": []}, "prompt list is empty"),
        ({"prompt": 60.5}, "MIDI number"),
        ({"prompt": 60, "latents": torch.zeros(2, 15)}, r"\(2, 16\)"),
        ({"prompt": 60, "latents": torch.zeros(2, 16), "num_waveforms_per_prompt": 2}, "not both"),
        ({"prompt": 60, "audio_length_in_s": 0}, "audio_length_in_s"),
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
    piece = pipe.render_midi(score, generator=torch.Generator().manual_seed(0), release_in_s=0.005)
    audio = piece.audios[0]
    assert piece.sampling_rate == RATE and audio.dtype == np.float32 and np.abs(audio).max() <= 1.0
    assert piece.audios.shape == (1, round(0.31 * RATE) + 40) and piece.latents.shape == (2, 16)
    sounding = np.abs(audio) > 0
    for onset in (800, 1600, 2400):
        assert not sounding[onset - 680 : onset].any()               # silent since the previous note ended
        assert sounding[onset : onset + 8].any()                     # and sounding from the note's start
    assert not sounding[:800].any()


def test_render_midi_scales_notes_by_velocity(pipe):
    score = midi_with([[(60, 0.0, 0.01, 127), (60, 0.1, 0.11, 42)]])
    audio = pipe.render_midi(score, latents=torch.randn(16), release_in_s=0.0).audios[0]
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
        pipe.render_midi(two_instruments, latents=torch.randn(3, 16))
    with pytest.raises(ValueError, match="release_in_s"):
        pipe.render_midi(midi_with([[(60, 0.0, 0.1, 100)]]), release_in_s=-0.1)

"""NoteClassifier: heads, labels, save/load, and the audio-classification pipeline."""

import numpy as np
import pytest
import torch
from transformers import pipeline

import hfsynth  # noqa: F401
from hfsynth.models.note_classifier import NoteClassifier, NoteClassifierConfig
from hfsynth.models.note_classifier.training_note_classifier import feature_extractor_for

SMALL = dict(n_mels=32, channels=[4, 8], embedding_size=16, n_fft=512, hop_length=128, pitch_min=48, pitch_max=72)


def test_heads_and_embedding_shapes():
    model = NoteClassifier(NoteClassifierConfig(**SMALL)).eval()
    out = model(torch.randn(3, 8000) * 0.1)
    assert out.pitch_logits.shape == (3, 25) and out.instrument_family_logits.shape == (3, 11)
    assert out.velocity_logits.shape == (3, 3) and out.embeddings.shape == (3, 16)
    assert torch.equal(out.logits, out.instrument_family_logits)  # the pipeline head by default


def test_loss_uses_raw_labels():
    model = NoteClassifier(NoteClassifierConfig(**SMALL))
    assert model.class_index("pitch", torch.tensor([48, 72])).tolist() == [0, 24]
    assert model.class_index("velocity", torch.tensor([10, 45, 46, 127])).tolist() == [0, 0, 1, 2]
    out = model(torch.randn(2, 8000), pitch=torch.tensor([60, 61]), instrument_family=torch.tensor([0, 4]),
                velocity=torch.tensor([100, 30]))
    assert out.loss.ndim == 0 and torch.isfinite(out.loss)
    with pytest.raises(ValueError, match="48..72"):
        model(torch.randn(1, 8000), pitch=torch.tensor([90]))


def test_bad_input_and_config():
    model = NoteClassifier(NoteClassifierConfig(**SMALL))
    with pytest.raises(ValueError, match="too short"):
        model(torch.randn(1, 10))
    with pytest.raises(ValueError, match="mono"):
        model(torch.randn(1, 2, 3, 8000))
    with pytest.raises(ValueError, match="pipeline_head"):
        NoteClassifierConfig(pipeline_head="loudness")


def test_round_trip_restores_weights_and_the_mel_filterbank(tmp_path):
    model = NoteClassifier(NoteClassifierConfig(**SMALL)).eval()
    audio = torch.randn(2, 8000) * 0.1
    model.save_pretrained(tmp_path)
    loaded = NoteClassifier.from_pretrained(tmp_path).eval()
    assert torch.isfinite(loaded.frontend.mel_scale.filterbank).all()
    assert torch.allclose(loaded(audio).embeddings, model(audio).embeddings, atol=1e-5)


def test_audio_classification_pipeline_names_families(tmp_path):
    config = NoteClassifierConfig(**SMALL)
    NoteClassifier(config).save_pretrained(tmp_path)
    feature_extractor_for(config).save_pretrained(tmp_path)
    classify = pipeline("audio-classification", model=str(tmp_path))
    tone = (0.3 * np.sin(2 * np.pi * 261.63 * np.arange(16000) / 16000)).astype(np.float32)
    out = classify({"raw": tone, "sampling_rate": 16000}, top_k=3)
    assert len(out) == 3 and all(item["label"] in config.instrument_families for item in out)


def test_analysis_window_starts_at_the_onset_and_stays_inside():
    model = NoteClassifier(NoteClassifierConfig(**SMALL, analysis_seconds=0.25)).eval()
    audio = torch.zeros(2, 16000)
    audio[0, 3000:] = 1.0                                # onset at 3000
    audio[1, 15000:] = 1.0                               # onset too late for a whole window
    window = model.analysis_window(audio)
    assert window.shape == (2, 4000)
    assert window[0, 0] == 1.0 and window[0].sum() == 4000
    assert window[1].sum() == 1000                       # moved back: the last 4000 samples
    short = torch.ones(1, 3000)
    assert torch.equal(model.analysis_window(short), short)


def test_leading_silence_and_tail_do_not_change_the_answer():
    model = NoteClassifier(NoteClassifierConfig(**SMALL, analysis_seconds=0.5)).eval()
    note = torch.sin(torch.arange(12000) * 0.2) * torch.linspace(1, 0.5, 12000)  # longer than the window
    padded = torch.cat([torch.zeros(4000), note, torch.zeros(8000)])[None]
    assert torch.allclose(model(note[None]).embeddings, model(padded).embeddings, atol=1e-5)

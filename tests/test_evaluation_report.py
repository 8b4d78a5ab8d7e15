"""``hfsynth evaluate`` on toy models whose scores are known in advance."""

import json

import pytest

from hfsynth.cli import USAGE_ERROR, main
from hfsynth.data import NoteDatasetConfig, build_note_dataset, save_dataset
from hfsynth.evaluation.report import evaluate_model, model_task
from hfsynth.models.note_classifier import NoteClassifier, NoteClassifierConfig
from hfsynth.models.note_classifier.training_note_classifier import feature_extractor_for
from toy_models import save_toy_gain, save_toy_sine


@pytest.fixture(scope="module")
def notes_dir(tmp_path_factory):
    config = NoteDatasetConfig(programs=(0, 40), pitches=(57, 64), velocities=(100,), duration_in_s=(0.5, 0.75),
                               max_examples=6, seed=1)
    return str(save_dataset(build_note_dataset(config), tmp_path_factory.mktemp("data") / "notes"))


def test_generator_report_scores_the_captioned_pitch(notes_dir, tmp_path):
    model = save_toy_sine(tmp_path / "sine")  # plays exactly the pitch its prompt names
    assert model_task(model) == "text-to-audio"
    report = evaluate_model(model, notes_dir)
    assert report.examples == 6 and report.metrics["pitch_accuracy_pyin"] == 1.0


def test_audio_to_audio_report_compares_with_the_input(notes_dir, tmp_path):
    report = evaluate_model(save_toy_gain(tmp_path / "gain", sampling_rate=16000, gain=0.5), notes_dir)
    assert report.task == "audio-to-audio"
    assert report.metrics["si_sdr"] > 40          # a scaled copy is perfect up to scale ...
    assert report.metrics["sdr"] < 10             # ... but not sample for sample


def test_classifier_report_and_cli_files(notes_dir, tmp_path):
    config = NoteClassifierConfig(n_mels=32, channels=[4], embedding_size=8, n_fft=512, hop_length=128)
    NoteClassifier(config).save_pretrained(tmp_path / "clf")
    feature_extractor_for(config).save_pretrained(tmp_path / "clf")
    code = main(["evaluate", "--model", str(tmp_path / "clf"), "--data", notes_dir, "--out", str(tmp_path / "r")])
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert code == 0 and report["task"] == "audio-classification"
    assert set(report["metrics"]) == {"pitch_accuracy", "instrument_family_accuracy", "velocity_accuracy"}
    assert all(0.0 <= value <= 1.0 for value in report["metrics"].values())
    assert "| pitch_accuracy |" in (tmp_path / "r" / "report.md").read_text()


def test_bad_paths_are_exit_code_2(notes_dir, tmp_path, capsys):
    assert main(["evaluate", "--model", str(tmp_path / "nope"), "--data", notes_dir, "--out", str(tmp_path)]) == USAGE_ERROR
    assert "model folder not found" in capsys.readouterr().err
    model = save_toy_sine(tmp_path / "sine")
    assert main(["evaluate", "--model", model, "--data", str(tmp_path / "none"), "--out", str(tmp_path)]) == USAGE_ERROR
    assert "dataset folder not found" in capsys.readouterr().err

"""WaveNet's generation: the shared generator tests, then WaveNet's own (classes read from prompts,
the vocoder through audio-to-audio, mel alignment, the training recipe and ``hfsynth transform``)."""

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForTextToWaveform, pipeline

import hfsynth  # noqa: F401  (registers WaveNet and the audio-to-audio task)
from hfsynth.audio import write_audio
from hfsynth.cli import main
from model_tester import LoopGeneratorTester
from hfsynth.models.wavenet import WaveNetModel, WaveNetPipeline
from hfsynth.models.wavenet.prompting_wavenet import byte_tokenizer, class_for_prompt, decode_byte_prompts
from hfsynth.models.wavenet.training_wavenet import WaveNetRecipe
from hfsynth.training import Trainer, TrainingConfig
from hfsynth.training.train import build_recipe, load_run_config
from test_wavenet_model import tiny_config

RATE = 8000
SECONDS = 0.05  # 400 samples: generation runs one sample at a time
CLASSES = ["bass", "keyboard", "string"]
VOCODER = dict(local_cond_channels=8, upsample_scales=[4, 4], mel_n_fft=64)  # hop 16


def save_tiny(folder, **overrides) -> str:
    WaveNetPipeline(WaveNetModel(tiny_config(**overrides))).save_pretrained(folder)
    return str(folder)


class TestWaveNetGeneration(LoopGeneratorTester):
    pipeline_class = WaveNetPipeline
    prompts = ("a soft piano note", "strings, loud")
    seconds = 0.02

    def make_model(self):
        return WaveNetModel(tiny_config(global_cond_classes=3, class_labels=CLASSES, audio_length_in_s=0.01))


class TestUnconditionalWaveNetGeneration(LoopGeneratorTester):
    pipeline_class = WaveNetPipeline
    seconds = 0.02

    def make_model(self):
        return WaveNetModel(tiny_config(audio_length_in_s=0.01))

    def test_batch_size_sets_the_count_without_prompts(self, model):
        assert model.generate(batch_size=2).shape == (2, 1, 80)
        with pytest.raises(ValueError, match="batch_size"):
            model.generate(batch_size=2, class_ids=[0])


@pytest.fixture(scope="module")
def unconditional(tmp_path_factory) -> str:
    return save_tiny(tmp_path_factory.mktemp("unconditional"))


@pytest.fixture(scope="module")
def classes(tmp_path_factory) -> str:
    return save_tiny(tmp_path_factory.mktemp("classes"), global_cond_classes=3, class_labels=CLASSES)


@pytest.fixture(scope="module")
def vocoder(tmp_path_factory) -> str:
    return save_tiny(tmp_path_factory.mktemp("vocoder"), **VOCODER)


def generate(tta, prompt: str, seed: int = 0) -> np.ndarray:
    torch.manual_seed(seed)
    return tta(prompt, forward_params={"audio_length_in_s": SECONDS})["audio"]


# ------------------------------------------------------------------------------ text-to-audio
def test_wavenet_is_the_text_to_waveform_class(classes):
    assert isinstance(AutoModelForTextToWaveform.from_pretrained(classes), WaveNetModel)


def test_the_prompt_picks_the_class(classes):
    tta = pipeline("text-to-audio", model=classes)
    piano = generate(tta, "a soft piano note, C4")
    assert np.array_equal(piano, generate(tta, "keyboard"))          # piano is a keyboard: same class
    assert not np.allclose(piano, generate(tta, "strings, loud"))    # another class, same noise


def test_an_unconditional_model_ignores_the_prompt(unconditional):
    tta = pipeline("text-to-audio", model=unconditional)
    assert np.array_equal(generate(tta, "piano"), generate(tta, "anything at all"))


def test_a_prompt_naming_no_class_is_a_value_error(classes):
    tta = pipeline("text-to-audio", model=classes)
    with pytest.raises(ValueError, match="bass, keyboard, string"):
        tta("a drum kit", forward_params={"audio_length_in_s": SECONDS})


def test_a_vocoder_refuses_text(vocoder):
    with pytest.raises(ValueError, match="vocoder"):
        pipeline("text-to-audio", model=vocoder)("piano", forward_params={"audio_length_in_s": SECONDS})


def test_prompts_round_trip_through_the_byte_tokenizer():
    batch = byte_tokenizer()(["a piano", "strings \u266a"], padding=True, return_tensors="pt")
    assert decode_byte_prompts(batch["input_ids"], batch["attention_mask"]) == ["a piano", "strings \u266a"]


@pytest.mark.parametrize(
    "prompt, labels, expected",
    [
        ("a soft piano note", ["bass", "keyboard"], "keyboard"),        # a family word
        ("Synth Lead, C5", ["bass", "synth_lead"], "synth_lead"),       # underscores read as spaces
        ("a bassoon", ["bass", "reed"], "reed"),                         # bassoon is a reed, not a bass
        ("violin then cello", ["cello", "violin"], "violin"),           # plain names: the first named
    ],
)
def test_class_for_prompt(prompt, labels, expected):
    assert labels[class_for_prompt(prompt, labels)] == expected


# ----------------------------------------------------------------------------- audio-to-audio
@pytest.mark.parametrize("samples", [160, 250])  # a whole number of hops, and not
def test_audio_to_audio_keeps_the_length(vocoder, samples):
    noise = 0.3 * np.random.default_rng(0).standard_normal(samples).astype(np.float32)
    out = pipeline("audio-to-audio", model=vocoder)({"raw": noise, "sampling_rate": RATE})
    assert out["sampling_rate"] == RATE and out["audio"].dtype == np.float32
    assert out["audio"].shape == (samples,) and np.abs(out["audio"]).max() <= 1.0


def test_audio_to_audio_resamples_to_the_model_rate(vocoder):
    out = pipeline("audio-to-audio", model=vocoder)({"raw": np.zeros(500, np.float32), "sampling_rate": 2 * RATE})
    assert out["audio"].shape == (250,)


@pytest.mark.parametrize(
    "bad, message",
    [(np.zeros(0, np.float32), "empty"), (np.full(100, np.nan, np.float32), "NaN")],
)
def test_audio_to_audio_bad_input_is_a_value_error(vocoder, bad, message):
    with pytest.raises(ValueError, match=message):
        pipeline("audio-to-audio", model=vocoder)({"raw": bad, "sampling_rate": RATE})


def test_audio_to_audio_needs_a_vocoder(unconditional):
    with pytest.raises(ValueError, match="needs a vocoder"):
        pipeline("audio-to-audio", model=unconditional)({"raw": np.zeros(100, np.float32), "sampling_rate": RATE})


def test_hfsynth_transform_runs_a_vocoder(vocoder, tmp_path):
    wav = write_audio(tmp_path / "in.wav", 0.3 * np.sin(np.arange(400) * 0.2).astype(np.float32), RATE)
    assert main(["transform", "--model", vocoder, "--in", str(wav), "--out", str(tmp_path / "out.wav")]) == 0
    from hfsynth.audio import read_audio

    audio, rate = read_audio(tmp_path / "out.wav")
    assert rate == RATE and audio.shape == (400,)


# ---------------------------------------------------------------------------------------- mel
def test_mel_frames_times_hop_is_samples_and_frames_sit_on_their_hop():
    model = WaveNetModel(tiny_config(**VOCODER))
    hop = model.config.hop_length
    silence = torch.zeros(2, 10 * hop)
    assert model.mel_from_audio(silence).shape == (2, 8, 10)
    assert model.mel_from_audio(silence[:, : 9 * hop + 1]).shape == (2, 8, 10)  # a partial hop: one more frame
    click = silence.clone()
    click[:, 5 * hop + hop // 2] = 1.0  # the middle of hop 5
    change = (model.mel_from_audio(click) - model.mel_from_audio(silence)).sum(dim=1)[0]
    assert change.argmax().item() == 5


def test_training_crops_see_the_mel_of_the_whole_file():
    recipe = WaveNetRecipe(dataset="folder", data={"folder": "unused"}, model=tiny_config(**VOCODER).to_dict(),
                           segment_samples=64)
    model, hop, context = recipe._model, recipe.config.hop_length, recipe.context
    audio = torch.randn(1, 20 * hop)
    start = 6 * hop
    window = torch.nn.functional.pad(audio, (context, context))[:, start : start + 64 + 2 * context]
    crop, mel = recipe.segment_and_mel(window, model)
    assert torch.equal(crop, audio[:, start : start + 64])
    assert torch.allclose(mel, model.mel_from_audio(audio)[:, :, 6:10], atol=1e-5)


def test_a_loaded_vocoder_rebuilds_its_mel_filterbank(vocoder):
    audio = 0.3 * torch.randn(1, 160)
    fresh = WaveNetModel(tiny_config(**VOCODER)).mel_from_audio(audio)
    assert torch.allclose(WaveNetModel.from_pretrained(vocoder).mel_from_audio(audio), fresh)


def test_mel_from_audio_needs_a_vocoder():
    with pytest.raises(ValueError, match="takes no mel"):
        WaveNetModel(tiny_config()).mel_from_audio(torch.zeros(1, 64))


# ---------------------------------------------------------------------------- WaveNetPipeline
def test_wavenet_pipeline_generates_by_class_name_index_or_prompt(classes):
    pipe = WaveNetPipeline.from_pretrained(classes)

    def run(**kwargs):
        return pipe(audio_length_in_s=SECONDS, generator=torch.Generator().manual_seed(0), **kwargs)

    by_name = run(class_label="keyboard")
    assert by_name.sampling_rate == RATE and by_name.audios.shape == (1, 400) and by_name.audios.dtype == np.float32
    assert np.array_equal(by_name.audios, run(class_label=1).audios)
    assert np.array_equal(by_name.audios, run(prompt="a piano").audios)
    assert run(class_label="bass", num_waveforms_per_prompt=3).audios.shape == (3, 400)
    assert run(class_label=["bass", "string"]).audios.shape == (2, 400)


def test_wavenet_pipeline_vocodes_audio_and_mel(vocoder):
    pipe = WaveNetPipeline.from_pretrained(vocoder)
    assert pipe(audio=np.zeros(250, np.float32)).audios.shape == (1, 250)
    assert pipe(audio=np.zeros(500, np.float32), sampling_rate=2 * RATE).audios.shape == (1, 250)
    mel = pipe.model.mel_from_audio(torch.zeros(2, 160))
    assert pipe(mel=mel).audios.shape == (2, 160)
    assert pipe(mel=mel, audio_length_in_s=0.01).audios.shape == (2, 80)


@pytest.mark.parametrize(
    "folder, kwargs, message",
    [
        ("classes", {}, "class-conditioned"),
        ("classes", {"class_label": "drums"}, "unknown class"),
        ("classes", {"class_label": 3}, "0..2"),
        ("classes", {"class_label": "bass", "prompt": "bass"}, "not both"),
        ("unconditional", {"class_label": "bass"}, "no classes"),
        ("unconditional", {"audio": np.zeros(10)}, "not a vocoder"),
        ("unconditional", {"audio_length_in_s": -1.0}, "audio_length_in_s"),
        ("unconditional", {"temperature": 0.0}, "temperature"),
        ("vocoder", {}, "pass mel"),
        ("vocoder", {"audio": np.zeros(10), "audio_length_in_s": 1.0}, "keeps the audio's length"),
        ("vocoder", {"audio": np.full(10, np.nan)}, "NaN"),
    ],
)
def test_wavenet_pipeline_bad_input_is_a_value_error(folder, kwargs, message, request):
    pipe = WaveNetPipeline.from_pretrained(request.getfixturevalue(folder))
    with pytest.raises(ValueError, match=message):
        pipe(**kwargs)


# ------------------------------------------------------------------------------------ training
def write_sine_folder(folder, families: list[str]) -> str:
    """One short sine per family, with a metadata.csv naming its instrument_family."""
    folder.mkdir()
    rows = ["file_name,instrument_family"]
    for i, family in enumerate(families):
        tone = 0.5 * np.sin(2 * np.pi * (200 + 150 * i) * np.arange(RATE // 4) / RATE)
        write_audio(folder / f"{i}.wav", tone.astype(np.float32), RATE)
        rows.append(f"{i}.wav,{family}")
    (folder / "metadata.csv").write_text("\n".join(rows) + "\n")
    return str(folder)


def train(recipe: WaveNetRecipe, output_dir, steps: int):
    config = TrainingConfig(output_dir=str(output_dir), max_steps=steps, batch_size=4, learning_rate=3e-3,
                            log_every=1, save_every=1000, cpu=True)
    return Trainer(recipe, config).train()


def test_the_recipe_trains_a_vocoder_and_exports_a_pipeline_folder(tmp_path):
    data = write_sine_folder(tmp_path / "sines", ["bass", "keyboard", "string", "bass"])
    recipe = WaveNetRecipe(dataset="folder", data={"folder": data}, model=tiny_config(**VOCODER).to_dict(),
                           segment_samples=256)
    result = train(recipe, tmp_path / "run", steps=40)
    losses = [entry["model/loss"] for entry in result.history]
    assert losses[-1] < losses[0] - 0.5
    ata = pipeline("audio-to-audio", model=str(result.output_dir / "final"))
    assert ata({"raw": np.zeros(100, np.float32), "sampling_rate": RATE})["audio"].shape == (100,)


def test_the_recipe_conditions_on_instrument_families(tmp_path):
    data = write_sine_folder(tmp_path / "sines", ["bass", "keyboard", "string", "keyboard"])
    model = tiny_config(global_cond_classes=len(CLASSES), class_labels=CLASSES).to_dict()
    recipe = WaveNetRecipe(dataset="folder", data={"folder": data}, model=model, segment_samples=128)
    batch = recipe.collate([recipe.train_dataset()[i] for i in range(4)])
    assert batch["audio"].shape == (4, 128) and batch["class_ids"].tolist() == [0, 1, 2, 1]
    result = train(recipe, tmp_path / "run", steps=2)
    tta = pipeline("text-to-audio", model=str(result.output_dir / "final"))
    assert tta("string", forward_params={"audio_length_in_s": SECONDS})["audio"].shape == (400,)


def test_the_recipe_reads_class_ids_from_rendered_notes(tmp_path):
    recipe = WaveNetRecipe(
        dataset="notes", model=tiny_config(global_cond_classes=11).to_dict(), segment_samples=128,
        data={"programs": [0, 40], "pitches": [60, 60], "velocities": [100], "duration_in_s": [0.1, 0.2]},
        cache_dir=str(tmp_path),
    )
    assert recipe.config.class_labels[4] == "keyboard"  # the instrument families by default
    notes = recipe.train_dataset()
    assert sorted(int(notes[i]["class_id"]) for i in range(len(notes))) == [4, 8]  # piano, violin


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dataset": "speech"}, "dataset must be one of"),
        ({"model": {**VOCODER}, "segment_samples": 100}, "multiple of the hop length 16"),
        ({"dataset": "music", "model": {"global_cond_classes": 11}}, "several instruments"),
        ({"dataset": "folder", "data": {"path": "x"}}, "folder dataset takes"),
    ],
)
def test_recipe_bad_settings_are_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WaveNetRecipe(**kwargs)


def test_the_tiny_vocoder_config_builds():
    run = load_run_config(Path(__file__).parents[1] / "configs" / "wavenet_vocoder_tiny.yaml")
    recipe = build_recipe(run.recipe, run.recipe_args)
    config = recipe.config
    assert config.local_cond_channels == 80 and config.hop_length == 256 and config.sampling_rate == 16000
    assert recipe.segment_samples % config.hop_length == 0 and recipe.segment_samples > config.receptive_field

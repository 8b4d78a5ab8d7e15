"""Training AudioGen: the EnCodec training wrapper, the codec recipe, the AudioGen recipe (mixing,
pretrained T5) and the run files."""

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import EncodecModel, T5Config, T5EncoderModel, pipeline

import hfsynth  # noqa: F401
from hfsynth.audio import write_audio
from hfsynth.models.audiogen import AudioGenForConditionalGeneration, train_caption_tokenizer
from hfsynth.models.audiogen.codec_audiogen import load_codec, load_codec_config
from hfsynth.models.audiogen.configuration_audiogen import codec_config
from hfsynth.models.audiogen.training_audiogen import AudioGenRecipe
from hfsynth.models.audiogen.training_codec import CodecRecipe
from hfsynth.modules.augmentation import mix_at_snr
from hfsynth.modules.encodec_training import TrainableEncodec, reset_encodec_weights
from hfsynth.training import Trainer, TrainingConfig
from hfsynth.training.train import build_recipe, load_run_config
from test_audiogen_model import RATE, TINY_CODEC

CONFIGS = Path(__file__).parents[1] / "configs"
CAPTIONS = ["a low hum", "a high whistle", "a buzzing tone", "a soft chirp"]
TINY_MODEL = dict(
    decoder=dict(num_hidden_layers=2, hidden_size=32, num_attention_heads=4, ffn_dim=64, max_position_embeddings=40),
    text_encoder=dict(d_model=32, d_kv=8, d_ff=64, num_layers=1, num_heads=4),
)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> str:
    """Four one-second tones at RATE with a caption each."""
    folder = tmp_path_factory.mktemp("clips")
    rows = ["file_name,caption"]
    for index, caption in enumerate(CAPTIONS):
        tone = 0.5 * np.sin(2 * np.pi * (50 + 60 * index) * np.arange(RATE) / RATE)
        write_audio(folder / f"{index}.wav", tone.astype(np.float32), RATE)
        rows.append(f"{index}.wav,{caption}")
    (folder / "metadata.csv").write_text("\n".join(rows) + "\n")
    return str(folder)


def train(recipe, output_dir, steps: int, learning_rate: float = 3e-3):
    config = TrainingConfig(output_dir=str(output_dir), max_steps=steps, batch_size=4, learning_rate=learning_rate,
                            log_every=1, save_every=1000, cpu=True)
    return Trainer(recipe, config).train()


@pytest.fixture(scope="module")
def codec_folder(clips, tmp_path_factory) -> str:
    run = tmp_path_factory.mktemp("codec")
    recipe = CodecRecipe(dataset="folder", data={"folder": clips}, codec=TINY_CODEC, segment_seconds=0.5,
                         discriminator={"fft_sizes": [64, 32], "channels": 4})
    result = train(recipe, run, steps=2)
    for entry in result.history:
        assert np.isfinite(entry["codec/loss"]) and np.isfinite(entry["discriminator/loss"])
    return str(result.output_dir / "final")


# ------------------------------------------------------------------------ EnCodec training
def test_trainable_encodec_starts_and_moves_its_codebooks():
    codec = TrainableEncodec(EncodecModel(codec_config({**TINY_CODEC, "num_codebooks": 2}))).train()
    codebook = codec.codec.quantizer.layers[0].codebook
    assert not codebook.embed.any()                                  # transformers builds zero codebooks
    audio = 0.3 * torch.randn(4, RATE)
    out = codec(audio)
    assert out.audio.shape == audio.shape and out.codes.shape == (4, 2, 50) and codebook.embed.any()
    before = codebook.embed.clone()
    codec(audio, update_codebooks=False)
    codec.eval()(audio)
    assert torch.equal(codebook.embed, before)                       # only training updates move codebooks
    codec.train()(audio)
    assert not torch.equal(codebook.embed, before)
    assert torch.equal(codec.codec.encode(audio[:, None]).audio_codes[0], codec(audio, update_codebooks=False).codes)


def test_trainable_encodec_passes_gradients_straight_through():
    codec = TrainableEncodec(EncodecModel(codec_config({**TINY_CODEC, "num_codebooks": 2}))).train()
    out = codec(0.3 * torch.randn(2, RATE))
    (out.audio.square().mean() + out.commitment_loss).backward()
    assert codec.codec.encoder.layers[0].conv.parametrizations.weight.original1.grad.abs().sum() > 0


def test_unused_codes_restart_from_the_batch():
    codec = TrainableEncodec(EncodecModel(codec_config({**TINY_CODEC, "num_codebooks": 1})), dead_code_threshold=0.5)
    codec.train()
    codebook = codec.codec.quantizer.layers[0].codebook
    codec(0.3 * torch.randn(4, RATE))
    codebook.cluster_size[5] = 0.0                                    # entry 5 has not been used for ages
    codebook.embed_avg[5] = 1e3
    codec(0.3 * torch.randn(4, RATE))
    assert codebook.embed[5].abs().max() < 1e2                        # restarted near the data


def test_reset_weights_make_the_latents_follow_the_audio():
    """Under transformers' initialisation (which misses weight-normed convolutions) the small codec's
    latents hardly depend on the audio; after the reset they vary with it."""
    config = codec_config({"num_filters": 16, "hidden_size": 64, "num_lstm_layers": 1})
    audio = 0.02 * torch.randn(2, 1, 16000, generator=torch.Generator().manual_seed(0))

    def relative_variation(codec: EncodecModel) -> float:
        with torch.no_grad():
            latents = codec.encoder(audio)
        return (latents.std(dim=-1).mean() / latents.abs().mean()).item()

    torch.manual_seed(0)
    stock = EncodecModel(config)
    reset = reset_encodec_weights(EncodecModel(config))
    assert relative_variation(stock) < 0.1 < relative_variation(reset)
    conv = reset.encoder.layers[0].conv
    assert not conv.bias.any() and torch.allclose(conv.weight, conv.parametrizations.weight.original1)


# ------------------------------------------------------------------------------ codec recipe
def test_the_codec_recipe_reduces_its_reconstruction_loss(clips, tmp_path):
    recipe = CodecRecipe(dataset="folder", data={"folder": clips}, codec=TINY_CODEC, segment_seconds=0.5,
                         adversarial=False)
    losses = [entry["codec/loss"] for entry in train(recipe, tmp_path, steps=12, learning_rate=1e-2).history]
    assert all(np.isfinite(losses)) and min(losses[-3:]) < losses[0]


def test_the_codec_recipe_exports_a_plain_encodec_folder(codec_folder):
    codec = EncodecModel.from_pretrained(codec_folder)
    assert codec.config.num_quantizers == 3 and codec.quantizer.layers[0].codebook.embed.any()
    assert (Path(codec_folder) / "preprocessor_config.json").is_file()


def test_the_codec_loads_from_its_folder_or_from_an_audiogen_folder(codec_folder, tmp_path):
    """A model built on a codec carries it: load_codec gives back the same weights from either folder."""
    audiogen = AudioGenForConditionalGeneration.from_sub_models_pretrained(
        audio_encoder_path=codec_folder, decoder=TINY_MODEL["decoder"]
    )
    audiogen.save_pretrained(tmp_path / "audiogen")
    from_codec, from_audiogen = load_codec(codec_folder), load_codec(str(tmp_path / "audiogen"))
    assert load_codec_config(str(tmp_path / "audiogen")).to_dict() == from_codec.config.to_dict()
    assert all(torch.equal(a, b) for a, b in zip(from_codec.state_dict().values(), from_audiogen.state_dict().values()))
    T5EncoderModel(T5Config(vocab_size=10, d_model=8, d_kv=4, d_ff=8, num_layers=1, num_heads=2)).save_pretrained(
        tmp_path / "t5"
    )
    with pytest.raises(ValueError, match="holds a T5Config"):
        load_codec(str(tmp_path / "t5"))


def test_codec_recipe_bad_settings():
    with pytest.raises(ValueError, match="unknown loss weights"):
        CodecRecipe(dataset="folder", data={"folder": "x"}, codec=TINY_CODEC, loss_weights={"mel": 1.0})


# ---------------------------------------------------------------------------- AudioGen recipe
def test_mixing_joins_captions_and_keeps_the_peak(codec_folder, clips):
    recipe = AudioGenRecipe(codec=codec_folder, dataset="folder", data={"folder": clips}, model=TINY_MODEL,
                            segment_seconds=0.5, mix_probability=1.0)
    recipe.modules()
    batch = recipe.collate([recipe.train_dataset()[i] for i in range(4)])
    decoded = recipe.tokenizer.batch_decode(batch["input_ids"], skip_special_tokens=True)
    assert decoded[0] == f"{CAPTIONS[0]} and {CAPTIONS[1]}" and decoded[3] == f"{CAPTIONS[3]} and {CAPTIONS[0]}"
    assert batch["input_values"].shape == (4, RATE // 2) and batch["input_values"].abs().max() <= 1.0
    assert batch["cache_keys"] == [None] * 4                                # mixes are new audio: never cached
    loud, quiet = torch.ones(1, 100), torch.full((1, 100), 0.5)
    mixed = mix_at_snr(0.1 * loud, quiet, torch.tensor([20.0]))           # the second source 20 dB down
    assert torch.allclose(mixed, torch.full((1, 100), 0.11))


def test_note_name_dropout_leaves_the_register_word_alone(codec_folder):
    settings = dict(codec=codec_folder, dataset="folder", data={"folder": "x"}, model=TINY_MODEL, segment_seconds=0.5)
    examples = [{"caption": "a loud low organ note, E2"}, {"caption": "a soft hum"}]
    assert AudioGenRecipe(**settings).captions(examples) == ["a loud low organ note, E2", "a soft hum"]
    assert AudioGenRecipe(**settings, note_name_dropout=1.0).captions(examples) == ["a loud low organ note", "a soft hum"]


def test_unmixed_crops_are_encoded_once(codec_folder, clips):
    recipe = AudioGenRecipe(codec=codec_folder, dataset="folder", data={"folder": clips}, model=TINY_MODEL,
                            segment_seconds=0.5, mix_probability=0.0)
    model = recipe.modules()["model"]
    examples = [recipe.train_dataset()[i] for i in range(4)]
    batch = recipe.collate(examples)
    assert [key[0] for key in batch["cache_keys"]] == [0, 1, 2, 3]
    encoded_rows = []

    def encode(audio):
        encoded_rows.append(audio.shape[0])
        return model.encode_audio(audio)

    first = recipe.code_cache.codes(batch["cache_keys"], batch["input_values"], encode)
    again = recipe.code_cache.codes(batch["cache_keys"], batch["input_values"], encode)
    mixed = recipe.code_cache.codes([None, *batch["cache_keys"][1:]], batch["input_values"], encode)
    assert encoded_rows == [4, 1] and torch.equal(first, again) and torch.equal(first, mixed)
    assert torch.equal(first, model.encode_audio(batch["input_values"]))


def test_the_audiogen_recipe_trains_and_exports_a_pipeline_folder(codec_folder, clips, tmp_path):
    recipe = AudioGenRecipe(codec=codec_folder, dataset="folder", data={"folder": clips}, model=TINY_MODEL,
                            tokenizer_vocab_size=40, segment_seconds=0.5)
    result = train(recipe, tmp_path, steps=6)
    losses = [entry["model/loss"] for entry in result.history]
    assert losses[-1] < losses[0] and "model/codebook_2" in result.history[0]
    tta = pipeline("text-to-audio", model=str(result.output_dir / "final"))
    out = tta("a low hum and a soft chirp", forward_params={"audio_length_in_s": 0.5})
    assert out["audio"].shape == (RATE // 2,) and out["sampling_rate"] == RATE


def test_a_pretrained_t5_and_its_tokenizer_load_from_a_folder(codec_folder, clips, tmp_path):
    tokenizer = train_caption_tokenizer(CAPTIONS * 3, vocab_size=40)
    t5 = T5EncoderModel(T5Config(vocab_size=len(tokenizer), d_model=24, d_kv=6, d_ff=48, num_layers=1, num_heads=4))
    t5.save_pretrained(tmp_path / "t5")
    tokenizer.save_pretrained(tmp_path / "t5")
    def recipe_with(text_encoder: Path) -> AudioGenRecipe:
        return AudioGenRecipe(codec=codec_folder, dataset="folder", data={"folder": clips}, segment_seconds=0.5,
                              text_encoder=str(text_encoder), model={"decoder": TINY_MODEL["decoder"]})

    recipe = recipe_with(tmp_path / "t5")
    model = recipe.modules()["model"]
    assert torch.equal(model.text_encoder.shared.weight, t5.shared.weight)
    assert not any(p.requires_grad for p in model.text_encoder.parameters())   # frozen, as in the paper
    assert recipe.tokenizer("a low hum")["input_ids"] == tokenizer("a low hum")["input_ids"]
    t5.save_pretrained(tmp_path / "bare_t5")
    with pytest.raises(ValueError, match="must come with its tokenizer"):
        recipe_with(tmp_path / "bare_t5").modules()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"segment_seconds": 1.0}, "needs 52 decoder steps"),
        ({"mix_probability": 1.5}, "mix_probability"),
        ({"snr_db": (5.0, -5.0)}, "snr_db"),
        ({"note_name_dropout": -0.1}, "note_name_dropout"),
        ({"text_encoder": "t5", "model": {"text_encoder": {}}}, "not both"),
        ({"codec": "no/such/codec"}, "cannot read the codec"),
    ],
)
def test_audiogen_recipe_bad_settings(codec_folder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        settings = {"codec": codec_folder, "dataset": "folder", "data": {"folder": "x"}, "model": TINY_MODEL}
        AudioGenRecipe(**{**settings, **kwargs})


# ----------------------------------------------------------------------------------- run files
def test_the_tiny_run_files_build(tmp_path):
    codec_run = load_run_config(CONFIGS / "audiogen_codec_tiny.yaml")
    codec_recipe = build_recipe(codec_run.recipe, codec_run.recipe_args)
    assert codec_recipe.config.num_quantizers == 4 and codec_recipe.config.frame_rate == 50
    EncodecModel(codec_recipe.config).save_pretrained(tmp_path / "codec")
    run = load_run_config(CONFIGS / "audiogen_tiny.yaml", [("recipe_args.codec", str(tmp_path / "codec"))])
    recipe = build_recipe(run.recipe, run.recipe_args)
    assert recipe.config.sampling_rate == 16000 and recipe.segment_samples == 5 * 16000
    assert recipe.config.decoder.max_window_frames >= 5 * 50 and recipe.mix_probability == 0.5

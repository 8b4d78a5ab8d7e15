import pytest
import torch
from transformers import AutoConfig, AutoModel, AutoModelForTextToWaveform, PretrainedConfig, PreTrainedModel
from transformers.pipelines import PIPELINE_REGISTRY

import hfsynth
from hfsynth.models import REGISTERED_MODELS, register_model
from toy_models import ToyGainConfig, ToyGainModel, ToySineConfig, ToySineModel


def test_import_registers_audio_to_audio_task():
    assert "audio-to-audio" in PIPELINE_REGISTRY.get_supported_tasks()


def test_auto_classes_resolve_registered_models(tmp_path):
    ToySineModel(ToySineConfig(sampling_rate=12000)).save_pretrained(tmp_path)
    config = AutoConfig.from_pretrained(tmp_path)
    assert isinstance(config, ToySineConfig) and config.sampling_rate == 12000
    assert isinstance(AutoModelForTextToWaveform.from_pretrained(tmp_path), ToySineModel)
    assert isinstance(AutoModel.from_pretrained(tmp_path), ToySineModel)
    assert REGISTERED_MODELS["hfsynth_toy_sine"] is ToySineModel


def test_save_pretrained_round_trip_is_safetensors_and_exact(tmp_path):
    model = ToyGainModel(ToyGainConfig(gain=0.25))
    with torch.no_grad():
        model.dummy.fill_(3.0)
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    assert not list(tmp_path.glob("*.bin"))
    loaded = AutoModel.from_pretrained(tmp_path)
    assert loaded.config.gain == 0.25 and torch.equal(loaded.dummy, model.dummy)


def test_register_model_rejects_foreign_model_types():
    class ForeignConfig(PretrainedConfig):
        model_type = "not_hfsynth"

    class ForeignModel(PreTrainedModel):
        config_class = ForeignConfig

    with pytest.raises(ValueError, match="hfsynth_"):
        register_model(ForeignConfig, ForeignModel)


def test_register_model_rejects_mismatched_config_class():
    class OtherConfig(PretrainedConfig):
        model_type = "hfsynth_other"

    with pytest.raises(ValueError, match="config_class"):
        register_model(OtherConfig, ToyGainModel)


def test_unknown_model_type_is_a_clear_value_error(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "hfsynth_does_not_exist"}')
    with pytest.raises(ValueError, match="hfsynth_does_not_exist"):
        AutoConfig.from_pretrained(tmp_path)


def test_version_is_exposed():
    assert hfsynth.__version__

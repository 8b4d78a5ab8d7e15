"""What every hfsynth generator and its pipeline must do, tested once (like transformers' ``ModelTesterMixin``).

A model's test file subclasses :class:`GeneratorTester` and says how to build a tiny model and what
a prompt looks like; the tests below then run for it: ``generate``'s shapes, lengths, seeding and
dict output, saving and loading, transformers' ``text-to-audio`` pipeline, hfsynth's own pipeline
(:class:`~hfsynth.pipelines.AudioPipelineOutput`, ``num_waveforms_per_prompt``, progress bars),
bad input and half precision. The model's own file keeps only what is particular to it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest
import torch
from transformers import ByT5Tokenizer, pipeline

import hfsynth  # noqa: F401  (registers the models)
from hfsynth.pipelines import AudioPipelineOutput, HFSynthPipeline


class ModelFolderTester:
    """A tiny model (built once per test class) and the folder its pipeline saves."""

    pipeline_class: ClassVar[type[HFSynthPipeline]]

    def make_model(self) -> torch.nn.Module:
        raise NotImplementedError

    @pytest.fixture(scope="class")
    def model(self):
        torch.manual_seed(0)
        return self.make_model().eval()

    @pytest.fixture(scope="class")
    def folder(self, model, tmp_path_factory) -> str:
        path = tmp_path_factory.mktemp(type(model).__name__)
        self.pipeline_class(model).save_pretrained(path)
        return str(path)


class GeneratorTester(ModelFolderTester):
    """Subclasses set the class attributes and :meth:`make_model`."""

    #: Prompts the model can play; the first is the default one.
    prompts: ClassVar[tuple[str, ...]] = ("a note",)
    #: A short length (seconds) that keeps the tests fast.
    seconds: ClassVar[float] = 0.05
    #: Channels of the model's audio.
    channels: ClassVar[int] = 1
    #: Reduced precisions ``generate`` must run in (float32 audio out).
    half_dtypes: ClassVar[tuple[torch.dtype, ...]] = (torch.bfloat16, torch.float16)

    # ------------------------------------------------------------------------------ helpers

    def inputs(self, model, prompts: list[str]) -> dict[str, torch.Tensor]:
        """What transformers' pipeline would hand ``generate`` (byte-tokenized prompts)."""
        return dict(ByT5Tokenizer()(prompts, padding=True, return_tensors="pt"))

    def generate(self, model, prompts: list[str] | None = None, seed: int = 0, **kwargs) -> torch.Tensor:
        prompts = list(self.prompts[:1] if prompts is None else prompts)
        kwargs.setdefault("audio_length_in_s", self.seconds)
        return model.generate(**self.inputs(model, prompts), generator=torch.Generator().manual_seed(seed), **kwargs)

    def samples(self, model, seconds: float | None = None) -> int:
        return round((self.seconds if seconds is None else seconds) * model.config.sampling_rate)

    # --------------------------------------------------------------------------------- generate
    def test_generate_gives_contract_audio_of_the_asked_length(self, model):
        prompts = list(self.prompts[:2]) * (2 if len(self.prompts) < 2 else 1)
        audio = self.generate(model, prompts)
        assert isinstance(audio, torch.Tensor) and audio.dtype == torch.float32
        assert audio.shape == (len(prompts), self.channels, self.samples(model))
        assert torch.isfinite(audio).all() and audio.abs().amax() <= 1.0 and audio.std() > 0

    def test_return_dict_holds_the_same_audio(self, model):
        out = self.generate(model, return_dict_in_generate=True)
        torch.testing.assert_close(out.audio, self.generate(model))
        assert out["audio"] is out.audio  # a ModelOutput: what transformers' pipeline reads by key

    def test_the_generator_decides_the_randomness(self, model):
        torch.testing.assert_close(self.generate(model, seed=3), self.generate(model, seed=3))
        assert not torch.allclose(self.generate(model, seed=3), self.generate(model, seed=4))
        seeded = model.generate(**self.inputs(model, list(self.prompts[:1])), audio_length_in_s=self.seconds, seed=3)
        torch.testing.assert_close(seeded, self.generate(model, seed=3))
        with pytest.raises(ValueError, match="not both"):
            model.generate(**self.inputs(model, list(self.prompts[:1])), seed=3, generator=torch.Generator())

    def test_the_default_length_is_the_config_s(self, model):
        audio = model.generate(**self.inputs(model, list(self.prompts[:1])), generator=torch.Generator().manual_seed(0))
        assert audio.shape[-1] == self.samples(model, model.config.audio_length_in_s)

    def test_transformers_pipeline_arguments_are_accepted(self, model):
        """The text-to-audio pipeline adds these to every call."""
        audio = self.generate(model, max_new_tokens=256, pad_token_id=0)
        assert audio.shape[-1] == self.samples(model)

    @pytest.mark.parametrize("seconds", [-1.0, 0.0, float("nan"), "long"])
    def test_bad_lengths_are_value_errors(self, model, seconds):
        with pytest.raises(ValueError, match="audio_length_in_s"):
            self.generate(model, audio_length_in_s=seconds)

    def test_unknown_arguments_are_value_errors(self, model):
        with pytest.raises(ValueError, match="num_beams"):
            self.generate(model, num_beams=2)

    def test_half_precision_gives_float32_audio(self, model):
        for dtype in self.half_dtypes:
            half = self.make_model().eval().to(dtype)
            audio = self.generate(half)
            assert audio.dtype == torch.float32 and torch.isfinite(audio).all()
            assert audio.shape[-1] == self.samples(model)

    # ------------------------------------------------------------------------------ save / load
    def test_a_saved_folder_generates_the_same_audio(self, model, folder):
        loaded = type(model).from_pretrained(folder).eval()
        torch.testing.assert_close(self.generate(loaded), self.generate(model))

    def test_transformers_pipeline_reaches_generate(self, model, folder):
        tta = pipeline("text-to-audio", model=folder)
        torch.manual_seed(11)
        out = tta(self.prompts[0], forward_params={"audio_length_in_s": self.seconds})
        torch.manual_seed(11)
        expected = model.generate(**self.inputs(model, list(self.prompts[:1])), audio_length_in_s=self.seconds)
        assert out["sampling_rate"] == model.config.sampling_rate and out["audio"].dtype == np.float32
        np.testing.assert_allclose(out["audio"], expected[0].squeeze(0).numpy(), atol=1e-5)

    # ------------------------------------------------------------------------------ pipeline
    def call_pipeline(self, pipe: HFSynthPipeline, **kwargs: Any) -> AudioPipelineOutput:
        kwargs.setdefault("audio_length_in_s", self.seconds)
        return pipe(self.prompts[0], **kwargs)

    def test_the_pipeline_returns_the_shared_output(self, model):
        pipe = self.pipeline_class(model)
        out = self.call_pipeline(pipe, num_waveforms_per_prompt=2, generator=torch.Generator().manual_seed(0))
        assert isinstance(out, AudioPipelineOutput) and out.sampling_rate == model.config.sampling_rate
        channels = () if self.channels == 1 else (self.channels,)
        assert out.audios.shape == (2, *channels, self.samples(model)) and out.audios.dtype == np.float32
        assert np.abs(out.audios).max() <= 1.0 and not np.allclose(out.audios[0], out.audios[1])
        again = self.call_pipeline(pipe, num_waveforms_per_prompt=2, generator=torch.Generator().manual_seed(0))
        np.testing.assert_array_equal(again.audios, out.audios)

    def test_the_pipeline_saves_and_loads_every_component(self, model, tmp_path):
        pipe = self.pipeline_class(model)
        pipe.save_pretrained(tmp_path)
        loaded = self.pipeline_class.from_pretrained(tmp_path)
        assert set(loaded.components) == set(pipe.components)
        # the same weights and noise; freshly loaded tensors may take other kernels (last-bit rounding)
        np.testing.assert_allclose(self.call_pipeline(loaded, generator=torch.Generator().manual_seed(1)).audios,
                                   self.call_pipeline(pipe, generator=torch.Generator().manual_seed(1)).audios,
                                   rtol=0, atol=1e-6)

    def test_progress_bars_follow_the_pipeline_s_configuration(self, model):
        pipe = self.pipeline_class(model)
        seen = []

        def recording_bar(iterable=None, total=None):
            seen.append(total)
            return iterable

        pipe.progress_bar = recording_bar
        self.call_pipeline(pipe, generator=torch.Generator().manual_seed(0))
        self.check_progress(seen)
        pipe = self.pipeline_class(model)
        pipe.set_progress_bar_config(disable=True)
        assert self.call_pipeline(pipe, generator=torch.Generator().manual_seed(0)).audios.size

    def check_progress(self, totals: list[int]) -> None:
        """Models with a generation loop report it; one-pass models need not."""

    def test_num_waveforms_per_prompt_must_be_positive(self, model):
        for bad in (0, -1, 1.5, True):
            with pytest.raises(ValueError, match="num_waveforms_per_prompt"):
                self.call_pipeline(self.pipeline_class(model), num_waveforms_per_prompt=bad)


class LoopGeneratorTester(GeneratorTester):
    """A generator that samples step by step (WaveNet, AudioGen, Musika's chunks) shows its progress."""

    def check_progress(self, totals: list[int]) -> None:
        assert totals and all(isinstance(total, int) and total > 0 for total in totals)


class AudioToAudioTester(ModelFolderTester):
    """What every audio-to-audio model (separation, style transfer) and its pipeline must do.

    Subclasses set the class attributes and :meth:`make_model`; ``audio`` is a clip the model can
    transform, at ``config.sampling_rate``.
    """

    half_dtypes: ClassVar[tuple[torch.dtype, ...]] = (torch.bfloat16, torch.float16)
    channels: ClassVar[int] = 1   # the clip's channels: 2 for stereo models

    def audio(self, rate: int) -> np.ndarray:
        t = np.arange(int(0.4 * rate)) / rate
        wave = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 880 * t)).astype(np.float32)
        return wave if self.channels == 1 else np.stack([wave] * self.channels)


    def outputs(self, out: dict) -> np.ndarray:
        """The contract's audio, or the stems stacked."""
        return np.stack(list(out["stems"].values())) if "stems" in out else out["audio"]

    def test_the_pipeline_returns_the_shared_output(self, model):
        rate = model.config.sampling_rate
        out = self.pipeline_class(model)(self.audio(rate), sampling_rate=rate)
        assert isinstance(out, AudioPipelineOutput) and out.sampling_rate == rate and out.notes == []
        assert out.audios.dtype == np.float32 and out.audios.shape[-1] == self.audio(rate).shape[-1]
        assert np.isfinite(out.audios).all() and np.abs(out.audios).max() <= 1.0

    def test_hfsynth_s_pipeline_and_transformers_agree(self, model, folder):
        rate = model.config.sampling_rate
        ours = self.pipeline_class.from_pretrained(folder)(self.audio(rate), sampling_rate=rate)
        theirs = pipeline("audio-to-audio", model=folder)({"raw": self.audio(rate), "sampling_rate": rate})
        np.testing.assert_allclose(ours.audios.squeeze(), self.outputs(theirs).squeeze(), atol=1e-5)

    def test_the_pipeline_saves_and_loads_every_component(self, model, tmp_path):
        pipe, rate = self.pipeline_class(model), model.config.sampling_rate
        pipe.save_pretrained(tmp_path)
        loaded = self.pipeline_class.from_pretrained(tmp_path)
        assert set(loaded.components) == set(pipe.components)
        np.testing.assert_array_equal(loaded(self.audio(rate), sampling_rate=rate).audios,
                                      pipe(self.audio(rate), sampling_rate=rate).audios)

    @pytest.mark.parametrize("bad, message", [
        (np.zeros(0, np.float32), "empty"), (np.full(4000, np.nan, np.float32), "NaN"), ({"not": "audio"}, "array"),
    ])
    def test_bad_audio_is_a_value_error(self, model, bad, message):
        with pytest.raises(ValueError, match=message):
            self.pipeline_class(model)(bad)

    def test_a_bad_sampling_rate_is_a_value_error(self, model):
        with pytest.raises(ValueError, match="sampling_rate"):
            self.pipeline_class(model)(self.audio(model.config.sampling_rate), sampling_rate=0)

    def test_half_precision_gives_float32_audio(self, model, folder):
        rate = model.config.sampling_rate
        for dtype in self.half_dtypes:
            out = pipeline("audio-to-audio", model=folder, dtype=dtype)({"raw": self.audio(rate), "sampling_rate": rate})
            audio = self.outputs(out)
            assert audio.dtype == np.float32 and np.isfinite(audio).all() and audio.shape[-1] == self.audio(rate).shape[-1]

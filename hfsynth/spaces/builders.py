"""Gradio apps for hfsynth models, built from a :class:`~hfsynth.spaces.specs.SpaceSpec`.

Every app loads its model through transformers' ``pipeline()`` (after ``import hfsynth``), exactly
as a user would, so a Space behaves like the library. One handler per task turns widget values
into a pipeline call; a ``ValueError`` from the checks or the model becomes a ``gr.Error`` the page
shows, never a crash. Requests go through Gradio's queue and one process-wide lock, so the global
torch seed set before a call is the one that call uses (also across the combined app's tabs).
"""

from __future__ import annotations

import functools
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .media import example_clips, save_wav, spectrogram_image
from .specs import (
    AUDIO_CLASSIFICATION,
    AUDIO_TO_AUDIO,
    SEED,
    SPACES,
    TEXT_TO_AUDIO,
    Control,
    ModelLocation,
    SpaceSpec,
    get_spec,
    locate_model,
    missing_model_message,
)

MAX_PROMPT_CHARS = 500
#: Held while seeding torch and running a model: the seed is global, and two CPU cores gain nothing
#: from running models side by side.
GENERATION_LOCK = threading.Lock()


@dataclass
class LoadedModel:
    """A Space's pipeline, its task, and where its outputs are written."""

    spec: SpaceSpec
    pipe: Callable
    task: str
    output_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="hfsynth-space-")))

    @property
    def config(self):
        return self.pipe.model.config


def load_model(spec: SpaceSpec, source: str) -> LoadedModel:
    """Loads ``source`` (folder or Hub id) with the pipeline for the task the spec picks for its config."""
    from transformers import AutoConfig, pipeline

    import hfsynth  # noqa: F401  (registers hfsynth's models and the audio-to-audio task)

    config = AutoConfig.from_pretrained(source)
    if config.model_type not in spec.model_types:
        raise ValueError(f"{source} holds a {config.model_type} model; the {spec.name} Space shows "
                         f"{' or '.join(spec.model_types)} models")
    task = spec.task_for(config)
    return LoadedModel(spec, pipeline(task, model=source), task)


def user_errors(handler: Callable) -> Callable:
    """Wraps a Gradio handler so a ``ValueError`` (bad input, or a model refusing it) shows as ``gr.Error``."""
    import gradio as gr

    @functools.wraps(handler)
    def wrapped(*args):
        try:
            return handler(*args)
        except ValueError as error:
            raise gr.Error(str(error)) from error

    return wrapped


# ------------------------------------------------------------------------------------- checks
def check_prompt(prompt: object) -> str:
    if not isinstance(prompt, str):
        raise ValueError(f"the prompt must be text; got {type(prompt).__name__}")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(f"the prompt is {len(prompt)} characters long; keep it under {MAX_PROMPT_CHARS}")
    return prompt.strip()


def duration_control(spec: SpaceSpec) -> Control:
    return Control("audio_length_in_s", "Duration (s)", 0.05, spec.max_seconds, spec.default_seconds, 0.05)


def uploaded_audio(value: object, max_seconds: float) -> tuple[np.ndarray, int]:
    """Gradio's ``(sampling_rate, samples[, channels])`` upload -> float32 (channels, samples) and its rate."""
    if value is None:
        raise ValueError("upload or record some audio first")
    sampling_rate, samples = value
    samples = np.asarray(samples)
    if np.issubdtype(samples.dtype, np.integer):
        samples = samples.astype(np.float32) / float(np.iinfo(samples.dtype).max)
    samples = samples.astype(np.float32, copy=False)
    samples = samples.T if samples.ndim == 2 else samples               # (channels, samples)
    if samples.size == 0:
        raise ValueError("the uploaded audio is empty")
    seconds = samples.shape[-1] / sampling_rate
    if seconds > max_seconds:
        raise ValueError(f"the uploaded audio lasts {seconds:.1f} s; this Space takes at most {max_seconds:g} s")
    return samples, int(sampling_rate)


# ------------------------------------------------------------------------------------- UIs
def add_text_to_audio_ui(model: LoadedModel) -> None:
    """Prompt, seed, duration and the spec's controls -> audio player, spectrogram, WAV download."""
    import gradio as gr

    spec = model.spec
    duration = duration_control(spec)
    controls = [control.for_config(model.config) for control in spec.controls]
    with gr.Row():
        with gr.Column():
            prompt = gr.Textbox(label="Prompt", placeholder=spec.prompt_placeholder, max_lines=2)
            with gr.Row():
                seed = gr.Number(label=SEED.label, value=SEED.value, precision=0, info=SEED.info)
                seconds = gr.Slider(duration.minimum, duration.maximum, duration.value, step=duration.step,
                                    label=duration.label)
            sliders = [
                gr.Slider(c.minimum, c.maximum, c.value, step=c.step, label=c.label, info=c.info) for c in controls
            ]
            button = gr.Button("Generate", variant="primary")
        with gr.Column():
            audio = gr.Audio(label="Audio", type="filepath", interactive=False, elem_id=f"{spec.name}-output")
            image = gr.Image(label="Log-mel spectrogram", type="numpy", interactive=False)
            download = gr.File(label="Download WAV", interactive=False)

    @user_errors
    def make_audio(prompt_text, seed_value, seconds_value, *values):
        text = check_prompt(prompt_text)
        seed_value = SEED.check(seed_value)
        forward_params = {duration.name: float(duration.check(seconds_value))}
        for control, value in zip(controls, values):
            value = control.check(value)
            if control.prompt_template:
                text = control.prompt_template.format(value=value, prompt=text).strip()
            else:
                forward_params[control.name] = value
        out = run_locked(seed_value, lambda: model.pipe(text, forward_params=forward_params))
        path = save_wav(model.output_dir, spec.name, out["audio"], out["sampling_rate"])
        return path, spectrogram_image([out["audio"]], out["sampling_rate"]), path

    inputs = [prompt, seed, seconds, *sliders]
    button.click(make_audio, inputs, [audio, image, download], api_name=api_name(spec))
    if spec.examples:
        rows = [clamp_example(row, [duration, *controls]) for row in spec.examples]
        gr.Examples(rows, inputs, cache_examples=False)


#: Input cap of a time-domain translation Space: its WaveNet decoders make ~100 samples/s on a CPU.
TIME_DOMAIN_MAX_SECONDS = 1.0


def add_audio_to_audio_ui(model: LoadedModel) -> None:
    """Uploaded audio -> transformed audio (or one player per stem), spectrogram, WAV download(s)."""
    import gradio as gr

    spec = model.spec
    stem_names = list(getattr(model.config, "stem_names", None) or [])
    domains = list(getattr(model.config, "domains", None) or [])        # time-domain translation (UMT)
    max_seconds = min(spec.max_seconds, TIME_DOMAIN_MAX_SECONDS) if domains else spec.max_seconds
    with gr.Row():
        with gr.Column():
            source = gr.Audio(label="Input audio", type="numpy", sources=["upload", "microphone"])
            targets = [gr.Dropdown(domains, value=domains[model.config.default_target_domain],
                                   label="Target domain",
                                   info=f"generated sample by sample: up to {max_seconds:g} s of input")
                       ] if domains else []
            button = gr.Button("Transform" if not stem_names else "Separate", variant="primary")
        with gr.Column():
            players = [
                gr.Audio(label=name, type="filepath", interactive=False, elem_id=f"{spec.name}-output-{index}")
                for index, name in enumerate(stem_names or ["Output"])
            ]
            image = gr.Image(label="Log-mel spectrogram" + (" (stems, top to bottom)" if stem_names else ""),
                             type="numpy", interactive=False)
            download = gr.File(label="Download WAV", interactive=False,
                               file_count="multiple" if stem_names else "single")

    @user_errors
    def transform(value, *target):
        samples, rate = uploaded_audio(value, max_seconds)
        options = {"target_domain": target[0]} if domains else {}
        out = run_locked(0, lambda: model.pipe({"raw": samples, "sampling_rate": rate}, **options))
        sampling_rate = out["sampling_rate"]
        audios = dict(out["stems"]) if "stems" in out else {"output": out["audio"]}
        paths = [save_wav(model.output_dir, f"{spec.name}-{name}", audio, sampling_rate)
                 for name, audio in audios.items()]
        picture = spectrogram_image(list(audios.values()), sampling_rate)
        return (*paths, picture, paths if stem_names else paths[0])

    button.click(transform, [source, *targets], [*players, image, download], api_name=api_name(spec))
    clips = example_clips(model.output_dir / "examples", model.config.sampling_rate, max_seconds)
    gr.Examples(clips, [source], cache_examples=False)


def add_classifier_ui(model: LoadedModel) -> None:
    """Uploaded audio -> top-5 labels with scores and the input's spectrogram."""
    import gradio as gr

    from ..audio.resample import resample, to_channels

    spec = model.spec
    rate = int(model.pipe.feature_extractor.sampling_rate)
    with gr.Row():
        with gr.Column():
            source = gr.Audio(label="A single note", type="numpy", sources=["upload", "microphone"])
            button = gr.Button("Classify", variant="primary")
        with gr.Column():
            labels = gr.Label(label="Prediction", num_top_classes=5, elem_id=f"{spec.name}-output")
            image = gr.Image(label="Log-mel spectrogram", type="numpy", interactive=False)

    @user_errors
    def classify(value):
        samples, sampling_rate = uploaded_audio(value, spec.max_seconds)
        wave = resample(to_channels(samples, 1), sampling_rate, rate)
        scores = run_locked(0, lambda: model.pipe({"raw": wave, "sampling_rate": rate}, top_k=5))
        return {item["label"]: float(item["score"]) for item in scores}, spectrogram_image([wave], rate)

    button.click(classify, [source], [labels, image], api_name=api_name(spec))
    gr.Examples(example_clips(model.output_dir / "examples", rate, spec.max_seconds), [source], cache_examples=False)


UIS: Mapping[str, Callable[[LoadedModel], None]] = {
    TEXT_TO_AUDIO: add_text_to_audio_ui,
    AUDIO_TO_AUDIO: add_audio_to_audio_ui,
    AUDIO_CLASSIFICATION: add_classifier_ui,
}


def run_locked(seed: int, call: Callable):
    """Runs ``call`` after seeding torch, holding :data:`GENERATION_LOCK`: one model call at a time."""
    import torch

    with GENERATION_LOCK:
        torch.manual_seed(seed)
        with torch.inference_mode():
            return call()


def api_name(spec: SpaceSpec) -> str:
    """The endpoint ``gradio_client`` calls, one per Space: ``/gansynth``, ``/note_classifier``."""
    return spec.name.replace("-", "_")


def clamp_example(row: tuple, controls: list[Control]) -> list:
    """An example row ``(prompt, seed, *values)`` with each value moved inside its control's range."""
    values = [min(max(value, control.minimum), control.maximum) for value, control in zip(row[2:], controls)]
    return [row[0], row[1], *values]


# ------------------------------------------------------------------------------------- apps
def add_space_ui(spec: SpaceSpec, location: ModelLocation) -> LoadedModel | None:
    """Adds ``spec``'s widgets to the current Blocks, or the missing-model message; returns the model."""
    import gradio as gr

    gr.Markdown(spec.description)
    if not location.found:
        gr.Markdown(missing_model_message(spec, location))
        return None
    model = load_model(spec, location.source)
    gr.Markdown(f"Model: `{location.source}`")
    UIS[model.task](model)
    return model


def build_space(name: str, model: str | None = None):
    """The Gradio app (queue enabled) of one Space. ``model``: a folder or Hub id (default: see
    :func:`~hfsynth.spaces.specs.locate_model`). A missing default folder gives a page saying so."""
    import gradio as gr

    spec = get_spec(name)
    with gr.Blocks(title=f"hfsynth · {spec.title}", analytics_enabled=False) as demo:
        gr.Markdown(f"# {spec.title}")
        add_space_ui(spec, locate_model(spec, model))
    return demo.queue(default_concurrency_limit=1, max_size=64)


def build_combined_space(models: Mapping[str, str] | None = None):
    """One app with a tab per Space whose model is available (``models`` maps names to folders;
    otherwise ``$HFSYNTH_MODEL_<NAME>`` or ``pipelines/<name>``); the others are listed."""
    import gradio as gr

    models = dict(models or {})
    unknown = sorted(set(models) - set(SPACES))
    if unknown:
        raise ValueError(f"unknown space(s) {unknown}; choose from: {', '.join(SPACES)}")
    locations = {name: locate_model(spec, models.get(name)) for name, spec in SPACES.items()}
    available = [name for name, location in locations.items() if location.found]
    with gr.Blocks(title="hfsynth", analytics_enabled=False) as demo:
        gr.Markdown("# hfsynth\nClassic neural audio generators as Hugging Face models: one tab per available model.")
        missing = [SPACES[name].title for name in SPACES if name not in available]
        if missing:
            gr.Markdown(f"Not available here yet (no model folder): {', '.join(missing)}.")
        if not available:
            gr.Markdown("No model is available: train one or pass `--model`/`HFSYNTH_MODEL_<NAME>`.")
        with gr.Tabs():
            for name in available:
                with gr.Tab(SPACES[name].title):
                    try:
                        add_space_ui(SPACES[name], locations[name])
                    except (ValueError, OSError) as error:   # one broken folder must not take down every tab
                        gr.Markdown(f"**Could not load `{locations[name].source}`:** {error}")
    return demo.queue(default_concurrency_limit=1, max_size=64)


def launch(demo, port: int | None = None, host: str = "127.0.0.1", **kwargs):
    """Starts ``demo`` on ``host:port`` (never a public share link); blocks unless ``prevent_thread_lock``."""
    return demo.launch(server_name=host, server_port=port, share=False, ssr_mode=False, show_error=True,
                       quiet=True, **kwargs)

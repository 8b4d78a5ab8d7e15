"""``SeparationPipeline``: a mixture in, named stems out, in one call.

    pipe = SeparationPipeline.from_pretrained("pipelines/separation-small")
    out = pipe(recording, sampling_rate=44100)
    out.stems["bass"]        # float32 (samples,) at out.sampling_rate; out.notes says what was converted

It loads the same folder as ``pipeline("audio-to-audio", model=...)`` and conforms the input the same
way (down-mix to the model's channels, resample to its rate), but says what it changed in ``notes``.
"""

from __future__ import annotations

import numpy as np
import torch

from ...pipelines.contract import finalize_audio
from ...pipelines.pipeline_utils import AudioPipelineOutput, HFSynthPipeline, conform_audio
from .modeling_separation import SeparationModel


class SeparationPipeline(HFSynthPipeline):
    """Source separation with a :class:`SeparationModel`."""

    model_class = SeparationModel

    def __call__(
        self, audio: np.ndarray | torch.Tensor, sampling_rate: int | None = None, **post_filter
    ) -> AudioPipelineOutput:
        """Separates ``audio`` (samples,) or (channels, samples) at ``sampling_rate`` (default the model's).
        Open-Unmix models take ``niter``, ``wiener_win_len`` and ``residual`` (default: their config's).

        Returns ``audios`` (stems, [channels,] samples) in ``config.stem_names`` order, the same by
        name in ``stems``, and one gain for all stems, so they keep their balance (and their sum).
        """
        # 1. check and conform the input
        waveform, notes = conform_audio(audio, sampling_rate, self.sampling_rate, self.config.audio_channels)
        waveform = torch.from_numpy(waveform).reshape(1, self.config.audio_channels, -1).to(self.device)
        # 2. separate (validates length and silence, chunks long inputs)
        stems = self.model.audio_to_audio(waveform, **post_filter).stems             # (1, stems, [C,] samples)
        # 3. postprocess
        stems = finalize_audio(stems)[0]
        named = {name: stems[index].cpu().numpy() for index, name in enumerate(self.config.stem_names)}
        return self.output(stems, stems=named, notes=notes)

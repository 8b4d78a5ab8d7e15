"""``MusicTranslationPipeline``: audio in one domain, the same music in another, in one call.

    pipe = MusicTranslationPipeline.from_pretrained("models/umt-musicnet")
    out = pipe(recording, sampling_rate=44100, target_domain="Beethoven_Solo_Piano",
               generator=torch.Generator().manual_seed(0))
    out.audios          # (1, samples) float32 at 16 kHz, peak <= 1; out.notes says what was converted

It loads the same folder as ``pipeline("audio-to-audio", model=...)`` (which takes the same
``target_domain`` keyword) and conforms the input the same way (mono, 16 kHz).
"""

from __future__ import annotations

import numpy as np
import torch

from ...pipelines.contract import finalize_audio
from ...pipelines.pipeline_utils import AudioPipelineOutput, HFSynthPipeline, conform_audio
from .modeling_music_translation import MusicTranslationModel


class MusicTranslationPipeline(HFSynthPipeline):
    """Translation between domains with a :class:`MusicTranslationModel`."""

    model_class = MusicTranslationModel

    def __call__(
        self,
        audio: np.ndarray | torch.Tensor,
        sampling_rate: int | None = None,
        target_domain: str | int | None = None,
        generator: torch.Generator | None = None,
    ) -> AudioPipelineOutput:
        """Translates ``audio`` (samples,) or (channels, samples) at ``sampling_rate`` (default the
        model's) to ``target_domain`` (a name of ``config.domains`` or an index; default
        ``config.default_target_domain``), sample by sample with a progress bar."""
        # 1. check and conform the input
        self.config.domain_index(target_domain)
        waveform, notes = conform_audio(audio, sampling_rate, self.sampling_rate, channels=1)
        # 2. translate (encode, then decode chunk by chunk)
        translated = self.model.translate(torch.from_numpy(waveform).to(self.device)[None], target_domain,
                                          generator=generator, progress_bar=self.progress_bar)
        # 3. postprocess
        return self.output(finalize_audio(translated), notes=notes)

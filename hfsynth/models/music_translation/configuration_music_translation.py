"""Configuration of the Universal Music Translation network (Mor, Wolf, Polyak & Taigman, ICLR 2019)."""

from __future__ import annotations

from transformers import PretrainedConfig

from ...validation import check_int, check_positive_int, check_sampling_rate
from ..wavenet import WaveNetConfig

ENCODER_ACTIVATIONS = ("relu", "tanh")


class MusicTranslationConfig(PretrainedConfig):
    r"""
    One encoder shared by every domain, one WaveNet decoder per domain, on 8-bit mu-law audio.
    Defaults: the published ``pretrained_musicnet`` (``train_dist.sh``: six MusicNet domains).

    Args:
        domains (`list[str]`): the domains' names, one decoder each, in the order of their ids.
        default_target_domain (`int`, 0): the domain translated to when a call names none.
        encoder_blocks (`int`, 3) / encoder_layers (`int`, 10): blocks of non-causal dilated residual
            convolutions (dilations 1 .. 2^(layers-1) per block).
        encoder_channels (`int`, 128) / latent_channels (`int`, 64): widths of the encoder and of the
            latent code it emits.
        encoder_pool (`int`, 800): samples averaged into one latent frame (50 ms at 16 kHz); each
            decoder repeats a frame this many times.
        encoder_activation (`str`, "relu"): between each dilated convolution and its 1x1.
        decoder_blocks (`int`, 4) / decoder_layers (`int`, 14) / decoder_kernel_size (`int`, 2):
            each decoder's WaveNet: causal dilated convolutions 1 .. 2^(layers-1), repeated per block.
        residual_channels (`int`, 128) / skip_channels (`int`, 128): each decoder's widths.
        chunk_frames (`int`, 20): translation decodes the latent in chunks of this many frames, each
            from a fresh start (the original's ``run_on_files.py --py``: 20 frames = 1 s).
        sampling_rate (`int`, 16000).
    """

    model_type = "hfsynth_music_translation"

    def __init__(
        self,
        domains: list[str] | None = None,
        default_target_domain: int = 0,
        encoder_blocks: int = 3,
        encoder_layers: int = 10,
        encoder_channels: int = 128,
        latent_channels: int = 64,
        encoder_pool: int = 800,
        encoder_activation: str = "relu",
        decoder_blocks: int = 4,
        decoder_layers: int = 14,
        decoder_kernel_size: int = 2,
        residual_channels: int = 128,
        skip_channels: int = 128,
        chunk_frames: int = 20,
        sampling_rate: int = 16000,
        **kwargs,
    ):
        self.domains = list(domains) if domains is not None else [f"domain_{i}" for i in range(6)]
        if not self.domains or len(set(self.domains)) != len(self.domains) or not all(
                isinstance(name, str) and name for name in self.domains):
            raise ValueError(f"domains must be distinct non-empty names, one per decoder; got {domains!r}")
        self.default_target_domain = check_int(default_target_domain, "default_target_domain", minimum=0,
                                               maximum=len(self.domains) - 1)
        for name, value in (("encoder_blocks", encoder_blocks), ("encoder_layers", encoder_layers),
                            ("encoder_channels", encoder_channels), ("latent_channels", latent_channels),
                            ("encoder_pool", encoder_pool), ("decoder_blocks", decoder_blocks),
                            ("decoder_layers", decoder_layers), ("decoder_kernel_size", decoder_kernel_size),
                            ("residual_channels", residual_channels), ("skip_channels", skip_channels),
                            ("chunk_frames", chunk_frames)):
            setattr(self, name, check_positive_int(value, name))
        if encoder_activation not in ENCODER_ACTIVATIONS:
            raise ValueError(f"encoder_activation must be one of {ENCODER_ACTIVATIONS}; got {encoder_activation!r}")
        self.encoder_activation = encoder_activation
        self.sampling_rate = check_sampling_rate(sampling_rate)
        super().__init__(**kwargs)

    @property
    def decoder_config(self) -> WaveNetConfig:
        """Each decoder as a :class:`WaveNetConfig`: the mu-law code (``c / 255 - 0.5``) enters through a
        causal convolution whose output also starts the skip sum; residuals are not rescaled, skips
        not scaled; the latent, repeated ``encoder_pool`` times, conditions every layer and the head;
        codes are truncated mu-law (mu 255) decoded as ``2 (c - 128) / 256``; generation starts from
        code 128 and draws by inverse CDF (nv-wavenet's rule)."""
        return WaveNetConfig(
            layers=self.decoder_blocks * self.decoder_layers, stacks=self.decoder_blocks,
            residual_channels=self.residual_channels, gate_channels=2 * self.residual_channels,
            skip_channels=self.skip_channels, kernel_size=self.decoder_kernel_size,
            output_distribution="mulaw256", quantization_channels=256, local_cond_channels=self.latent_channels,
            upsample_scales=[self.encoder_pool], upsample_net="repeat", mel_frontend="none",
            sampling_rate=self.sampling_rate, scalar_input=True, input_kernel_size=self.decoder_kernel_size,
            input_skip=True, head_conditioning=True, residual_scale=1.0, skip_scale=1.0, mulaw_mu=255,
            mulaw_rounding="floor", mulaw_decode_levels=256, initial_code=128, sampling="inverse_cdf",
        )

    def domain_index(self, domain: str | int | None) -> int:
        """A domain by name or index (``None``: ``default_target_domain``); ``ValueError`` listing them."""
        if domain is None:
            return self.default_target_domain
        if isinstance(domain, str):
            if domain not in self.domains:
                raise ValueError(f"unknown target_domain {domain!r}; the domains are {', '.join(self.domains)}")
            return self.domains.index(domain)
        return check_int(domain, "target_domain", minimum=0, maximum=len(self.domains) - 1,
                         hint=f" (domains: {', '.join(self.domains)})")

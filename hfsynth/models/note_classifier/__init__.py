from transformers import AutoModelForAudioClassification

from ..registration import register_model
from .configuration_note_classifier import NoteClassifierConfig
from .modeling_note_classifier import NoteClassifier, NoteClassifierOutput

register_model(NoteClassifierConfig, NoteClassifier, extra_auto_classes=(AutoModelForAudioClassification,))

__all__ = ["NoteClassifier", "NoteClassifierConfig", "NoteClassifierOutput"]

"""Training sources by name, including a ``mixed`` set made of several of them."""

import pytest

from hfsynth.data import check_training_source, load_training_source

TINY_NOTES = {"programs": [0], "pitches": [60, 62], "velocities": [100], "duration_in_s": [0.2, 0.3]}


def test_mixed_source_concatenates_the_audio_of_its_parts(tmp_path):
    mixed = {"parts": [{"source": "notes", "data": TINY_NOTES},
                       {"source": "notes", "data": {**TINY_NOTES, "programs": [24]}}]}
    single = load_training_source("notes", TINY_NOTES, 16000, cache_dir=str(tmp_path))
    dataset = load_training_source("mixed", mixed, 16000, cache_dir=str(tmp_path))
    assert dataset.column_names == ["audio"]
    assert len(dataset) == 2 * len(single) == 6
    assert dataset[0]["audio"] == single[0]["audio"]


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "a mixed dataset takes"),
        ({"parts": []}, "a mixed dataset takes"),
        ({"parts": [{"source": "mixed", "data": {}}]}, "each part is"),
        ({"parts": [{"source": "notes", "extra": 1}]}, "each part is"),
        ({"parts": [{"source": "songs", "data": {}}]}, "dataset must be one of"),
        ({"parts": [{"source": "folder", "data": {}}]}, "a folder dataset takes"),
    ],
)
def test_bad_mixed_sources_are_refused_with_the_reason(data, message):
    with pytest.raises(ValueError, match=message):
        check_training_source("mixed", data)

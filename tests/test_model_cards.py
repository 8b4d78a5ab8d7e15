"""Every shipped pipeline has a Hub model card whose numbers are those of its evaluation report."""

import json
from pathlib import Path

import pytest
from huggingface_hub import ModelCard

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(path.name for path in (ROOT / "pipelines").iterdir() if path.is_dir()) if (ROOT / "pipelines").is_dir() else []


@pytest.mark.parametrize("name", SHIPPED)
def test_card_exists_with_hub_metadata(name):
    path = ROOT / "model_cards" / f"{name}.md"
    assert path.is_file(), f"pipelines/{name} ships without model_cards/{name}.md"
    card = ModelCard.load(path)
    assert card.data.library_name == "hfsynth"
    assert card.data.pipeline_tag in {"text-to-audio", "audio-to-audio", "audio-classification"}
    for section in ("## Model details", "## Intended use", "## How to use", "## Training", "## Evaluation", "## Limitations"):
        assert section in card.text, f"{name}: card lacks '{section}'"


@pytest.mark.parametrize("name", SHIPPED)
def test_card_numbers_match_the_evaluation_report(name):
    report_path = ROOT / "model_cards" / "reports" / f"{name}.json"
    assert report_path.is_file(), f"pipelines/{name} has no evaluation report at {report_path.relative_to(ROOT)}"
    report = json.loads(report_path.read_text())
    card_text = (ROOT / "model_cards" / f"{name}.md").read_text()
    for metric, value in report["metrics"].items():
        assert f"| {metric} | {value:.4g} |" in card_text, f"{name}: card does not show {metric} = {value:.4g}"


def test_shipped_folders_fit_in_git():
    for name in SHIPPED:
        size = sum(f.stat().st_size for f in (ROOT / "pipelines" / name).rglob("*") if f.is_file())
        assert size <= 25 * 2**20, f"pipelines/{name} is {size / 2**20:.1f} MiB (limit 25 MiB)"


CARDS = sorted(path.stem for path in (ROOT / "model_cards").glob("*.md"))
HUB_METADATA = ("library_name", "pipeline_tag", "license", "tags", "metrics")
SECTIONS = ("## Model details", "## Intended use", "## How to use", "## Training", "## Evaluation", "## Limitations")


@pytest.mark.parametrize("name", CARDS)
def test_every_card_renders_with_complete_metadata_and_sections(name):
    """Every card, shipped or not yet, loads with ``huggingface_hub.ModelCard`` and survives re-rendering."""
    card = ModelCard.load(ROOT / "model_cards" / f"{name}.md")
    metadata = card.data.to_dict()
    missing = [key for key in HUB_METADATA if not metadata.get(key)]
    assert not missing, f"{name}: card metadata lacks {missing}"
    assert metadata["library_name"] == "hfsynth" and "hfsynth" in metadata["tags"]
    assert all(isinstance(metadata[key], list) for key in ("tags", "metrics"))
    assert not metadata.get("datasets"), f"{name}: names datasets nothing publishes"
    assert ModelCard(str(card)).data.to_dict() == metadata            # YAML header renders back unchanged
    positions = [card.text.find(section) for section in SECTIONS]
    assert -1 not in positions, f"{name}: card lacks {[s for s, p in zip(SECTIONS, positions) if p < 0]}"
    assert positions == sorted(positions), f"{name}: sections out of order (want {SECTIONS})"
    training = card.text[positions[3]:positions[4]].lower()
    assert "data" in training, f"{name}: the Training section does not say what data the model was trained on"
    assert f'pipeline("{metadata["pipeline_tag"]}"' in card.text, f"{name}: How to use shows no pipeline() call"


@pytest.mark.parametrize("name", CARDS)
def test_how_to_use_works_for_someone_who_installed_hfsynth_from_the_hub(name):
    """The install line, and the model named by the Hub id ``hfsynth push`` writes in, not a checkout path."""
    from hfsynth.hub import REPO_PLACEHOLDER

    card = (ROOT / "model_cards" / f"{name}.md").read_text()
    how_to_use = card[card.index("## How to use"):card.index("## Training")]
    assert "pip install hfsynth" in how_to_use and f"USER/{name}" in how_to_use
    assert "pipelines/" not in how_to_use, f"{name}: How to use names a path of the repository checkout"
    pushed = REPO_PLACEHOLDER.sub("you/model", how_to_use)                # what hfsynth push uploads
    assert "you/model" in pushed and "USER/" not in pushed

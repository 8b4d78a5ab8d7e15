"""``hfsynth push`` and Hub resolution, with no network: a mocked HTTP layer and a local HF cache."""

import base64
import json
from pathlib import Path

import pytest
from huggingface_hub import constants
from huggingface_hub.utils import _http

from hfsynth.cli import USAGE_ERROR, main
from hfsynth.hub import card_for_repo, check_publishable, push_to_hub
from hub_cache import populate_hub_cache

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "pipelines" / "note-classifier"
CARD = ROOT / "model_cards" / "note-classifier.md"
STAND_IN = "http://hub.test"
shipped = pytest.mark.skipif(not FOLDER.is_dir(), reason="pipelines/note-classifier is not shipped yet")


def make_folder(root: Path, *, config=True, weights=True, card=True, extra=()) -> Path:
    """A fake ``pipelines/toy`` + ``model_cards/toy.md`` layout with the requested pieces."""
    folder = root / "pipelines" / "toy"
    folder.mkdir(parents=True)
    if config:
        (folder / "config.json").write_text("{}")
    if weights:
        (folder / "model.safetensors").write_bytes(b"\0" * 8)
    for name in extra:
        (folder / name).write_bytes(b"x")
    if card:
        (root / "model_cards").mkdir()
        (root / "model_cards" / "toy.md").write_text("---\nlibrary_name: hfsynth\n---\n# toy\n")
    return folder


@shipped
def test_dry_run_lists_config_weights_and_card(capsys):
    result = push_to_hub(FOLDER, "user/name", dry_run=True)
    paths = [item.path_in_repo for item in result.files]
    assert {"config.json", "model.safetensors", "preprocessor_config.json", "README.md"} == set(paths)
    assert result.files[-1].local_path == CARD and result.url.endswith("/user/name")
    assert main(["push", "--model", str(FOLDER), "--repo", "user/name", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "model.safetensors" in out and "README.md" in out and "would upload 4 files" in out


def test_publishable_toy_folder_lists_files_then_card(tmp_path):
    folder = make_folder(tmp_path, extra=["preprocessor_config.json"])
    files = check_publishable(folder)
    assert [f.name for f in files] == ["config.json", "model.safetensors", "preprocessor_config.json", "toy.md"]


@pytest.mark.parametrize("missing, named", [("config", "config.json"), ("weights", "safetensors"), ("card", "toy.md")])
def test_missing_piece_is_refused_by_name(tmp_path, missing, named):
    folder = make_folder(tmp_path, **{missing: False})
    with pytest.raises(ValueError, match=named.replace(".", r"\.")):
        check_publishable(folder)


@pytest.mark.parametrize("name", ["pytorch_model.bin", "model.pt", "state.pkl"])
def test_pickle_weights_are_refused(tmp_path, name):
    with pytest.raises(ValueError, match=name.replace(".", r"\.")):
        check_publishable(make_folder(tmp_path, extra=[name]))


def test_explicit_card_replaces_the_default(tmp_path):
    folder = make_folder(tmp_path, card=False)
    card = tmp_path / "elsewhere.md"
    card.write_text("# card\n")
    assert check_publishable(folder, card)[-1] == card


@pytest.mark.parametrize("repo", ["name", "user/name/extra", "user/", "-user/name", "user/na me", "user/a--b"])
def test_bad_repo_id_is_refused(tmp_path, repo):
    with pytest.raises(ValueError, match="user/name"):
        push_to_hub(make_folder(tmp_path), repo, dry_run=True)


def test_cli_reports_missing_weights_with_exit_code_2(tmp_path, capsys):
    folder = make_folder(tmp_path, weights=False)
    assert main(["push", "--model", str(folder), "--repo", "user/name", "--dry-run"]) == USAGE_ERROR
    err = capsys.readouterr().err
    assert err.startswith("hfsynth push: error:") and "safetensors" in err and len(err.strip().splitlines()) == 1


@pytest.fixture
def hub_stand_in(monkeypatch, tmp_path):
    """Replaces only huggingface_hub's HTTP client with an in-process stand-in; yields the requests seen."""
    X = _http.httpx2
    requests = []

    def handler(request):
        requests.append(request)
        path = request.url.path
        if path == "/api/repos/create":
            return X.Response(200, json={"url": f"{STAND_IN}/user/name", "name": "user/name"})
        if path == "/api/validate-yaml":
            return X.Response(200, json={})
        if path == "/api/models/user/name/preupload/main":
            files = json.loads(request.content)["files"]
            return X.Response(200, json={"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                                   for f in files]})
        if path == "/api/models/user/name/commit/main":
            return X.Response(200, json={"commitUrl": f"{STAND_IN}/user/name/commit/{'a' * 40}",
                                         "commitOid": "a" * 40})
        return X.Response(404, json={"error": f"stand-in does not serve {path}"})

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", STAND_IN)  # side requests (e.g. agent registry) hit the stand-in too
    monkeypatch.setattr(constants, "AGENT_HARNESSES_PATH", str(tmp_path / "agent_harnesses.json"))
    _http.set_client_factory(lambda: X.Client(transport=X.MockTransport(handler), follow_redirects=True))
    try:
        yield requests
    finally:
        _http.set_client_factory(_http.default_client_factory)


@shipped
def test_push_creates_repo_and_commits_every_file(hub_stand_in):
    result = push_to_hub(FOLDER, "user/name", token="hf_fake", private=True, endpoint=STAND_IN)
    assert all(request.url.host == "hub.test" for request in hub_stand_in)
    create = next(r for r in hub_stand_in if r.url.path == "/api/repos/create")
    body = json.loads(create.content)
    assert body["name"] == "name" and body["organization"] == "user" and body.get("visibility") == "private"
    commit = next(r for r in hub_stand_in if r.url.path.endswith("/commit/main"))
    lines = [json.loads(line) for line in commit.content.decode().splitlines()]
    committed = {line["value"]["path"] for line in lines if line["key"] == "file"}
    assert committed == {"config.json", "model.safetensors", "preprocessor_config.json", "README.md"}
    readme = next(line["value"] for line in lines if line.get("value", {}).get("path") == "README.md")
    assert base64.b64decode(readme["content"]).decode() == card_for_repo(CARD.read_text(), FOLDER.name, "user/name")
    assert "user/name" in base64.b64decode(readme["content"]).decode()     # the card names the repo it is in
    assert result.url == f"{STAND_IN}/user/name"


def test_failed_create_repo_surfaces_the_http_error(hub_stand_in, tmp_path):
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError):
        push_to_hub(make_folder(tmp_path), "other/repo", token="hf_fake", endpoint=STAND_IN + "/nowhere")


def test_cli_turns_a_hub_failure_into_one_line(hub_stand_in, tmp_path, capsys):
    from hfsynth.cli import main

    code = main(["push", "--model", str(make_folder(tmp_path)), "--repo", "other/repo",
                 "--endpoint", STAND_IN + "/nowhere"])
    assert code == 1 and "the Hub refused or could not be reached" in capsys.readouterr().err


@pytest.fixture
def hub_cache(monkeypatch, tmp_path):
    """A local HF cache holding ``user/name`` (the shipped note classifier and its card), offline."""
    return populate_hub_cache(monkeypatch, tmp_path / "hub", "user/name",
                              {**{path.name: path for path in FOLDER.iterdir()}, "README.md": CARD})


@shipped
def test_pipeline_and_automodel_resolve_user_name_from_the_hub_cache(hub_cache):
    import numpy as np
    from transformers import AutoModel, pipeline

    import hfsynth  # noqa: F401  (registers hfsynth_note_classifier)

    model = AutoModel.from_pretrained("user/name")
    assert model.config.model_type == "hfsynth_note_classifier"
    classify = pipeline("audio-classification", model="user/name")
    rate = classify.feature_extractor.sampling_rate
    tone = 0.3 * np.sin(2 * np.pi * 261.6 * np.arange(rate) / rate).astype(np.float32)
    out = classify({"raw": tone, "sampling_rate": rate}, top_k=2)
    assert len(out) == 2 and out[0]["label"] in model.config.id2label.values()


def test_the_card_names_its_own_repo_and_its_siblings_by_owner():
    card = 'pipeline(model="USER/piano") ... the reverse: USER/strings'
    assert card_for_repo(card, "piano", "ann/my-piano") == 'pipeline(model="ann/my-piano") ... the reverse: ann/strings'

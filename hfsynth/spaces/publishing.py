"""Publishing a Space: one hfsynth app, bound to a model on the Hub, that a Space can build.

A Space installs its ``requirements.txt`` with pip and runs ``app.py``. No package index serves
hfsynth, so the Space carries the hfsynth wheel built from this checkout (``requirements.txt``
names it by its path in the Space) and its app names its model by Hub id: nothing depends on a
path inside the installed package. The README's metadata is what the Hub reads: the Gradio SDK and
its version, the app file, the model it uses.

    files = plan_space("gansynth", model="you/gansynth-small", wheel=build_wheel(tmp))
    write_space(files, "space-checkout/")       # or hfsynth push --space gansynth --repo you/gansynth-demo
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..validation import check_repo_id
from .specs import get_spec

REPO_ROOT_MARKER = "pyproject.toml"

APP_TEMPLATE = '''"""{title}: hfsynth's Gradio app for {model}.

Written by ``hfsynth push --space``. ``HFSYNTH_MODEL`` names another folder or Hub id.
"""

import os

from hfsynth.spaces import build_space, launch

demo = build_space({name!r}, model=os.environ.get("HFSYNTH_MODEL", {model!r}))

if __name__ == "__main__":
    launch(demo, host=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"))
'''

README_TEMPLATE = """---
title: hfsynth {title}
sdk: gradio
sdk_version: {gradio_version}
app_file: app.py
pinned: false
license: {license}
models:
- {model}
tags:
- hfsynth
- {task}
---

# hfsynth · {title}

{description}

The app is hfsynth's (`hfsynth.spaces`), serving [{model}](https://huggingface.co/{model}) through
transformers' `pipeline("{task}")`. It installs hfsynth from the wheel beside it.
"""


@dataclass(frozen=True)
class SpaceFile:
    """A file of a Space: its path in the repo and its content."""

    path_in_repo: str
    content: bytes


def build_wheel(out_dir: str | Path, source: str | Path | None = None) -> Path:
    """The hfsynth wheel of a checkout (default: the one this package runs from), built into ``out_dir``."""
    source = Path(source) if source is not None else Path(__file__).resolve().parents[2]
    if not (source / REPO_ROOT_MARKER).is_file():
        raise ValueError(f"{source} is not an hfsynth checkout (no {REPO_ROOT_MARKER}); pass --wheel FILE")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out_dir),
               str(source)]
    finished = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(out_dir.glob("hfsynth-*.whl"))
    if finished.returncode != 0 or not wheels:
        raise ValueError(f"building the hfsynth wheel failed: {finished.stderr.strip()[-500:]}")
    return wheels[-1]


def gradio_version() -> str:
    """The installed Gradio's version: the one the apps were tested with, pinned as the Space's SDK."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gradio")
    except PackageNotFoundError as error:
        raise ValueError('publishing a Space needs Gradio installed: pip install "hfsynth[spaces]"') from error


def plan_space(name: str, model: str, wheel: str | Path, license: str = "apache-2.0") -> list[SpaceFile]:
    """The files of Space ``name`` serving the Hub model ``model``: app, requirements, README, wheel."""
    spec = get_spec(name)
    check_repo_id(model, "--model")
    wheel = Path(wheel)
    if not wheel.is_file() or wheel.suffix != ".whl":
        raise ValueError(f"wheel {wheel} not found (build one with: pip wheel --no-deps -w dist .)")
    task = spec.task if isinstance(spec.task, str) else "text-to-audio"
    app = APP_TEMPLATE.format(title=spec.title, model=model, name=spec.name)
    requirements = f"./{wheel.name}[spaces]\n"                                # Gradio comes with the extra
    readme = README_TEMPLATE.format(title=spec.title, gradio_version=gradio_version(), license=license, model=model,
                                    task=task, description=spec.description)
    return [SpaceFile("app.py", app.encode()), SpaceFile("requirements.txt", requirements.encode()),
            SpaceFile("README.md", readme.encode()), SpaceFile(wheel.name, wheel.read_bytes())]


def write_space(files: list[SpaceFile], folder: str | Path) -> Path:
    """Writes the Space's files into ``folder`` (a local checkout of the Space, or a test's)."""
    folder = Path(folder)
    for item in files:
        target = folder / item.path_in_repo
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.content)
    return folder

"""The package as a wheel (`pip install .`, not editable) carries its fonts, asset library and
the console's example rooms."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_a_wheel_renders_text_and_library_assets(tmp_path):
    src = tmp_path / "src"  # built from a copy: setuptools leaves a build/ folder where it builds
    shutil.copytree(ROOT / "render", src / "render", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(src)],
                   check=True, capture_output=True, timeout=600)
    wheel = next(wheels.glob("smartlive-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    # the dependencies: the ones of this interpreter (nothing is downloaded), not its smartlive
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    room = {"room_name": "wheel", "scene_scripts": [{
        "script_name": "s", "model_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a",
        "voice_config": {"voice_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a"},
        "background_config": [{"background_type": "IMAGE", "background_config": "978f893e1de4553c183b7a805e6290f5"}],
        "layer_config": [{"layer_type": "TEXT", "position": {"dx": 40, "dy": 60, "layer_index": 5},
                          "text_config": {"text_context": base64.b64encode("Hello 你好".encode()).decode(),
                                          "font_size": 80, "font_color": "#FF0000"}}],
        "shoot_scripts": [{"sequence_no": 1, "text_config": {"text": "Hello."}}]}]}
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "room.json").write_text(json.dumps(room))
    r = subprocess.run([str(py), "-m", "render", "frame", "room.json", "-o", "f.png"], cwd=work,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    where = subprocess.run([str(py), "-c", "import render; print(render.__file__)"], cwd=work,
                           capture_output=True, text=True).stdout
    assert str(venv) in where  # the wheel's copy ran, not the work tree's
    with Image.open(work / "f.png") as im:
        px = np.asarray(im.convert("RGB").crop((40, 60, 440, 180))).astype(int)
    red = (px[..., 0] > 180) & (px[..., 1] < 80) & (px[..., 2] < 80)
    assert red.sum() > 500  # the text is drawn

    # the console's example rooms come from the package too
    rooms = subprocess.run([str(py), "-c", "import json; from render.api.console_routes import example_rooms; "
                            "print(json.dumps([r['file'] for r in example_rooms()]))"], cwd=work,
                           capture_output=True, text=True)
    assert json.loads(rooms.stdout) == ["example.json", "showcase.json"], rooms.stderr

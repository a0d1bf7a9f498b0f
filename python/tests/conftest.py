"""Where the tests find the repository's assets and the command-line tools they compare the
package with: RELVIS_BIN (a folder holding xai-text and xai-video), else the workspace's
target/debug or target/release, whichever has both."""

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEMO = ROOT / "assets" / "demo"
DEMO_CLIP = ROOT / "assets" / "demo-video" / "sit-up.mp4"
POSTS = ["autos.txt", "graphics.txt", "hockey.txt", "medicine.txt", "space.txt"]


def _bin_dir() -> pathlib.Path:
    given = os.environ.get("RELVIS_BIN")
    candidates = [pathlib.Path(given)] if given else [ROOT / "target" / "debug", ROOT / "target" / "release"]
    for folder in candidates:
        if (folder / "xai-text").is_file() and (folder / "xai-video").is_file():
            return folder
    raise RuntimeError(f"no xai-text and xai-video in {', '.join(map(str, candidates))}; build them (cargo build) or set RELVIS_BIN")


@pytest.fixture(scope="session")
def cli():
    """Runs a relvis command and returns its standard output (bytes); fails on a non-zero exit."""
    folder = _bin_dir()

    def run(tool: str, *args: str, stdin: bytes = b"") -> bytes:
        done = subprocess.run([str(folder / tool), *map(str, args)], input=stdin, capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout

    return run

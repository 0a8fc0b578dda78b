"""Session fixtures: where ../shared is, the real models and photos, and one shared engine.

The shared folder is ``$FACEEDGE_SHARED`` or ``../shared`` next to the repository root. Tests use
the real models and photos there; nothing is faked.
"""
import os
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

try:  # run from a source tree where the package is not installed: use python/ directly
    import faceedge  # noqa: F401  (installed, or an editable install)
except ImportError:  # pragma: no cover
    sys.path.insert(0, str(REPO / "python"))
    # ... and for the subprocesses tests start.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "python"), os.environ.get("PYTHONPATH", "")) if p)


# The engine prepares some model files once into the user cache (faceedge.prepare); give the test
# session a cache of its own so every run exercises that step and never touches ~/.cache.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="faceedge-test-cache-")


def _shared_dir() -> Path:
    env = os.environ.get("FACEEDGE_SHARED")
    return Path(env) if env else REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` (or ``$FACEEDGE_SHARED``): models, test photos, documents."""
    path = _shared_dir()
    assert path.is_dir(), f"shared folder not found at {path} (set FACEEDGE_SHARED)"
    return path


@pytest.fixture(scope="session")
def models_dir(shared_dir) -> Path:
    """The real model files, laid out as the manifest expects."""
    return shared_dir / "models"


@pytest.fixture(scope="session")
def testdata_dir(shared_dir) -> Path:
    """Labelled photos (see its manifest.json and PROVENANCE.md)."""
    return shared_dir / "testdata"


@pytest.fixture(scope="session")
def engine(models_dir):
    """One FaceEngine on the default pack and the real models, shared by the whole session."""
    from faceedge import FaceEngine

    return FaceEngine(models=models_dir)

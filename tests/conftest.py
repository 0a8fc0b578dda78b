"""Session fixtures: the real models and photos, and one shared engine.

Everything a test needs is in the repository: photos and the non-default models in tests/data
(see tests/data/README.md), the default pack in models/ (what the wheel ships). A clone runs its
tests with nothing beside it; nothing is faked.
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


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The real non-default model files (tests/data/models, laid out as the manifest expects);
    the default pack's files are found where faceedge packages them (models/ of this tree)."""
    return REPO / "tests" / "data" / "models"


@pytest.fixture(scope="session")
def model_file():
    """model id -> its verified file: tests/data/models, else the packaged default pack (found
    even where a test hides the packaged files from faceedge's resolver)."""
    from data_paths import model_path

    return lambda model_id: Path(model_path(model_id))


@pytest.fixture
def without_packaged_models(monkeypatch):
    """faceedge's resolver as on an install whose packaged model files were removed."""
    from faceedge import models

    monkeypatch.setattr(models, "packaged_models_dir", lambda: None)


@pytest.fixture(scope="session")
def testdata_dir() -> Path:
    """Labelled photos (see its manifest.json and PROVENANCE.md)."""
    return REPO / "tests" / "data"


@pytest.fixture(scope="session")
def engine(models_dir):
    """One FaceEngine on the default pack and the real models, shared by the whole session."""
    from faceedge import FaceEngine

    return FaceEngine(models=models_dir)

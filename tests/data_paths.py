"""Where the tests' data is: photos and non-default models in tests/data (copied from the team's
shared folder with their provenance, kept out of the wheel and sdist), the default pack from
the files packaged with faceedge. Importable from every test module (pytest puts tests/ on
sys.path)."""
from pathlib import Path

from faceedge.models import find_model, packaged_models_dir

REPO = Path(__file__).resolve().parents[1]
TESTDATA = REPO / "tests" / "data"
MODELS = TESTDATA / "models"
PACKAGED = packaged_models_dir()  # read once: some tests hide it from the resolver


def model_path(model_id: str) -> str:
    """The verified file of a manifest model: tests/data/models first, then the packaged pack."""
    return str(find_model(model_id, [MODELS, PACKAGED]))

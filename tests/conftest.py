import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir():
    """``$SKRNN_DATA_DIR`` or ``../shared/data`` beside the repository."""
    return Path(os.environ.get("SKRNN_DATA_DIR", ROOT.parent / "shared" / "data"))


@pytest.fixture
def data_dir():
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}; set SKRNN_DATA_DIR")
    return path


def load_example(name):
    """Import ``examples/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

"""What the benchmarks share: the scripts of examples/ as modules, and a
fresh interpreter for each measurement."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_example(name):
    """Import ``examples/<name>.py``."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_fresh(script, arguments, data_home=None):
    """Run ``script`` with ``arguments`` (and ``--data-home``) in a new
    interpreter, so no library's threads or caches meet another's; returns
    the JSON of the last line it prints."""
    command = [sys.executable, str(script), *arguments]
    if data_home:
        command += ["--data-home", data_home]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])

import http.server
import importlib.util
import os
import threading
import zipfile
from functools import partial
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir():
    """A folder that holds the real data files in the fetchers' cache layout:
    ``$SKRNN_TEST_DATA``, or the project's ``../shared/data`` beside the
    repository (the CI has it)."""
    return Path(os.environ.get("SKRNN_TEST_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def data_home():
    """``data_home`` for the fetchers, holding the real files: tests that need
    real data skip without it (the download paths are tested on a local
    server in test_fetch.py)."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"no data files at {path}; set SKRNN_TEST_DATA to a folder of them")
    return path


def load_example(name):
    """Import ``examples/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server(tmp_path):
    """A local HTTP server of the folder ``served``: (its URL, the folder,
    the paths it was asked for)."""
    served = tmp_path / "served"
    served.mkdir()
    asked = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            asked.append(self.path)

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Handler, directory=str(served))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", served, asked
    httpd.shutdown()
    httpd.server_close()


def write_zip(path, members):
    """A zip archive at ``path`` holding ``members`` (name -> bytes), as the
    fetchers' remote archives do."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)

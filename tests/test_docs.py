"""The documentation site builds from a clean copy with no warning, its API
pages name every public parameter and attribute, and the gallery shows the
examples' figures."""

import inspect
import os
import shutil
import subprocess
import sys

import pytest

import skrnn
from skrnn import inspection

from .conftest import ROOT, shared_data_dir

for module in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme", "myst_parser"):
    pytest.importorskip(module)  # the `docs` extra
pytest.importorskip("matplotlib")
from numpydoc.docscrape import ClassDoc  # noqa: E402

#: what the pages include from outside docs/
SOURCES = ["docs", "examples", "README.md", "CHANGELOG.md", "CONTRIBUTING.md", "benchmarks"]
PUBLIC_CLASSES = [
    getattr(skrnn, name) for name in skrnn.__all__ if inspect.isclass(getattr(skrnn, name))
]
PUBLIC_CLASSES += [inspection.TrainingCurveDisplay, inspection.AttentionDisplay]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built from a fresh copy of its sources, the gallery run with
    the examples' quick settings."""
    data = shared_data_dir()
    if not data.is_dir():
        pytest.skip(f"the gallery's examples need the data files at {data}")
    root = tmp_path_factory.mktemp("site")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("_build", "generated", "auto_examples", "__pycache__")
            shutil.copytree(source, root / name, ignore=ignore)
        else:
            shutil.copy(source, root / name)
    environment = {
        **os.environ,
        "SKRNN_QUICK": "1",
        "SKRNN_DATA": str(data),
        "MPLBACKEND": "Agg",
    }
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html"]
    result = subprocess.run(
        [*command, str(root / "docs"), str(root / "html")],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr
    return root / "html"


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda cls: cls.__name__)
def test_api_pages_name_every_parameter_and_attribute(site, cls):
    # one page per class: the estimators' under skrnn, the others' under their public module
    private = cls.__module__.rsplit(".", 1)[-1].startswith("_")
    public_module = "skrnn" if private else cls.__module__
    page = site / "generated" / f"{public_module}.{cls.__name__}.html"
    html = page.read_text(encoding="utf-8")
    parameters = list(inspect.signature(cls).parameters)
    missing = [name for name in parameters if f"<strong>{name}</strong>" not in html]
    # an attribute that is a documented property links to its own entry
    linked = '<span class="pre">{}</span></code></a><span class="classifier">'
    attributes = [attribute.name for attribute in ClassDoc(cls)["Attributes"]]
    missing += [
        name
        for name in attributes
        if f"<strong>{name}</strong>" not in html and linked.format(name) not in html
    ]
    assert parameters and not missing, f"{page.name} lacks {missing}"


def test_gallery_shows_the_examples_figures(site):
    gallery = site / "auto_examples"
    executed = [path.stem for path in (ROOT / "examples").glob("*.py")]
    shown = ["distributed_search", "g2p"]  # not run: a cluster of its own; half an hour
    for name in shown:
        executed.remove(name)
    for name in executed:
        html = (gallery / f"{name}.html").read_text(encoding="utf-8")
        figure = f"sphx_glr_{name}_001.png"
        assert figure in html, f"{name} shows no figure"
        assert (site / "_images" / figure).stat().st_size > 5_000
    for name in shown:
        assert (gallery / f"{name}.html").is_file()


def test_user_guide_and_front_page(site):
    for page in (
        "index",
        "api",
        "changelog",
        "contributing",
        "user_guide/input",
        "user_guide/speed",
        "user_guide/tuning",
        "user_guide/seq2seq",
        "user_guide/deploying",
        "user_guide/architecture",
    ):
        assert (site / f"{page}.html").is_file(), page
    assert "padding.svg" in (site / "user_guide" / "input.html").read_text(encoding="utf-8")
    deploying = (site / "user_guide" / "deploying.html").read_text(encoding="utf-8")
    assert "ONNX Runtime" in deploying and "skops" in deploying
    assert (site / "generated" / "skrnn.onnx.to_onnx.html").is_file()

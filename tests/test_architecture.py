"""The direction of imports is checked by import-linter (contracts in pyproject.toml). These
tests run it the way `make lint` and CI do, on the tree as it is and on a copy with one
backward import added, to show the check can fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["fuxiang", "households", "rating", "credit", "loans", "qrlookup", "dashboards"]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own linter, fixed arguments)
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    for name in PACKAGES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name,
                tmp_path / name,
                ignore=shutil.ignore_patterns("__pycache__", "migrations", "templates"),
            )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_the_import_contracts():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_backward_import_breaks_the_layer_contract(tree_copy):
    (tree_copy / "households" / "backward_probe.py").write_text(
        "from rating import models  # an archive module reaching right\n"
    )
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "households is not allowed to import rating" in result.stdout
    assert "households.backward_probe -> rating" in result.stdout


def test_an_engine_importing_django_breaks_the_engine_contract(tree_copy):
    (tree_copy / "rating" / "engine" / "probe.py").write_text("from django.db import models\n")
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "rating.engine.probe -> django" in result.stdout


def test_nothing_imports_the_dashboards(tree_copy):
    (tree_copy / "qrlookup" / "dashboards_probe.py").write_text(
        "from dashboards import figures  # the lookup reaching into the rightmost app\n"
    )
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "qrlookup is not allowed to import dashboards" in result.stdout

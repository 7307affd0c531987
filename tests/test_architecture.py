"""The invariants ARCHITECTURE.md states about the code's shape, each kept by a test here.

- layering: import-linter's contracts in pyproject.toml (`[tool.importlinter]`): ir imports
  nothing else of papercc, backends never import the frontends, the frontends' stages only
  import downwards, the targets are independent;
- nothing outside `compiler/` imports it but the entry point (`papercc/__main__.py`);
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from paths import ROOT

PACKAGE_DIRS = ("ir", "compiler", "backends", "grammar", "zoo")  # folders mapped onto papercc.*


def _python_files(*folders: str):
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _lint_imports(tmp_path: Path, extra: dict[str, str] | None = None):
    """import-linter on a copy of the tree laid out as installed: grimp walks the package's
    folder on disk, and the repository maps ir/, compiler/, ... onto papercc.* (pyproject's
    package-dir). `extra`: files to add to the copy (path inside the package -> text)."""
    tree = tmp_path / "papercc"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "papercc", tree, ignore=skip)
    for folder in PACKAGE_DIRS:
        shutil.copytree(ROOT / folder, tree / folder, ignore=skip)
    for name, text in (extra or {}).items():
        (tree / name).write_text(text, encoding="utf-8")
    lint = Path(sys.executable).parent / "lint-imports"
    return subprocess.run(
        [str(lint), str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )


def test_import_contracts_hold(tmp_path: Path) -> None:
    proc = _lint_imports(tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_an_upward_import_breaks_a_contract(tmp_path: Path) -> None:
    upward = "from papercc.compiler.cli.main import main\n"
    proc = _lint_imports(tmp_path, {"backends/upward.py": upward, "ir/upward.py": upward})
    assert proc.returncode == 1
    assert "ir is the core: it imports nothing else of papercc BROKEN" in proc.stdout
    assert "backends import ir and papercc.fileio, never the frontends BROKEN" in proc.stdout


def test_nothing_outside_the_frontends_imports_them_but_the_entry_point() -> None:
    offenders = []
    for path in _python_files("papercc", "ir", "backends", "grammar"):
        if path == ROOT / "papercc" / "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n == "papercc.compiler" or n.startswith("papercc.compiler.") for n in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []

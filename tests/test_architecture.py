"""The invariants ARCHITECTURE.md states about the code's shape, each kept by a test here.

- layering: import-linter's contracts in pyproject.toml (`[tool.importlinter]`): ir imports
  nothing else of papercc, backends never import the frontends, the frontends' stages only
  import downwards, the targets are independent;
- nothing outside `compiler/` imports it but the entry point (`papercc/__main__.py`);
- no private name (`_x`) is used outside its module: what is shared is public API;
- no global mutable state (no `global`, no write to `os.environ`);
- op semantics live in the registry: no op-name literal outside ir/ops/, the targets' emit
  tables and an allow-list that says why;
- every test ARCHITECTURE.md cites exists.
The import, private-name, op-name and state checks each have a probe showing they can fail.
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


# Where op names may be written, beside the registry's declarations (ir/ops/) and the
# targets' emit tables (backends/pytorch.py, backends/{keras,tensorflow,caffe,onnx}/):
OP_NAMES_ALLOWED = {
    "compiler/phrases": "the phrase vocabulary: the words papers write, mapped to registry ops",
    "compiler/lower": "lowering builds the ops papers imply and applies the conventions papers "
    "state about named layers (ReLU after every conv, a flatten before fc, a merge "
    "with no sign is a sum)",
    "compiler/diagram/flow.py": "which layers end a network (softmax, fc) orients a figure "
    "drawn without arrowheads",
}
EMIT_TABLES = ("backends/pytorch.py", "backends/keras", "backends/tensorflow", "backends/caffe")
EMIT_TABLES += ("backends/onnx",)


def _op_name_literals(path: Path, names: set[str], root: Path = ROOT) -> list[str]:
    """String literals (not docstrings) that are an op's name, a family's stem (`conv` of
    conv1d..conv3d), or a space-separated list of op names."""
    stems = {n[:-2] for n in names if n[-2:] in ("1d", "2d", "3d")}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and n.body
        and isinstance(n.body[0], ast.Expr)
    }
    found = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs:
            words = n.value.split()
            if n.value in names | stems or (len(words) > 1 and set(words) <= names):
                found.append(f"{path.relative_to(root)}:{n.lineno}: {n.value!r}")
    return found


def test_op_semantics_live_in_the_registry_only() -> None:
    from papercc.ir.registry import OPS

    skip = ("ir/ops", *EMIT_TABLES, *OP_NAMES_ALLOWED)
    found = []
    for path in _python_files("papercc", "ir", "compiler", "backends"):
        if not str(path.relative_to(ROOT)).startswith(skip):
            found += _op_name_literals(path, set(OPS))
    assert found == [], "switch on what the registry declares instead:\n" + "\n".join(found)


def test_the_op_name_check_finds_a_switch(tmp_path: Path) -> None:
    from papercc.ir.registry import OPS

    probe = tmp_path / "probe.py"
    probe.write_text(
        '"""conv2d in a docstring is prose."""\n'
        'MERGEABLE = "relu batchnorm".split()\n'
        'def f(op):\n    return op.startswith("conv") or op == "dense"\n',
        encoding="utf-8",
    )
    got = _op_name_literals(probe, set(OPS), root=tmp_path)
    assert [g.split(": ", 1)[1] for g in got] == ["'relu batchnorm'", "'conv'", "'dense'"]


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


def _state_writes(source: str) -> list[str]:
    """`global` statements and writes to `os.environ`, by line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Global):
            found.append(f"{node.lineno}: global {', '.join(node.names)}")
        targets = []
        if isinstance(node, ast.Assign | ast.Delete):
            targets = [t.value for t in node.targets if isinstance(t, ast.Subscript)]
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript):
            targets = [node.target.value]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("setdefault", "update", "pop", "popitem", "clear"):
                targets = [node.func.value]
        if any(ast.unparse(t) == "os.environ" for t in targets):
            found.append(f"{node.lineno}: writes os.environ")
    return found


def test_no_global_mutable_state() -> None:
    """No `global` statement and no write to `os.environ` in papercc's code: module-level
    caches are `functools.lru_cache` of pure functions (the parser's tables, the known
    blocks), and engines (OCR) are objects their caller makes."""
    found = []
    for path in _python_files("papercc", "ir", "compiler", "backends"):
        rel = path.relative_to(ROOT)
        found += [f"{rel}:{w}" for w in _state_writes(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_state_check_finds_writes() -> None:
    probe = (
        "import os\n_ENGINE = None\n"
        "def f():\n    global _ENGINE\n    os.environ['OMP'] = '1'\n"
        "    os.environ.setdefault('A', 'b')\n"
    )
    assert _state_writes(probe) == [
        "4: global _ENGINE",
        "5: writes os.environ",
        "6: writes os.environ",
    ]


def _private_uses(source: str) -> list[str]:
    """Private names used outside their module, by line: `from papercc.x import _y` (or a
    relative import of one), a private module in the path, and `m._y` where `m` was
    imported from papercc."""
    tree = ast.parse(source)
    ours = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and (n.level or (n.module or "").startswith("papercc"))
    ]
    bound = {a.asname or a.name for n in ours for a in n.names}
    found = []
    for n in ours:
        names = [a.name for a in n.names] + (n.module or "").split(".")
        found += [f"{n.lineno}: {x}" for x in names if x.startswith("_") and x[:2] != "__"]
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            if n.value.id in bound and n.attr.startswith("_") and n.attr[:2] != "__":
                found.append(f"{n.lineno}: {n.value.id}.{n.attr}")
    return found


def test_no_private_name_crosses_a_module_boundary() -> None:
    found = []
    for path in _python_files("papercc", "ir", "compiler", "backends", "tests", "bench"):
        rel = path.relative_to(ROOT)
        found += [f"{rel}:{u}" for u in _private_uses(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_private_name_check_finds_crossings() -> None:
    probe = (
        "from papercc.compiler.raster import ocr\n"
        "from papercc.ir.registry import _Required, OPS\n"
        "from ._rules import bias_spec\n"
        "from numpy import _private_is_numpys_business\n"
        "x = ocr._engine\n"
    )
    assert _private_uses(probe) == ["2: _Required", "3: _rules", "5: ocr._engine"]


def test_the_map_names_tests_that_exist() -> None:
    """Every `tests/...py::name` ARCHITECTURE.md cites as an invariant's keeper exists."""
    import re

    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    cited = re.findall(r"`(tests/[\w/{},]+\.py)(?:::(\w+))?`", text)
    missing = []
    for path, name in cited:
        if "{" in path:  # tests/backends/{keras,...}/x.py
            head, alts, tail = re.match(r"(.*)\{(.*)\}(.*)", path).groups()
            paths = [f"{head}{alt}{tail}" for alt in alts.split(",")]
        else:
            paths = [path]
        for p in paths:
            file = ROOT / p
            if not file.exists() or (name and f"def {name}(" not in file.read_text("utf-8")):
                missing.append(f"{p}::{name}" if name else p)
    assert len(cited) > 20 and missing == []

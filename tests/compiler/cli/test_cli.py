"""The command line: exit codes, messages, atomic rewrites, JSON, colour, help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from paths import ZOO

from papercc.compiler.cli.main import main

GOOD = "model tiny(x: f32[N, 3, 8, 8]) -> f32[N, 4] {\n  return dense(flatten(x), 4)\n}\n"
UGLY = "model tiny( x : f32[N,3,8,8] ) -> f32[N,4] { return dense(flatten(x), units=4) }"


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def good(tmp_path: Path) -> Path:
    p = tmp_path / "good.dlir"
    p.write_text(GOOD)
    return p


def test_check_ok(good: Path) -> None:
    r = run("check", str(good))
    assert r.exit_code == 0 and "Success: no issues found in 1 file" in r.output


def test_check_reports_all_errors_sorted_with_carets(tmp_path: Path) -> None:
    p = tmp_path / "bad.dlir"
    p.write_text(
        "model m(x: f32[N, 3]) {\n  y = relu(z)\n  w = dense(x, units=?)\n  return conv9(y)\n}\n"
    )
    r = run("check", str(p))
    assert r.exit_code == 1
    lines = r.output.splitlines()
    headers = [line for line in lines if ": error: " in line]
    assert headers[0].startswith(f"{p}:2:12: error: name 'z' is not defined")
    assert headers[1].startswith(f"{p}:4:10: error: unknown op or block 'conv9'")
    assert "           ^" in r.output  # a caret under the span
    assert "Found 2 errors in 1 file" in r.output


def test_check_io_error_is_exit_2(tmp_path: Path) -> None:
    r = run("check", str(tmp_path / "missing.dlir"))
    assert r.exit_code == 2 and "cannot read" in r.output and "No such file" in r.output


def test_binary_input_is_a_diagnostic_not_a_traceback(tmp_path: Path) -> None:
    p = tmp_path / "noise.dlir"
    p.write_bytes(os.urandom(2000))
    r = run("check", str(p))
    assert r.exit_code in (1, 2) and "Traceback" not in r.output


def test_holes_fail_check_unless_allowed(tmp_path: Path) -> None:
    p = tmp_path / "holes.dlir"
    p.write_text("model m(x: f32[N, 3, 8, 8]) {\n  return conv2d(x, ?, kernel=3)\n}\n")
    assert run("check", str(p)).exit_code == 1
    r = run("check", "--allow-holes", str(p))
    assert r.exit_code == 0 and "warning" in r.output and "[hole]" in r.output


def test_fmt_prints_canonical(tmp_path: Path) -> None:
    p = tmp_path / "ugly.dlir"
    p.write_text(UGLY)
    r = run("fmt", str(p))
    assert r.exit_code == 0 and r.output == GOOD


def test_fmt_check_and_in_place(tmp_path: Path) -> None:
    p = tmp_path / "ugly.dlir"
    p.write_text(UGLY)
    r = run("fmt", "--check", str(p))
    assert r.exit_code == 1 and "would reformat" in r.output
    assert p.read_text() == UGLY
    r = run("fmt", "-i", str(p))
    assert r.exit_code == 0 and p.read_text() == GOOD
    assert not list(tmp_path.glob(".*.tmp")), "temp file left behind"
    assert run("fmt", "--check", str(p)).exit_code == 0


def test_fmt_in_place_keeps_the_file_on_syntax_error(tmp_path: Path) -> None:
    p = tmp_path / "broken.dlir"
    p.write_text("model m(x: f32[N]) { return relu(x) ")
    r = run("fmt", "-i", str(p))
    assert r.exit_code == 1 and "[syntax]" in r.output
    assert p.read_text() == "model m(x: f32[N]) { return relu(x) "


def test_summary_json_shape(good: Path) -> None:
    r = run("summary", "--json", str(good))
    assert r.exit_code == 0
    data = json.loads(r.output)
    (m,) = data["models"]
    assert m["name"] == "tiny"
    assert m["inputs"] == [{"name": "x", "type": "f32[N, 3, 8, 8]"}]
    assert m["outputs"][0]["type"] == "f32[N, 4]"
    assert m["params"] == 3 * 8 * 8 * 4 + 4
    assert [layer["op"] for layer in m["layers"]] == ["flatten", "dense"]
    assert m["layers"][1] == {"name": "fc1", "op": "dense", "output": "f32[N, 4]", "params": 772}


def test_summary_table_and_model_choice() -> None:
    r = run("summary", str(ZOO / "resnet18.dlir"))
    assert r.exit_code == 0 and "11,689,512" in r.output and "layer1.0.conv1" in r.output
    r = run("summary", "--model", "nope", str(ZOO / "resnet18.dlir"))
    assert r.exit_code == 2 and "no model 'nope'" in r.output


def test_no_color_when_not_a_tty_or_no_color(tmp_path: Path) -> None:
    p = tmp_path / "bad.dlir"
    p.write_text("model m(x: f32[N]) { return nope(x) }")
    r = run("check", str(p), env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert "\x1b[" not in r.output
    r = run("check", str(p), env={"FORCE_COLOR": "1", "NO_COLOR": None})
    assert "\x1b[" in r.output


def test_version_and_help() -> None:
    assert run("--version").output.startswith("papercc, version ")
    for cmd in ([], ["check"], ["fmt"], ["summary"], ["gen"], ["verify"], ["weights", "init"]):
        r = run(*cmd, "--help")
        assert r.exit_code == 0 and "Usage:" in r.output


def test_usage_error_is_exit_2() -> None:
    assert run("fmt").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_console_script_and_module_entry(good: Path) -> None:
    exe = Path(sys.executable).with_name("papercc")
    out = subprocess.run([str(exe), "check", str(good)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    out = subprocess.run(
        [sys.executable, "-m", "papercc", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "papercc" in out.stdout


def test_installed_namespace_is_only_papercc(tmp_path: Path) -> None:
    """The folders ir/, compiler/, backends/ are papercc.* subpackages, not top-level names;
    grammars are package data, found from any working directory."""
    code = (
        "import importlib.util, papercc\n"
        "assert importlib.util.find_spec('ir') is None\n"
        "assert importlib.util.find_spec('compiler') is None\n"
        "assert importlib.util.find_spec('backends') is None\n"
        "papercc.parse('model m(x: f32[N]) { return relu(x) }')\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_codes_and_ops_listings() -> None:
    assert "shape-mismatch" in run("codes").output
    out = run("ops").output
    assert "conv2d" in out and "attention" in out

"""The code builder shared by the Python backends, and the only door for untrusted text.

Names and strings that came from a paper reach generated code only through `py_ident`
(a sanitised, non-keyword, unique identifier), `py_literal` (repr of plain data) or
`comment` (one line, control characters removed). Indentation is structural (`Code.block`),
never built from strings of spaces; black formats the result.
"""

from __future__ import annotations

import builtins
import keyword
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager

_BAD_CHARS = re.compile(r"[^0-9A-Za-z_]")
_RESERVED = (
    set(keyword.kwlist)
    | set(keyword.softkwlist)
    | set(dir(builtins))
    | {
        "self",
        "torch",
        "nn",
        "F",
        "np",
        "tf",
        "keras",
        "layers",
        "ops",
        "math",
    }
)


class Unique:
    """Hands out names never handed out before: `sanitize(raw)`, then `_2`, `_3`, ... on a
    clash. Every backend's namer (Python identifiers, Caffe blobs, ONNX values) is one."""

    def __init__(self, sanitize=lambda raw: raw, reserved=()):
        self.sanitize = sanitize
        self.taken: set[str] = set(reserved)

    def fresh(self, raw: str) -> str:
        """A new name made from `raw`."""
        name = base = self.sanitize(raw)
        i = 1
        while name in self.taken:
            i += 1
            name = f"{base}_{i}"
        self.taken.add(name)
        return name

    __call__ = fresh


class Names(Unique):
    """Unique, safe Python identifiers; asking again for the same string gives the same one."""

    def __init__(self, reserved: set[str] | None = None):
        super().__init__(py_ident, set(_RESERVED) | set(reserved or ()))
        self.memo: dict[str, str] = {}

    def __call__(self, raw: str) -> str:
        """The identifier for `raw`: the same one each time it is asked for."""
        if raw not in self.memo:
            self.memo[raw] = self.fresh(raw)
        return self.memo[raw]


def class_name(model: str) -> str:
    """A CamelCase class name for a model (`resnet_50` -> `Resnet50`)."""
    camel = "".join(part[:1].upper() + part[1:] for part in py_ident(model).split("_") if part)
    return py_ident(camel or "Model")


def py_ident(raw: str) -> str:
    """A valid identifier made of [A-Za-z0-9_] only; dots become underscores."""
    name = _BAD_CHARS.sub("_", raw.strip()) or "_"
    if name[0].isdigit():
        name = "_" + name
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name += "_"
    return name


def py_literal(value) -> str:
    """Python source for plain data (None, bool, int, float, str, tuple, list, dict)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else '-float("inf")'
        return repr(float(value))
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, tuple):
        items = ", ".join(py_literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no safe literal for {type(value).__name__}")


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")


def comment(text: str) -> str:
    """One safe comment line: no newline or control character can end the comment."""
    return "# " + _CONTROL.sub(" ", str(text))


def docstring_text(text: str) -> str:
    """Text safe inside a triple-quoted docstring (no quotes or backslashes to escape)."""
    return _CONTROL.sub(" ", str(text)).replace("\\", "/").replace('"', "'")


class Code:
    """Lines of Python with structural indentation."""

    def __init__(self) -> None:
        self._lines: list[tuple[int, str]] = []
        self._depth = 0

    def line(self, text: str = "") -> None:
        self._lines.append((self._depth if text else 0, text))

    def lines(self, texts) -> None:
        for t in texts:
            self.line(t)

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.line(header)
        self._depth += 1
        mark = len(self._lines)
        try:
            yield
        finally:
            if len(self._lines) == mark:
                self.line("pass")
            self._depth -= 1

    def text(self) -> str:
        return "\n".join(("    " * d) + t if t else "" for d, t in self._lines) + "\n"


def format_python(source: str) -> str:
    """black, the one formatter of generated Python."""
    import black

    return black.format_str(source, mode=black.Mode(line_length=100))

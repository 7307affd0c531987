"""Tesseract OCR of many small text crops in one call.

A Tesseract process costs ~100-200 ms to start, more than reading a box label, so all the
crops of a figure are scaled to one text height, stacked into a single strip with white
gaps, read once with `image_to_data`, and the words are mapped back by their position.

Tesseract's misreads of a clean crop depend on the exact glyph size it is given ("conv5-48"
read as "convo-48" at one scale and right at another), and come with a low word
confidence or a reading that is no diagram label. Such crops are read again, at another
scale, in one more (smaller) call, and those still doubtful a third time at a third scale;
the reading that looks more like a label (`words.label_doubt`), then the more
confident one, is kept.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import os
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from papercc.compiler.raster.words import label_doubt

TARGET_CHAR_H = 30  # pixels; Tesseract reads best with glyphs roughly this tall
RETRY_CHAR_HS = (24, 38)  # the second and third readings of a doubtful crop
RETRY_CONF = 0.7  # a crop with a word read less confidently than this is read again
PAD = 14
GAP = 26
MAX_STRIP_PIXELS = 40_000_000
SPLIT_MIN_CROPS = 8  # from this many crops on, a reading is split in two strips


class OcrError(RuntimeError):
    """Tesseract is missing or failed."""


@dataclass(frozen=True)
class OcrText:
    text: str
    confidence: float  # mean word confidence in [0, 1]; 0 when nothing was read
    worst: float = 0.0  # confidence of the least confident word


def char_height(binary: np.ndarray) -> float:
    """Median height of the glyph-like components of a black-on-white crop."""
    ink = np.where(binary < 128, 255, 0).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    hs = [int(stats[i, 3]) for i in range(1, n) if stats[i, 4] >= 3]
    if not hs:
        return 0.0
    return float(np.median(hs))


def _scaled(crop: np.ndarray, target: float) -> np.ndarray:
    ch = char_height(crop)
    f = target / ch if ch > 0 else 1.0
    f = float(np.clip(f, 0.5, 8.0))
    if abs(f - 1.0) < 0.05:
        return crop
    h, w = crop.shape
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)


def read_crops(crops: list[np.ndarray], psm: int = 6) -> list[OcrText]:
    """Read dark-on-white uint8 grey crops; one result per crop, in order."""
    out = read_strip(crops, TARGET_CHAR_H, psm)
    for height in RETRY_CHAR_HS:
        again = [i for i, t in enumerate(out) if doubtful(t)]
        if not again:
            break
        retry = read_strip([crops[i] for i in again], height, psm)
        for i, t in zip(again, retry, strict=True):
            out[i] = better(out[i], t)
    return out


def doubtful(t: OcrText) -> bool:
    """Worth a second reading: a word read with low confidence, or no label read."""
    return t.worst < RETRY_CONF or label_doubt(t.text) > 0


def better(a: OcrText, b: OcrText) -> OcrText:
    """Of two readings of one crop, the one that reads more like a label, then the
    more confident; the first on a tie."""
    ka, kb = (-label_doubt(a.text), a.confidence), (-label_doubt(b.text), b.confidence)
    return b if kb > ka else a


def read_strip(crops: list[np.ndarray], target: float, psm: int = 6) -> list[OcrText]:
    """The crops scaled to glyphs `target` pixels tall and read in strips: one strip
    for a few crops, two halves (by area) for more, read at once by two engines on two
    cores. The split depends on the crops only, never on the machine, so the words
    read are the same with one core or two."""
    if not crops:
        return []
    scaled = [_scaled(c, target) for c in crops]
    if len(scaled) < SPLIT_MIN_CROPS:
        return _read_scaled(scaled, psm, 0)
    area = np.cumsum([c.size for c in scaled])
    cut = int(np.searchsorted(area, area[-1] / 2)) + 1
    cut = min(max(cut, 1), len(scaled) - 1)
    parts = [scaled[:cut], scaled[cut:]]
    if _workers() < 2:
        return [t for i, part in enumerate(parts) for t in _read_scaled(part, psm, i)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda ip: _read_scaled(ip[1], psm, ip[0]), enumerate(parts)))
    return done[0] + done[1]


def _read_scaled(scaled: list[np.ndarray], psm: int, engine: int) -> list[OcrText]:
    """One Tesseract call (engine number `engine`) on crops already scaled."""
    if not scaled:
        return []
    width = max(c.shape[1] for c in scaled) + 2 * PAD
    rows, spans, y = [], [], 0
    for c in scaled:
        h, w = c.shape
        block = np.full((h + 2 * PAD, width), 255, np.uint8)
        block[PAD : PAD + h, PAD : PAD + w] = c
        rows.append(block)
        rows.append(np.full((GAP, width), 255, np.uint8))
        spans.append((y, y + h + 2 * PAD))
        y += h + 2 * PAD + GAP
    strip = np.vstack(rows)
    if strip.size > MAX_STRIP_PIXELS and len(scaled) > 1:
        half = len(scaled) // 2
        return _read_scaled(scaled[:half], psm, engine) + _read_scaled(scaled[half:], psm, engine)
    data = _tesseract(strip, psm, engine)
    return _assign(data, spans)


def _workers() -> int:
    """Cores this process may use for OCR (two engines at most)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return min(2, cpus)


def _tesseract(strip: np.ndarray, psm: int, engine: int = 0) -> dict:
    """The parsed TSV of one strip: from a Tesseract library engine loaded into this
    process when it can be (its model is loaded once per process, not once per figure,
    so a second reading of doubtful crops costs only their recognition), else from the
    tesseract binary."""
    api = _library(engine)
    if api is not None:
        return _parse_tsv(api.tsv(strip, psm))
    return _tesseract_binary(strip, psm)


_TSV_HEAD = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
)
# the resolution the binary assumes for an image without one (a PNG strip); it sets
# the minimum text size Tesseract looks for, so the library is told the same
_DEFAULT_DPI = 70


class _TessApi:
    """libtesseract's C API through ctypes: one engine with the English model, kept for
    the life of the process."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        c = ctypes
        lib.TessBaseAPICreate.restype = c.c_void_p
        lib.TessBaseAPIInit3.argtypes = [c.c_void_p, c.c_char_p, c.c_char_p]
        lib.TessBaseAPISetPageSegMode.argtypes = [c.c_void_p, c.c_int]
        lib.TessBaseAPISetImage.argtypes = [c.c_void_p, c.c_void_p] + [c.c_int] * 4
        lib.TessBaseAPISetSourceResolution.argtypes = [c.c_void_p, c.c_int]
        lib.TessBaseAPIRecognize.argtypes = [c.c_void_p, c.c_void_p]
        lib.TessBaseAPIGetTsvText.argtypes = [c.c_void_p, c.c_int]
        lib.TessBaseAPIGetTsvText.restype = c.c_void_p
        lib.TessDeleteText.argtypes = [c.c_void_p]
        lib.TessBaseAPIDelete.argtypes = [c.c_void_p]
        self.lib = lib
        self.handle = lib.TessBaseAPICreate()
        if not self.handle or lib.TessBaseAPIInit3(self.handle, None, b"eng") != 0:
            raise OcrError("libtesseract could not load its English model")
        self.lock = threading.Lock()
        atexit.register(self.close)

    def tsv(self, img: np.ndarray, psm: int) -> str:
        img = np.ascontiguousarray(img, dtype=np.uint8)
        h, w = img.shape
        with self.lock:
            lib, api = self.lib, self.handle
            lib.TessBaseAPISetPageSegMode(api, psm)
            lib.TessBaseAPISetImage(api, img.ctypes.data, w, h, 1, img.strides[0])
            lib.TessBaseAPISetSourceResolution(api, _DEFAULT_DPI)
            if lib.TessBaseAPIRecognize(api, None) != 0:
                raise OcrError("libtesseract could not read the strip")
            ptr = lib.TessBaseAPIGetTsvText(api, 0)
            if not ptr:
                return _TSV_HEAD
            text = ctypes.string_at(ptr).decode("utf-8", "replace")
            lib.TessDeleteText(ptr)
        return _TSV_HEAD + "\n" + text

    def close(self) -> None:
        if self.handle:
            self.lib.TessBaseAPIDelete(self.handle)
            self.handle = None


# per (process id, engine number): a forked child loads its own
_API: dict[tuple[int, int], _TessApi | None] = {}
_API_LOCK = threading.Lock()


def _library(engine: int = 0) -> _TessApi | None:
    """This process's Tesseract engine number `engine` (each has its own model and
    lock, so two strips are read at once), or None when libtesseract cannot be loaded
    or its OpenMP runtime cannot be held to one thread (then the binary is used)."""
    key = (os.getpid(), engine)
    with _API_LOCK:
        if key not in _API:
            _API[key] = None
            name = ctypes.util.find_library("tesseract")
            if name and _one_omp_thread():
                with contextlib.suppress(OSError, AttributeError, OcrError):
                    _API[key] = _TessApi(ctypes.CDLL(name))
        return _API[key]


def _one_omp_thread() -> bool:
    """Hold libtesseract's OpenMP runtime to one thread: its LSTM asks for several,
    which makes it several times slower on a shared machine. The runtime reads its
    thread limit from the environment once, when it is loaded, so the variable is set
    only around loading it (nothing else in this process sees it); False if the runtime
    was loaded earlier with another limit."""
    name = ctypes.util.find_library("gomp")
    if not name:
        return True  # built without OpenMP
    old = os.environ.get("OMP_THREAD_LIMIT")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        gomp = ctypes.CDLL(name)
        return int(gomp.omp_get_thread_limit()) == 1
    except (OSError, AttributeError):
        return False
    finally:
        if old is None:
            del os.environ["OMP_THREAD_LIMIT"]
        else:
            os.environ["OMP_THREAD_LIMIT"] = old


def _tesseract_binary(strip: np.ndarray, psm: int) -> dict:
    """Run the tesseract binary once and parse its TSV.

    Called directly rather than through pytesseract so that OpenMP can be limited to one
    thread for this child only (4x faster on small images on a shared machine) without
    touching this process's environment.
    """
    exe = shutil.which("tesseract")
    if exe is None:
        raise OcrError("tesseract is not installed (apt-get install tesseract-ocr)")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    with tempfile.TemporaryDirectory(prefix="papercc-ocr-") as tmp:
        path = os.path.join(tmp, "strip.png")
        if not cv2.imwrite(path, strip):
            raise OcrError("could not write the OCR strip image")
        cmd = [exe, path, "stdout", "-l", "eng", "--psm", str(psm), "tsv"]
        try:
            done = subprocess.run(cmd, capture_output=True, env=env, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OcrError(f"tesseract failed: {exc}") from exc
    if done.returncode != 0:
        msg = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise OcrError(f"tesseract failed: {msg[0]}")
    return _parse_tsv(done.stdout.decode("utf-8", "replace"))


def _parse_tsv(tsv: str) -> dict:
    lines = tsv.splitlines()
    if not lines:
        return {}
    head = lines[0].split("\t")
    cols: dict[str, list] = {k: [] for k in head}
    for line in lines[1:]:
        parts = line.split("\t")
        if len(parts) < len(head):
            parts += [""] * (len(head) - len(parts))
        for k, v in zip(head, parts, strict=False):
            cols[k].append(v)
    return cols


def _assign(data: dict, spans: list[tuple[int, int]]) -> list[OcrText]:
    words: list[list[tuple[tuple[int, int, int], int, str, float]]] = [[] for _ in spans]
    for i, raw in enumerate(data.get("text", [])):
        text = (raw or "").strip()
        if not text:
            continue
        yc = int(data["top"][i]) + int(data["height"][i]) / 2.0
        idx = next((k for k, (a, b) in enumerate(spans) if a <= yc < b), None)
        if idx is None:
            continue
        line = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        conf = float(data["conf"][i])
        words[idx].append((line, int(data["left"][i]), text, max(0.0, conf) / 100.0))
    out = []
    for ws in words:
        if not ws:
            out.append(OcrText("", 0.0))
            continue
        ws.sort(key=lambda w: (w[0], w[1]))
        lines: dict[tuple[int, int, int], list[str]] = {}
        for line, _, text, _ in ws:
            lines.setdefault(line, []).append(text)
        text = " ".join(" ".join(v) for v in lines.values())
        confs = [w[3] for w in ws]
        out.append(OcrText(text, float(np.mean(confs)), float(min(confs))))
    return out

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

The engines are owned by an `Ocr` object, not by this module: the driver of a run (a
figure compile, a whole paper, one worker process of a paper's pages) makes one, passes it
to every figure it reads, and closes it at the end. This module keeps no state.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import subprocess
import tempfile
import threading
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from papercc.compiler.raster.ppocr import TALL, PpOcr, PpOcrError
from papercc.compiler.raster.ppocr import available as ppocr_available
from papercc.compiler.raster.words import label_doubt

TARGET_CHAR_H = 30  # pixels; Tesseract reads best with glyphs roughly this tall
RETRY_CHAR_HS = (24, 38)  # the second and third readings of a doubtful crop
RETRY_CONF = 0.7  # a crop with a word read less confidently than this is read again
PAD = 14
GAP = 26
MAX_STRIP_PIXELS = 40_000_000
SPLIT_MIN_CROPS = 8  # from this many crops on, a reading is split in two strips
MIN_TURN_PX = 8  # a tall crop narrower than this is a line's piece, never read turned
PP_MAX_SIDE = 480  # pixels; a longer crop is no label (a photo, a paragraph): no PP-OCR
PP_MAX_ACROSS = 140  # pixels; nor is one this wide and tall
SECOND_OPINIONS = 4  # PP-OCR reads at most this many doubtful crops per call (the first)


ENGINES = ("auto", "tesseract", "ppocr")


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


class Ocr:
    """The Tesseract engines of one run, and the reading of crops with them.

    Up to `workers` (at most two) in-process libtesseract engines, each with its own
    English model and lock, so that the two halves of a long strip are read at once; an
    engine is loaded on first use (a run that reads no raster text loads none) and kept
    until `close`, so every figure of the run after the first costs only recognition.
    Without libtesseract (or when its OpenMP runtime cannot be held to one thread) the
    tesseract binary is run instead; the words are the same.

    The driver of a run makes one (`with Ocr() as ocr:`) and passes it to every figure it
    reads. Engines belong to the process that loaded them: an `Ocr` pickled to a worker
    process arrives without them and loads its own there. Thread-safe: each engine reads
    one strip at a time.
    """

    def __init__(self, workers: int | None = None, engine: str = "auto") -> None:
        if engine not in ENGINES:
            raise ValueError(f"OCR engine must be one of {ENGINES}, not {engine!r}")
        self.workers = max(1, min(2, workers if workers is not None else _cores()))
        self.engine_name = engine
        # (process id, engine number) -> engine, or None where none could be loaded
        self._engines: dict[tuple[int, int], _TessApi | None] = {}
        # process id -> PP-OCR recogniser, or None where it could not be loaded
        self._pp: dict[int, PpOcr | None] = {}
        self._lock = threading.Lock()
        self._closer = weakref.finalize(self, _close_engines, self._engines)

    def __getstate__(self) -> dict:
        return {"workers": self.workers, "engine": self.engine_name}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["workers"], state.get("engine", "auto"))

    def __enter__(self) -> Ocr:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Free the engines this process loaded (the object stays usable: a later read
        loads them again)."""
        with self._lock:
            _close_engines(self._engines)
            self._pp.clear()

    def read_crops(self, crops: list[np.ndarray], psm: int = 6) -> list[OcrText]:
        """Read dark-on-white uint8 grey crops; one result per crop, in order.

        "auto" (the default): Tesseract reads every crop upright, and a tall crop (text
        written sideways, or a narrow stack of short lines) turned a quarter either way
        too (in one more strip); the reading that looks most like a label wins
        (`better`), and only its orientation is read again where doubtful. PP-OCR (when
        installed) then reads the crops whose reading is still no label (`label_doubt`;
        the first SECOND_OPINIONS of them: it costs ~0.1 s a line), and wins only where
        it reads more like a label (on a tie Tesseract's, which keeps spaces, stays).
        "tesseract": upright Tesseract only (as before PP-OCR); "ppocr": PP-OCR alone
        (`PpOcr.read_crops`)."""
        if self.engine_name == "ppocr":
            pp = self.ppocr()
            if pp is None:
                raise OcrError("the PP-OCR engine (rapidocr-onnxruntime) is not installed")
            return [OcrText(r.text, r.confidence, r.worst) for r in pp.read_crops(crops)]
        if self.engine_name == "tesseract":
            return self.read_tesseract(crops, psm)
        images = list(crops)
        out = self.read_strip(images, TARGET_CHAR_H, psm)
        tall = [
            i
            for i, c in enumerate(crops)
            if c.shape[0] >= TALL * c.shape[1] and c.shape[1] >= MIN_TURN_PX
        ]
        if tall:
            turned = [
                (i, np.ascontiguousarray(np.rot90(crops[i], k))) for k in (1, 3) for i in tall
            ]
            read = self.read_strip([t[1] for t in turned], TARGET_CHAR_H, psm)
            for (i, img), t in zip(turned, read, strict=True):
                if better(out[i], t) is t:
                    out[i], images[i] = t, img
        out = self.reread_doubtful(images, out, psm)
        again = [
            i
            for i, t in enumerate(out)
            if label_doubt(t.text) > 0
            and max(crops[i].shape) <= PP_MAX_SIDE
            and min(crops[i].shape) <= PP_MAX_ACROSS
        ][:SECOND_OPINIONS]
        pp = self.ppocr() if again else None
        if pp is not None:
            read = pp.read_crops([crops[i] for i in again], turn_doubtful=False)
            for i, r in zip(again, read, strict=True):
                if label_doubt(r.text) < label_doubt(out[i].text):  # PP-OCR drops spaces
                    out[i] = OcrText(r.text, r.confidence, r.worst)
        return out

    def read_tesseract(self, crops: list[np.ndarray], psm: int = 6) -> list[OcrText]:
        """Tesseract's reading of the crops (strips, doubtful crops read again)."""
        return self.reread_doubtful(crops, self.read_strip(crops, TARGET_CHAR_H, psm), psm)

    def reread_doubtful(
        self, crops: list[np.ndarray], out: list[OcrText], psm: int = 6
    ) -> list[OcrText]:
        """`out` (a first reading of `crops`) with its doubtful crops read again at the
        retry scales, the better reading kept."""
        out = list(out)
        for height in RETRY_CHAR_HS:
            again = [i for i, t in enumerate(out) if doubtful(t)]
            if not again:
                break
            retry = self.read_strip([crops[i] for i in again], height, psm)
            for i, t in zip(again, retry, strict=True):
                out[i] = better(out[i], t)
        return out

    def read_strip(self, crops: list[np.ndarray], target: float, psm: int = 6) -> list[OcrText]:
        """The crops scaled to glyphs `target` pixels tall and read in strips: one strip
        for a few crops, two halves (by area) for more, read at once by two engines on two
        cores. The split depends on the crops only, never on the machine, so the words
        read are the same with one core or two."""
        if not crops:
            return []
        scaled = [_scaled(c, target) for c in crops]
        if len(scaled) < SPLIT_MIN_CROPS:
            return self._read_scaled(scaled, psm, 0)
        area = np.cumsum([c.size for c in scaled])
        cut = int(np.searchsorted(area, area[-1] / 2)) + 1
        cut = min(max(cut, 1), len(scaled) - 1)
        parts = [scaled[:cut], scaled[cut:]]
        if self.workers < 2:
            return [t for i, part in enumerate(parts) for t in self._read_scaled(part, psm, i)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(lambda ip: self._read_scaled(ip[1], psm, ip[0]), enumerate(parts)))
        return done[0] + done[1]

    def _read_scaled(self, scaled: list[np.ndarray], psm: int, engine: int) -> list[OcrText]:
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
            return self._read_scaled(scaled[:half], psm, engine) + self._read_scaled(
                scaled[half:], psm, engine
            )
        return _assign(self.tsv(strip, psm, engine), spans)

    def tsv(self, strip: np.ndarray, psm: int, engine: int = 0) -> dict:
        """The parsed TSV of one strip: from library engine number `engine` when there is
        one, else from the tesseract binary."""
        api = self.engine(engine)
        if api is not None:
            return parse_tsv(api.tsv(strip, psm))
        return tesseract_binary(strip, psm)

    def ppocr(self) -> PpOcr | None:
        """This process's PP-OCR recogniser, loaded on first use; None when
        rapidocr-onnxruntime is not installed (then Tesseract reads alone)."""
        pid = os.getpid()
        with self._lock:
            if pid not in self._pp:
                try:
                    self._pp[pid] = PpOcr(self.workers) if ppocr_available() else None
                except PpOcrError:
                    self._pp[pid] = None
            return self._pp[pid]

    def engine(self, number: int = 0) -> _TessApi | None:
        """This process's library engine number `number`, loaded on first use; None when
        libtesseract cannot be loaded or its OpenMP runtime cannot be held to one thread
        (then the binary is used)."""
        key = (os.getpid(), number)  # a forked child never uses its parent's engines
        with self._lock:
            if key not in self._engines:
                self._engines[key] = _load_engine()
            return self._engines[key]


def _cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def doubtful(t: OcrText) -> bool:
    """Worth a second reading: a word read with low confidence, or no label read."""
    return t.worst < RETRY_CONF or label_doubt(t.text) > 0


def better(a: OcrText, b: OcrText) -> OcrText:
    """Of two readings of one crop, the one that reads more like a label, then the
    more confident; the first on a tie."""
    ka, kb = (-label_doubt(a.text), a.confidence), (-label_doubt(b.text), b.confidence)
    return b if kb > ka else a


_TSV_HEAD = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
)
# the resolution the binary assumes for an image without one (a PNG strip); it sets
# the minimum text size Tesseract looks for, so the library is told the same
_DEFAULT_DPI = 70


class _TessApi:
    """libtesseract's C API through ctypes: one engine with the English model, owned by
    an `Ocr`."""

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
        with self.lock:
            if self.handle:
                self.lib.TessBaseAPIDelete(self.handle)
                self.handle = None


def _close_engines(engines: dict[tuple[int, int], _TessApi | None]) -> None:
    """Free the engines of `engines` that this process loaded (a forked child's copies
    of its parent's are left alone)."""
    pid = os.getpid()
    for key in [k for k in engines if k[0] == pid]:
        api = engines.pop(key)
        if api is not None:
            api.close()


def _load_engine() -> _TessApi | None:
    """A new libtesseract engine with the English model, or None (see `Ocr.engine`)."""
    name = ctypes.util.find_library("tesseract")
    if not name or not _one_omp_thread():
        return None
    with contextlib.suppress(OSError, AttributeError, OcrError):
        return _TessApi(ctypes.CDLL(name))
    return None


# Loading a shared library and the environment it reads while loading are the process's,
# not a run's: two runs in two threads must not load libgomp at once.
_LOAD_LOCK = threading.Lock()


def _one_omp_thread() -> bool:
    """Hold libtesseract's OpenMP runtime (libgomp) to one thread; False if it cannot be.

    Why: Tesseract's LSTM asks OpenMP for several threads (`num_threads` clauses, which
    override `omp_set_num_threads`), several times slower on a shared machine than one.
    The only cap above such clauses is the thread-limit, which OpenMP offers no call to
    set: libgomp reads it from OMP_THREAD_LIMIT in the process environment, once, when
    it is loaded. So this is the one place papercc writes the process environment, and
    it is confined: only when libgomp is not loaded yet (at most once per process), under
    a lock, around loading it, through `os.putenv` (Python's `os.environ` never sees it),
    and restored before returning. Once libgomp is loaded its limit is only read: 1 (we
    loaded it) or another (someone else did: False, and the binary is used, whose own
    environment is passed to it without touching ours)."""
    name = ctypes.util.find_library("gomp")
    if not name:
        return True  # built without OpenMP
    with _LOAD_LOCK:
        try:
            gomp = ctypes.CDLL(name, mode=os.RTLD_NOLOAD)  # already in the process?
        except OSError:
            gomp = None
        try:
            if gomp is None:
                with _environment_while_loading("OMP_THREAD_LIMIT", "1"):
                    gomp = ctypes.CDLL(name)
            return int(gomp.omp_get_thread_limit()) == 1
        except (OSError, AttributeError):
            return False


@contextlib.contextmanager
def _environment_while_loading(key: str, value: str) -> Iterator[None]:
    """The C environment holds key=value inside the block and its old state after it."""
    old = os.environ.get(key)  # os.environ mirrors the C environment (we never diverge it)
    os.putenv(key, value)
    try:
        yield
    finally:
        if old is None:
            os.unsetenv(key)
        else:
            os.putenv(key, old)


def tesseract_binary(strip: np.ndarray, psm: int) -> dict:
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
    return parse_tsv(done.stdout.decode("utf-8", "replace"))


def parse_tsv(tsv: str) -> dict:
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

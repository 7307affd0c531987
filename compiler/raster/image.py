"""Loading and validating raster figures before any OpenCV call sees them.

OpenCV fails on bad input with C++ tracebacks that say nothing about the file; this module
turns every such case (empty, truncated, non-image, zero-size, decompression bomb, odd
array dtype or shape) into an `ImageError` with a message a diagnostic can show.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 50_000_000  # a 7000x7000 figure; anything larger is a bomb or not a figure


class ImageError(ValueError):
    """A figure image that cannot be read or is not a usable image."""


def load_image(path: str | Path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read an image file as a BGR uint8 array, checking its size before decoding it."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ImageError(f"{p}: cannot read image: {exc.strerror or exc}") from None
    if not p.is_file():
        raise ImageError(f"{p}: not a file")
    if size == 0:
        raise ImageError(f"{p}: empty file")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(p) as im:
                _check_size(p, im.size, max_pixels)
                im.load()
                return pil_to_bgr(im)
        except ImageError:
            raise
        except UnidentifiedImageError:
            raise ImageError(f"{p}: not an image (unrecognised format)") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageError(f"{p}: image too large (decompression bomb?)") from None
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
            raise ImageError(f"{p}: corrupt or truncated image: {exc}") from None


def _check_size(p: Path, wh: tuple[int, int], max_pixels: int) -> None:
    w, h = wh
    if w <= 0 or h <= 0:
        raise ImageError(f"{p}: zero-size image ({w}x{h})")
    if w * h > max_pixels:
        raise ImageError(f"{p}: image too large ({w}x{h} pixels, limit {max_pixels})")


def pil_to_bgr(im: Image.Image) -> np.ndarray:
    """Convert any PIL mode to BGR uint8; transparency is composited onto white."""
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        g = _stretch(np.asarray(im, dtype=np.float64))
        return np.ascontiguousarray(np.repeat(g[:, :, None], 3, axis=2))
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    if im.mode == "L":  # grey: the same level in all three channels
        return cv2.cvtColor(np.asarray(im, dtype=np.uint8), cv2.COLOR_GRAY2BGR)
    if im.mode != "RGB":
        im = im.convert("RGB")
    # one OpenCV channel swap: no copy by convert() and no strided numpy copy
    return cv2.cvtColor(np.asarray(im, dtype=np.uint8), cv2.COLOR_RGB2BGR)


def _stretch(a: np.ndarray) -> np.ndarray:
    """Map any numeric range linearly onto 0..255 (16-bit scans, float masks)."""
    f = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(f.min()), float(f.max())
    if hi <= lo:
        return np.zeros(f.shape, np.uint8)
    return np.clip((f - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)


def as_bgr(image: object, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Validate an in-memory image (gray, BGR or BGRA; any numeric dtype) as BGR uint8."""
    if not isinstance(image, np.ndarray):
        raise ImageError(f"expected a numpy array image, got {type(image).__name__}")
    a = image
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ImageError(f"unsupported image array shape {a.shape}")
    h, w = a.shape[:2]
    if h == 0 or w == 0:
        raise ImageError(f"empty image ({w}x{h})")
    if h * w > max_pixels:
        raise ImageError(f"image too large ({w}x{h} pixels, limit {max_pixels})")
    if a.dtype == np.bool_:
        a = np.where(a, 255, 0).astype(np.uint8)
    elif a.dtype != np.uint8:
        if not np.issubdtype(a.dtype, np.number) or np.iscomplexobj(a):
            raise ImageError(f"unsupported image dtype {a.dtype}")
        a = _to_u8(a)
    if a.ndim == 2:
        return np.ascontiguousarray(np.repeat(a[:, :, None], 3, axis=2))
    if a.shape[2] == 4:
        alpha = a[:, :, 3:4].astype(np.float32) / 255.0
        a = (a[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(a)


def _to_u8(a: np.ndarray) -> np.ndarray:
    f = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if np.issubdtype(a.dtype, np.floating) and f.min() >= 0.0 and f.max() <= 1.0:
        return np.clip(f * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if f.min() >= 0.0 and f.max() <= 255.0:
        return np.clip(f + 0.5, 0, 255).astype(np.uint8)
    return _stretch(f)

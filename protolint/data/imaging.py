"""Decoding images the way Caffe's OpenCV calls would, with Pillow.

Caffe decodes with OpenCV: `cv::imread(file, is_color ? COLOR : GRAYSCALE)` for
ImageData (then `cv::resize` to new_width x new_height when both are set), and
`cv::imdecode(bytes, -1)` (IMREAD_UNCHANGED) for an encoded Datum unless
force_color/force_gray ask for 3 or 1 channels. OpenCV's channel order is BGR(A), so
channel 0 here is blue, as in Caffe's blobs (and its per-channel mean_value).

Pillow stands in for OpenCV; what can differ: grey conversion and bilinear resizing
round differently (values, never shapes), EXIF orientation is not applied (OpenCV >= 3.1
rotates JPEGs by it, older ones do not), and a grey+alpha PNG is taken to decode to 4
channels. Without Pillow nothing is decoded: `available()` is False.
"""

from __future__ import annotations

import io

import numpy as np

from protolint.data.model import COLOR, GRAY, NATIVE


def available() -> bool:
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        return False
    return True


def _convert(im, mode: str):
    """The Pillow image OpenCV's read flag gives (L, RGB or RGBA), or why Caffe cannot
    use the image."""
    src = im.mode
    if mode == COLOR or mode == GRAY:
        if src in ("I;16", "I;16B", "I;16L", "I"):
            from PIL import Image

            a = np.asarray(im).astype(np.uint32) >> 8  # OpenCV scales 16-bit to 8-bit
            im = Image.fromarray(a.clip(0, 255).astype(np.uint8), "L")
        return im.convert("RGB" if mode == COLOR else "L")
    # IMREAD_UNCHANGED: what the file holds
    if src in ("I;16", "I;16B", "I;16L", "I", "F"):
        return (f"a {'16-bit' if src.startswith('I') else 'floating-point'} image: Caffe's "
                "data transformer needs 8-bit pixels (its check \"cv_img.depth() == CV_8U\" "
                "fails)")
    if src in ("1", "L"):
        return im.convert("L")
    if src in ("RGBA", "LA", "PA", "La", "RGBa"):
        return im.convert("RGBA")
    if src == "P":
        return im.convert("RGBA" if "transparency" in im.info else "RGB")
    return im.convert("RGB")


def _array(im) -> np.ndarray:
    """(C, H, W) uint8 in OpenCV's channel order."""
    a = np.asarray(im)
    if a.ndim == 2:
        return a[None, :, :]
    a = a[:, :, ::-1] if a.shape[2] == 3 else a[:, :, [2, 1, 0, 3]]  # RGB(A) -> BGR(A)
    return np.ascontiguousarray(a.transpose(2, 0, 1))


# The formats OpenCV's imread and imdecode read, as Pillow names them (BMP, JPEG, JPEG
# 2000, PNG, WebP, the PNM family, PFM, Sun raster, TIFF; MPO is a JPEG): an image Pillow
# reads in any other format (GIF, ICO, TGA, PSD, ...) is no image to Caffe.
OPENCV_FORMATS = frozenset("BMP DIB JPEG JPEG2000 MPO PNG WEBP PPM PFM SUN TIFF".split())

# OpenCV refuses images of more pixels than this (CV_IO_MAX_IMAGE_PIXELS, 2^30).
OPENCV_MAX_PIXELS = 1 << 30


class NotChecked(Exception):
    """An image Caffe may well read but that is not decoded here (too large for
    Pillow's limit on this machine)."""


def _open(data: bytes | str):
    from PIL import Image

    return Image.open(io.BytesIO(data)) if isinstance(data, bytes) else Image.open(data)


def _too_large(data: bytes | str) -> str:
    """Past Pillow's decompression-bomb limit: an error only past OpenCV's own limit,
    else an image left unchecked (raises NotChecked)."""
    from PIL import Image

    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # read the header only
    try:
        with _open(data) as im:
            width, height = im.size
    finally:
        Image.MAX_IMAGE_PIXELS = limit
    if width * height > OPENCV_MAX_PIXELS:
        return (f"{width}x{height} pixels, more than OpenCV reads (2^30): Caffe gets no "
                "image")
    raise NotChecked(f"{width}x{height} pixels: too large to decode here")


def decode(data: bytes | str, mode: str = NATIVE,
           size: tuple[int, int] | None = None) -> np.ndarray | str:
    """Decode an image file's bytes (or open the file at a path): (C, H, W) uint8, or a
    string saying why Caffe could not use it. `size` is (width, height) to resize to.
    Raises NotChecked for an image too large to decode here."""
    from PIL import Image

    try:
        with _open(data) as im:
            if im.format not in OPENCV_FORMATS:
                return (f"a {im.format} file: OpenCV, which Caffe decodes with, reads no "
                        f"{im.format} (GIF only from 4.11, and off by default), so Caffe "
                        "gets no image")
            im.load()
            out = _convert(im, mode)
            if isinstance(out, str):
                return out
            if size is not None:
                out = out.resize(size, Image.BILINEAR)
            return _array(out)
    except Image.DecompressionBombError:
        return _too_large(data)
    except (OSError, ValueError, SyntaxError) as exc:
        return f"cannot be decoded as an image ({exc})"

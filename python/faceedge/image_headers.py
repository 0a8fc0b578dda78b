"""What an encoded image declares about itself, read without decoding: format, width, height,
and whether the data is visibly cut short (JPEG, PNG, BMP, GIF, WebP)."""
from __future__ import annotations

import struct
from typing import Callable, Dict, NamedTuple, Optional, Tuple

from .errors import error

__all__ = ["ImageHeader", "SUPPORTED_FORMATS", "read_image_header", "malformed"]

# ---------------------------------------------------------------------------------------------
# Header sniffers: (width, height, truncated) from the bytes, without decoding. Each raises 216201
# when no size can be read; a size read from data that is visibly cut short comes back with the
# reason, so that an over-size declaration is still reported as a size error first.
# ---------------------------------------------------------------------------------------------

class ImageHeader(NamedTuple):
    """What the encoded data declares about itself."""

    format: str
    width: int
    height: int
    truncated: Optional[str] = None  # why the data is visibly incomplete, if it is


_Sniffed = Tuple[int, int, Optional[str]]  # width, height, why truncated (None: looks complete)


def malformed(fmt: str, what: str) -> Exception:
    return error(216201, f"{fmt} data is malformed or truncated: {what}")


_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> _Sniffed:
    """Walk the marker segments up to the first scan (SOS); read the frame header (SOFn)."""
    n = len(data)
    i = 2
    size: Optional[Tuple[int, int]] = None
    while i < n:
        if data[i] != 0xFF:  # stray bytes between segments: decoders skip them, so do we
            i = data.find(b"\xff", i)
            if i < 0:
                break
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            break
        marker = data[i]
        i += 1
        if marker == 0xD8 or marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length field
            continue
        if marker == 0xD9:
            raise malformed("JPEG", "end of image before any scan")
        if i + 2 > n:
            break
        (length,) = struct.unpack_from(">H", data, i)
        if length < 2:
            raise malformed("JPEG", f"segment 0x{marker:02X} has length {length}")
        if marker in _JPEG_SOF:
            if i + 7 > n:
                break
            height, width = struct.unpack_from(">HH", data, i + 3)
            if height == 0:
                raise error(216201, "JPEG files whose height is set by a DNL marker are not supported")
            size = (width, height)
        elif marker == 0xDA:  # start of scan: entropy-coded data follows
            if size is None:
                raise malformed("JPEG", "scan data before the frame header")
            # Thumbnails sit in APPn segments before this point, so an end-of-image marker
            # after it belongs to the main image; without one the file was cut short.
            if data.find(b"\xff\xd9", i) < 0:
                return size[0], size[1], "no end-of-image marker after the image data"
            return size[0], size[1], None
        i += length
    raise malformed("JPEG", "the data ends before the image data starts")


def _png_size(data: bytes) -> _Sniffed:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise malformed("PNG", "no IHDR chunk")
    width, height = struct.unpack_from(">II", data, 16)
    return width, height, None  # libpng itself refuses truncated data


def _gif_size(data: bytes) -> _Sniffed:
    if len(data) < 10:
        raise malformed("GIF", "header shorter than 10 bytes")
    width, height = struct.unpack_from("<HH", data, 6)
    return width, height, None


def _bmp_size(data: bytes) -> _Sniffed:
    n = len(data)
    if n < 26:
        raise malformed("BMP", "header shorter than 26 bytes")
    (pixel_offset,) = struct.unpack_from("<I", data, 10)
    (header_size,) = struct.unpack_from("<I", data, 14)
    if header_size == 12:  # OS/2 BITMAPCOREHEADER
        width, height = struct.unpack_from("<HH", data, 18)
        bits, compression = struct.unpack_from("<H", data, 24)[0], 0
    elif header_size >= 40 and n >= 34:
        width, height = struct.unpack_from("<ii", data, 18)
        bits, compression = struct.unpack_from("<HI", data, 28)
        height = abs(height)  # negative height: rows stored top-down
    else:
        raise malformed("BMP", f"info header size {header_size}")
    if width <= 0:
        raise malformed("BMP", f"width {width}")
    if compression in (0, 3) and bits in (1, 4, 8, 16, 24, 32):  # uncompressed: size is known
        needed = pixel_offset + ((bits * width + 31) // 32) * 4 * height
        if needed > n:
            return width, height, f"pixel data needs {needed} bytes, the file has {n}"
    return width, height, None


def _webp_size(data: bytes) -> _Sniffed:
    n = len(data)
    if n < 30 or data[8:12] != b"WEBP":
        raise malformed("WebP", "not a WEBP RIFF container")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    truncated = f"RIFF declares {riff_size + 8} bytes, the data has {n}" if riff_size + 8 > n else None
    chunk = data[12:16]
    if chunk == b"VP8 ":
        if data[23:26] != b"\x9d\x01\x2a":
            raise malformed("WebP", "no VP8 start code")
        width, height = struct.unpack_from("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF, truncated
    if chunk == b"VP8L":
        if data[20] != 0x2F:
            raise malformed("WebP", "no VP8L signature")
        (bits,) = struct.unpack_from("<I", data, 21)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, truncated
    if chunk == b"VP8X":
        return (1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little"),
                truncated)
    raise malformed("WebP", f"unknown first chunk {chunk!r}")


# signature -> (format name, sniffer). Only formats listed here are decoded at all, so that
# every decoded image has had its declared size checked first.
_SNIFFERS: Dict[bytes, Tuple[str, Callable[[bytes], _Sniffed]]] = {
    b"\xff\xd8\xff": ("JPEG", _jpeg_size),
    b"\x89PNG\r\n\x1a\n": ("PNG", _png_size),
    b"GIF87a": ("GIF", _gif_size),
    b"GIF89a": ("GIF", _gif_size),
    b"BM": ("BMP", _bmp_size),
    b"RIFF": ("WebP", _webp_size),
}
SUPPORTED_FORMATS = ("JPEG", "PNG", "BMP", "GIF", "WebP")


def read_image_header(data: bytes) -> ImageHeader:
    """Identify the format of encoded ``data`` and read its declared width and height.

    Raises 216201 for unknown formats and headers too damaged to give a size; data cut short
    after a readable header comes back with ``truncated`` set. Does not check limits.
    """
    for signature, (fmt, sniff) in _SNIFFERS.items():
        if data.startswith(signature):
            try:
                width, height, truncated = sniff(data)
            except (struct.error, IndexError) as exc:  # ran off the end of a short buffer
                raise malformed(fmt, str(exc)) from None
            return ImageHeader(fmt, int(width), int(height), truncated)
    raise error(216201, "data is not a supported image (supported: "
                        f"{', '.join(SUPPORTED_FORMATS)}); it starts with {bytes(data[:8])!r}")

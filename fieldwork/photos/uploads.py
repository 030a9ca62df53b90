"""What a resident's upload must be: a real photo, checked by its content and structure,
never by name or extension. A file that is an image and something else as well (a
polyglot: a JPEG with a ZIP after it, a PNG with HTML in it) is refused."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from fieldwork.core.pictures import MAX_LOSSLESS_PIXELS, MAX_PHOTO_BYTES, MAX_PIXELS, PictureError

MAX_UPLOAD_BYTES = MAX_PHOTO_BYTES  # the same bound as every other photo the project takes
FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# the start of something that a browser, an archiver or an interpreter would run or open
FOREIGN = (
    b"<script",
    b"<html",
    b"<?php",
    b"<svg",
    b"<!doctype",
    b"pk\x03\x04",
    b"%pdf-",
    b"<iframe",
    b"javascript:",
)
ORIGINAL_EDGE = 2560
THUMB_EDGE = 480


@dataclass
class Checked:
    format: str
    content_type: str
    width: int
    height: int


def _not_a_photo() -> PictureError:
    return PictureError(
        _("This file is not a photo. Choose a photo (JPEG, PNG or WebP)."), "photo", 422
    )


def _jpeg_layout(raw: bytes) -> tuple[int, bytes]:
    """Where the first JPEG image ends (after its EOI marker), walking the segments, and
    its metadata segments (APPn, COM, …) — everything but the compressed picture."""
    position = 2  # after SOI
    metadata: list[bytes] = []
    while position + 2 <= len(raw):
        if raw[position] != 0xFF:
            raise _not_a_photo()
        marker = raw[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:
            return position + 2, b"".join(metadata)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            position += 2
            continue
        if position + 4 > len(raw):
            break
        (length,) = struct.unpack(">H", raw[position + 2 : position + 4])
        if marker != 0xDA:
            metadata.append(raw[position + 4 : position + 2 + length])
        position += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            while position + 1 < len(raw):
                if raw[position] == 0xFF and raw[position + 1] not in (0x00, *range(0xD0, 0xD8)):
                    break
                position += 1
    raise _not_a_photo()


def _png_layout(raw: bytes) -> tuple[int, bytes]:
    position, metadata, pixels = 8, [], []
    while position + 12 <= len(raw):
        (length,) = struct.unpack(">I", raw[position : position + 4])
        kind = raw[position + 4 : position + 8]
        if kind == b"IDAT":
            pixels.append(raw[position + 8 : position + 8 + length])
        else:
            metadata.append(raw[position + 8 : position + 8 + length])
        position += 12 + length
        if kind == b"IEND":
            _only_pixels(b"".join(pixels))
            return position, b"".join(metadata)
    raise _not_a_photo()


def _only_pixels(compressed: bytes) -> None:
    """The picture data is one zlib stream and nothing after it (something hidden behind the
    stream in an IDAT chunk would otherwise pass). Inflated in steps, the output dropped."""
    inflater, data = zlib.decompressobj(), compressed
    try:
        while data and not inflater.eof:
            inflater.decompress(data, 1 << 20)
            data = inflater.unconsumed_tail
    except zlib.error as exc:
        raise _not_a_photo() from exc
    if not inflater.eof or inflater.unused_data.strip(b"\x00"):
        raise _not_a_photo()


def _webp_layout(raw: bytes) -> tuple[int, bytes]:
    (size,) = struct.unpack("<I", raw[4:8])
    position, metadata = 12, []
    while position + 8 <= min(len(raw), 8 + size):
        kind = raw[position : position + 4]
        (length,) = struct.unpack("<I", raw[position + 4 : position + 8])
        if kind not in (b"VP8 ", b"VP8L", b"ALPH", b"ANMF"):
            metadata.append(raw[position + 8 : position + 8 + length])
        position += 8 + length + (length & 1)
    return 8 + size + (size & 1), b"".join(metadata)


def check_photo(raw: bytes) -> Checked:
    """The photo's format and size, or a PictureError: too big (413), not a photo or not
    only a photo (422)."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise PictureError(
            _(
                "The photo is too large: at most %(mb)d MB. Choose a smaller "
                "one or make the photo again.",
                mb=MAX_UPLOAD_BYTES // 2**20,
            ),
            "photo",
            413,
        )
    if len(raw) < 32:
        raise _not_a_photo()
    try:
        with Image.open(io.BytesIO(raw)) as image:
            kind = image.format or ""
            width, height = image.size
            if kind in FORMATS and width * height <= (
                MAX_PIXELS if kind in ("JPEG", "MPO") else MAX_LOSSLESS_PIXELS
            ):
                image.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        struct.error,
        Image.DecompressionBombError,
    ) as exc:
        raise _not_a_photo() from exc
    if kind not in FORMATS:
        raise _not_a_photo()
    if width * height > (MAX_PIXELS if kind in ("JPEG", "MPO") else MAX_LOSSLESS_PIXELS):
        raise PictureError(_("The photo has too many pixels."), "photo", 413)
    layouts = {"JPEG": _jpeg_layout, "MPO": _jpeg_layout, "PNG": _png_layout, "WEBP": _webp_layout}
    end, metadata = layouts[kind](raw)
    while kind == "MPO" and raw[end : end + 2] == b"\xff\xd8":
        # several JPEG images one after the other, as some phones make: each one walked
        more_end, more_metadata = _jpeg_layout(raw[end:])
        end, metadata = end + more_end, metadata + more_metadata
    # nothing after the image, and nothing foreign hidden in its metadata (the compressed
    # picture itself is not searched: random bytes would match a short mark now and then)
    if raw[end:].strip(b"\x00\r\n \t") or any(m in metadata.lower() for m in FOREIGN):
        raise _not_a_photo()
    return Checked(kind, FORMATS[kind], width, height)


def _as_rgb(image: Image.Image) -> Image.Image:
    """RGB as a person sees it: 16-bit grey scaled down, transparency on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda value: value / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def render(raw: bytes, rotation: int = 0) -> tuple[bytes, bytes, int, int]:
    """The stored versions of an upload: an upright original of at most ORIGINAL_EDGE px a
    side and a thumbnail, both JPEG, re-encoded without any metadata (no EXIF, no GPS)."""
    with Image.open(io.BytesIO(raw)) as image:
        image.draft("RGB", (ORIGINAL_EDGE, ORIGINAL_EDGE))  # JPEG: decode at a lower scale
        upright = _as_rgb(ImageOps.exif_transpose(image))
    upright.info = {}  # no comment, no profile, no EXIF carried over into the saved file
    if rotation:
        upright = upright.rotate(-rotation, expand=True)  # clockwise, as the button says
    upright.thumbnail((ORIGINAL_EDGE, ORIGINAL_EDGE))
    upright.info = {}
    original = io.BytesIO()
    upright.save(original, "JPEG", quality=85, optimize=True)  # no exif=: none is written
    small = upright.copy()
    small.thumbnail((THUMB_EDGE, THUMB_EDGE))
    small.info = {}
    thumb = io.BytesIO()
    small.save(thumb, "JPEG", quality=75, optimize=True)
    return original.getvalue(), thumb.getvalue(), upright.width, upright.height

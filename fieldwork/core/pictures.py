"""Pictures people send: a signature drawn on the screen and a photo (of a signed consent
strip, say). Checked by content (Pillow decodes them), never by name or extension; a photo is
re-encoded small and without EXIF (no GPS, no camera serial)."""

from __future__ import annotations

import base64
import binascii
import io

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from fieldwork.core.errors import ServiceError

SIGNATURE_PREFIX = "data:image/png;base64,"


class PictureError(ServiceError):
    """Not a usable picture: a message for people, the field, and the HTTP status."""

    def __init__(self, message: str, field: str = "picture", status: int = 422) -> None:
        super().__init__(message, field, status)


MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 60_000_000  # a 12 MB phone photo is ~50 MP at most; beyond that, refuse
# Lossless pictures (PNG, WebP) are decoded in full (no JPEG draft mode), and a small file
# can hold a huge flat picture: a 57 KB 7700 x 7700 PNG takes ~370 MB to decode.
MAX_LOSSLESS_PIXELS = 25_000_000
LOSSY_FORMATS = ("JPEG", "MPO")
PHOTO_FORMATS = ("JPEG", "MPO", "PNG", "WEBP")
PHOTO_EDGE = 1600
#: What Pillow raises for a file that is no picture, a broken one, or a decompression bomb.
UNREADABLE = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    Image.DecompressionBombError,
)


def decode_signature(data_url: str, field: str = "signature") -> bytes:
    """A PNG data URL from the signature pad → PNG bytes; PictureError when it is not one."""
    if not data_url.startswith(SIGNATURE_PREFIX):
        raise PictureError(_("The signature could not be read. Sign again."), field)
    try:
        raw = base64.b64decode(data_url[len(SIGNATURE_PREFIX) :], validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != "PNG" or image.width * image.height > 4_000_000:
                raise ValueError(image.format)
            image.verify()
    except (
        binascii.Error,
        ValueError,
        SyntaxError,
        UnidentifiedImageError,
        OSError,
        Image.DecompressionBombError,
    ) as exc:  # a damaged PNG raises SyntaxError
        raise PictureError(_("The signature could not be read. Sign again."), field) from exc
    return raw


def not_a_photo(field: str) -> PictureError:
    return PictureError(
        _("This file is not a photo. Take a photo of the signed strip."), field, 422
    )


def pixel_bound(kind: str) -> int:
    """The most pixels a photo of this format may have: lossy ones decode at a lower scale."""
    return MAX_PIXELS if kind in LOSSY_FORMATS else MAX_LOSSLESS_PIXELS


def check_photo_header(raw: bytes, field: str = "strip_photo") -> str:
    """The photo's format, read from its header only (nothing is decoded, so this is cheap
    in a web request); PictureError when it is too large, has too many pixels for its
    format, or is no photo. The picture itself is decoded later, by the worker."""
    if len(raw) > MAX_PHOTO_BYTES:
        raise PictureError(_("The photo is too large (at most 15 MB)."), field, 413)
    try:
        with Image.open(io.BytesIO(raw)) as image:  # lazy: reads the header, not the pixels
            kind = image.format or ""
            width, height = image.size
    except UNREADABLE as exc:
        raise not_a_photo(field) from exc
    if kind not in PHOTO_FORMATS:
        raise not_a_photo(field)
    if width * height > pixel_bound(kind):
        raise PictureError(
            _(
                "The photo has too many pixels: at most %(megapixels)d megapixels. "
                "Take a new photo of the strip.",
                megapixels=pixel_bound(kind) // 1_000_000,
            ),
            field,
            413,
        )
    return kind


def clean_photo(raw: bytes, field: str = "strip_photo") -> bytes:
    """A JPEG of at most PHOTO_EDGE pixels a side, upright, with no metadata. The header is
    checked (:func:`check_photo_header`) before anything is decoded."""
    check_photo_header(raw, field)
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image.draft("RGB", (PHOTO_EDGE, PHOTO_EDGE))  # JPEG: decode at a lower scale
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except UNREADABLE as exc:
        raise not_a_photo(field) from exc
    upright.thumbnail((PHOTO_EDGE, PHOTO_EDGE))
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=80, optimize=True)  # no exif= argument: none is written
    return out.getvalue()

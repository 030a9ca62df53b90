"""The two pictures a card may carry: the on-screen signature and a photo of the signed strip.
Checked by content (Pillow decodes them), never by name or extension; the photo is
re-encoded small and without EXIF (no GPS, no camera serial)."""

from __future__ import annotations

import base64
import binascii
import io

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from fieldwork.referrals.schemas import SIGNATURE_PREFIX
from fieldwork.referrals.services import ReferralError

MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 60_000_000  # a 12 MB phone photo is ~50 MP at most; beyond that, refuse
PHOTO_EDGE = 1600


def decode_signature(data_url: str) -> bytes:
    """A PNG data URL from the signature pad → PNG bytes; ReferralError when it is not one."""
    if not data_url.startswith(SIGNATURE_PREFIX):
        raise ReferralError(_("The signature could not be read. Sign again."), "signature")
    try:
        raw = base64.b64decode(data_url[len(SIGNATURE_PREFIX):], validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != "PNG" or image.width * image.height > 4_000_000:
                raise ValueError(image.format)
            image.verify()
    except (binascii.Error, ValueError, SyntaxError, UnidentifiedImageError, OSError,
            Image.DecompressionBombError) as exc:  # a damaged PNG raises SyntaxError
        raise ReferralError(_("The signature could not be read. Sign again."),
                            "signature") from exc
    return raw


def clean_strip_photo(raw: bytes) -> bytes:
    """A JPEG of at most PHOTO_EDGE pixels a side, upright, with no metadata."""
    if len(raw) > MAX_PHOTO_BYTES:
        raise ReferralError(_("The photo is too large (at most 15 MB)."), "strip_photo", 413)
    try:
        with Image.open(io.BytesIO(raw)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ReferralError(_("The photo has too many pixels."), "strip_photo", 413)
            image.draft("RGB", (PHOTO_EDGE, PHOTO_EDGE))  # JPEG: decode at a lower scale
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as exc:
        raise ReferralError(_("This file is not a photo. Take a photo of the signed strip."),
                            "strip_photo", 422) from exc
    upright.thumbnail((PHOTO_EDGE, PHOTO_EDGE))
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=80, optimize=True)  # no exif= argument: none is written
    return out.getvalue()

"""``GET /api/v1/message/{ID}/part/{PartID}/thumb``: Mailpit's attachment thumbnails.

Rules (Mailpit's):

* Always a 180×120 JPEG (quality 70) on white, so that transparent images
  do not turn black.
* An image at least 180×120 is scaled and cropped to fill it, centred; a
  smaller one is scaled down only where it must, to fit, and centred; the
  camera's orientation (EXIF) is applied first.
* A part that is not ``image/*``, or that Pillow cannot read, or that has
  more than :data:`MAX_PIXELS` pixels (a decompression bomb), gets the blank
  white image.  An unknown message or part is ``404``.
* The work is done in a worker thread, off the event loop.
"""

from __future__ import annotations

import io
import urllib.parse
import warnings

from aiohttp import web

from ..mailbox.store import MailStore
from .api import off_loop
from .mailpit_extra import with_message

__all__ = ["add_routes", "thumbnail", "SIZE", "MAX_PIXELS"]

SIZE = (180, 120)
MAX_PIXELS = 40_000_000
_QUALITY = 70


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/message/{id}/part/{part}/thumb", thumb)


@with_message(MailStore.part, "part")
async def thumb(request: web.Request, found: tuple[str, str, bytes]) -> web.Response:
    content_type, file_name, content = found
    image = content if content_type.lower().startswith("image/") else None
    jpeg = await off_loop(thumbnail, image)
    return web.Response(body=jpeg, headers={
        "Content-Type": "image/jpeg", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'filename="{urllib.parse.quote(file_name)}"'})


def thumbnail(image: bytes | None) -> bytes:
    """The JPEG thumbnail of ``image`` (``None``: the blank one)."""
    from PIL import Image, ImageOps

    canvas = Image.new("RGB", SIZE, "white")
    picture = _open(image) if image is not None else None
    if picture is not None:
        if picture.width < SIZE[0] or picture.height < SIZE[1]:
            picture.thumbnail(SIZE, Image.Resampling.LANCZOS)  # only ever smaller
        else:
            picture = ImageOps.fit(picture, SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.5))
        picture = picture.convert("RGBA")
        canvas.paste(picture, ((SIZE[0] - picture.width) // 2, (SIZE[1] - picture.height) // 2), picture)
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=_QUALITY)
    return out.getvalue()


def _open(data: bytes):
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data))
            if picture.width * picture.height > MAX_PIXELS:
                return None
            picture.load()
            return ImageOps.exif_transpose(picture)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, ValueError, SyntaxError):
        return None

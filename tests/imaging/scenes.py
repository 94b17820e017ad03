"""Drawn test images: a frontal face that OpenCV's bundled cascade detects, in a scene
whose loudest subject (for the saliency) is elsewhere."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFilter

FACE_BOX = (850, 300, 1050, 560)  # where _scene draws the face (x0, y0, x1, y1), px


def drawn_face(width: int = 200) -> Image.Image:
    """A drawn frontal face: hair, skin, brows, eyes, a nose shadow, a mouth (softened)."""
    w, h = width, int(width * 1.3)
    img = Image.new("RGB", (w, h), (200, 200, 200))
    d = ImageDraw.Draw(img)
    d.ellipse([w * 0.08, h * 0.02, w * 0.92, h * 0.6], fill=(60, 40, 30))
    d.ellipse([w * 0.15, h * 0.12, w * 0.85, h * 0.95], fill=(225, 185, 160))
    for left in (0.26, 0.56):
        d.rectangle([w * left, h * 0.36, w * (left + 0.18), h * 0.39], fill=(70, 50, 40))
    for left in (0.28, 0.58):
        d.ellipse([w * left, h * 0.42, w * (left + 0.14), h * 0.48], fill=(250, 250, 250))
        d.ellipse([w * (left + 0.04), h * 0.425, w * (left + 0.1), h * 0.475],
                  fill=(40, 30, 20))
    d.polygon([(w * 0.5, h * 0.5), (w * 0.45, h * 0.64), (w * 0.55, h * 0.64)],
              fill=(200, 150, 125))
    d.ellipse([w * 0.38, h * 0.72, w * 0.62, h * 0.78], fill=(170, 80, 80))
    return img.filter(ImageFilter.GaussianBlur(2))


def face_scene(with_face: bool = True) -> bytes:
    """1200×800: a loud subject on the left (saturated stripes in a ring, what the
    saliency prefers) and, on the right, a face."""
    canvas = Image.new("RGB", (1200, 800), (110, 130, 120))
    d = ImageDraw.Draw(canvas)
    for i, colour in enumerate([(255, 0, 0), (255, 220, 0), (0, 80, 255), (0, 220, 0)] * 3):
        d.rectangle([60 + i * 25, 200, 80 + i * 25, 600], fill=colour)
    if with_face:
        canvas.paste(drawn_face(), FACE_BOX[:2])
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()

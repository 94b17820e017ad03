"""Faces as a crop focus: OpenCV's Haar cascade for frontal faces, the model file that
ships inside the ``opencv-python-headless`` wheel (``cv2.data.haarcascades``), so nothing
is downloaded at run time.

Optional: the ``[faces]`` extra installs OpenCV (a ~60 MB wheel the lean default does
without). :func:`faces_available` says whether it is there; without it the ``faces``
strategy is refused at planning. An image with no face found falls back to the
``attention`` saliency (``face_focus`` returns None).
"""

from __future__ import annotations

import importlib
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from imagestudio.imaging.focus import Focus

if TYPE_CHECKING:
    import numpy as np

FACES_SIDE = 640  # the detection thumbnail's long side: faces down to ~4 % of it
CASCADE = "haarcascade_frontalface_default.xml"
_MIN_NEIGHBOURS = 5  # fewer false positives on texture than OpenCV's default 3
_lock = threading.Lock()  # one detector object; its calls are serialised


def faces_available() -> bool:
    """Whether OpenCV (the ``[faces]`` extra) is importable here."""
    try:
        _detector()
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _detector() -> Any:
    import cv2  # the [faces] extra; imported on first use (RSS of servers that never use it)

    folder: str = importlib.import_module("cv2.data").haarcascades
    detector = cv2.CascadeClassifier(folder + CASCADE)
    if detector.empty():  # a wheel without its data files
        raise ImportError(f"OpenCV's {CASCADE} is missing from {folder}")
    return detector


def find_faces(rgb: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Frontal faces in ``rgb`` (``H × W × 3`` uint8) as ``(x0, y0, x1, y1)`` fractions,
    largest first."""
    import cv2
    import numpy as np

    height, width = rgb.shape[:2]
    grey = cv2.equalizeHist(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY))
    side = max(24, min(width, height) // 25)
    with _lock:
        found = _detector().detectMultiScale(grey, scaleFactor=1.1,
                                             minNeighbors=_MIN_NEIGHBOURS,
                                             minSize=(side, side))
    boxes = [(x / width, y / height, (x + w) / width, (y + h) / height)
             for x, y, w, h in (tuple(int(v) for v in f) for f in found)]
    return sorted(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True)


def face_focus(rgb: np.ndarray) -> Focus | None:
    """The focus on the faces of ``rgb``: the area-weighted centre of the faces, the box
    holding them all (None: no face found)."""
    faces = find_faces(rgb)
    if not faces:
        return None
    areas = [(b[2] - b[0]) * (b[3] - b[1]) for b in faces]
    total = sum(areas)
    cx = sum((b[0] + b[2]) / 2 * a for b, a in zip(faces, areas, strict=True)) / total
    cy = sum((b[1] + b[3]) / 2 * a for b, a in zip(faces, areas, strict=True)) / total
    box = (min(b[0] for b in faces), min(b[1] for b in faces),
           max(b[2] for b in faces), max(b[3] for b in faces))
    return Focus(cx, cy, box)

"""Keep freed image-sized buffers in the process instead of handing them back to the OS.

Every image passes through several 3-16 MB buffers (decoded pixels, resized pixels, the
filtered PNG rows). With glibc's defaults each of them is a fresh ``mmap`` (or is
trimmed off the heap when freed), so every image pays about 4,000 page faults: roughly
10 ms of kernel time per 1080² image here, a third of its post-processing cost. Raising
the mmap and trim thresholds lets ``malloc`` reuse those buffers; resident memory then
keeps up to :data:`TRIM_THRESHOLD` of free heap per allocator arena.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import threading
from typing import Any

MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's maximum; a 2048² RGBA image is 16 MB
TRIM_THRESHOLD = 64 * 1024 * 1024
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # from glibc's <malloc.h>
_lock = threading.Lock()
_state: list[bool] = []
_trim: list[Any] = []  # malloc_trim, or None without glibc; looked up once


def keep_image_buffers() -> bool:
    """Tune glibc's allocator once per process; True when it is tuned (False elsewhere:
    musl, macOS, Windows keep their defaults)."""
    with _lock:
        if not _state:
            _state.append(_tune())
        return _state[0]


def _tune() -> bool:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


def release_free_memory() -> bool:
    """Hand the allocator's free heap memory back to the OS (glibc's ``malloc_trim(0)``:
    every arena's free pages, not only the top of the heap). False where there is no
    glibc. It costs a few milliseconds with tens of megabytes free, and the pages it
    returns are faulted in again when next used: call it when the process goes quiet,
    never per request (:class:`imagestudio.api.idle_trim.TrimWhenIdle` does)."""
    trim = _malloc_trim()
    return trim is not None and bool(trim(0))


def _malloc_trim() -> Any:
    with _lock:
        if not _trim:
            function: Any = None
            with contextlib.suppress(OSError, AttributeError, TypeError):
                function = ctypes.CDLL(ctypes.util.find_library("c") or None).malloc_trim
                function.argtypes = (ctypes.c_size_t,)
                function.restype = ctypes.c_int
            _trim.append(function)
        return _trim[0]

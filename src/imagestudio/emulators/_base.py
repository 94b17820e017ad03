"""What every vendor emulator shares: the call log, failure knobs and cheap images.

An emulator is a callable ``httpx.Request -> httpx.Response`` (plug it into
``httpx.MockTransport``); :meth:`Emulator.handle_async` adds ``latency_s`` and is what the
ASGI wrapper and ``MockTransport(emulator.handle_async)`` use. Subclasses implement
:meth:`Emulator.handle` (routing, validation, success responses) and
:meth:`Emulator.error_body` (the vendor's documented error shape).

Knobs arm one-shot behaviours for the next matching request(s):
``fail_next``, ``rate_limit``, ``timeout`` (raises ``httpx.ReadTimeout``), and the flags
``reject_content``, ``malformed_body``, ``truncate_image`` that the vendor's success path
consumes where they apply. :meth:`Emulator.chaos` makes :meth:`Emulator.handle_async`
answer a random fraction of requests with an unbilled 503 and delay another fraction.
``paid`` records every request answered with a 2xx to a POST: a call the vendor bills.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import random
import struct
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import httpx
from PIL import Image
from pydantic import BaseModel, ValidationError

from imagestudio.imaging import png

M = TypeVar("M", bound=BaseModel)
MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
_FAST: dict[str, dict[str, Any]] = {"webp": {"lossless": True, "method": 0}}
GARBAGE_JSON = b'{"data": [{"b64_json": "iVBORw0KGgo'
GARBAGE_BYTES = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
_DEFAULT_MESSAGES = {
    400: "bad request",
    401: "invalid or missing API key",
    402: "insufficient credits",
    403: "forbidden",
    404: "not found",
    413: "payload too large",
    422: "unprocessable entity",
    429: "rate limit exceeded",
    500: "internal server error",
    502: "bad gateway",
    503: "service unavailable",
}


class InvalidBody(Exception):
    """Raised inside an emulator when the request breaks the documented contract."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def describe(exc: ValidationError) -> list[str]:
    """Pydantic errors as ``"<field>: <reason>"`` lines, the form Stability uses (§1.11)."""
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "body"
        lines.append(f"{where}: {error['msg']}")
    return lines


@dataclass
class Fault:
    """A scripted failure: ``status`` None means "raise ReadTimeout"."""

    status: int | None
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    remaining: int = 1
    method: str | None = None
    path: str | None = None

    def matches(self, request: httpx.Request) -> bool:
        if self.method is not None and request.method != self.method.upper():
            return False
        return self.path is None or request.url.path.startswith(self.path)


@functools.lru_cache(maxsize=64)
def render_image(prompt: str, seed: int, width: int, height: int, fmt: str = "png") -> bytes:
    """A deterministic two-band image derived from (prompt, seed, size), cheap to make.

    Emulators share the CPU with the studio in benchmarks, so this costs microseconds
    for PNG (a 1-bit palette image whose pixel data is cached per size; only the palette
    changes) and a few ms for JPEG and lossless WebP (Pillow's PNG encoder took ≈25 ms
    at 1024²). Decoders see an ordinary image either way.
    """
    digest = hashlib.sha256(f"{prompt}\0{seed}\0{width}x{height}".encode()).digest()
    top, bottom = (digest[0], digest[1], digest[2]), (digest[3], digest[4], digest[5])
    if fmt == "png":
        head, tail = _two_band_frame(width, height)
        return head + png.chunk(b"PLTE", bytes(top + bottom)) + tail
    img = Image.new("RGB", (width, height), top)
    img.paste(bottom, (0, height // 2, width, height))
    buffer = io.BytesIO()
    img.save(buffer, format=_PIL_FORMATS[fmt], **_FAST.get(fmt, {}))
    return buffer.getvalue()


@functools.lru_cache(maxsize=64)
def _two_band_frame(width: int, height: int) -> tuple[bytes, bytes]:
    """The chunks before and after ``PLTE`` of a 1-bit image: index 0 on top, 1 below."""
    header = struct.pack(">IIBBBBB", width, height, 1, 3, 0, 0, 0)
    row_bytes = (width + 7) // 8
    top = (b"\x00" + b"\x00" * row_bytes) * (height // 2)
    bottom = (b"\x00" + b"\xff" * row_bytes) * (height - height // 2)
    pixels = png.chunk(b"IDAT", zlib.compress(top + bottom, 6))
    return png.SIGNATURE + png.chunk(b"IHDR", header), pixels + png.chunk(b"IEND", b"")


def truncate(data: bytes) -> bytes:
    """The first half of an encoded image: a valid header, then nothing."""
    return data[: max(16, len(data) // 2)]


def derived_seed(prompt: str) -> int:
    """The seed an emulator reports when the caller asked for a random one."""
    return int.from_bytes(hashlib.sha256(prompt.encode()).digest()[:4], "big") % 4294967294 + 1


def json_response(
    status: int, payload: Any, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=dict(headers or {}))


@dataclass
class Chaos:
    fault_rate: float
    slow_rate: float
    slow_s: float
    rng: random.Random


class Emulator:
    """Base of the vendor emulators; see the module docstring for the knobs.

    ``api_key`` is the key the emulator accepts; ``None`` accepts any non-empty key.
    ``calls`` records every request received, in order.
    """

    name: ClassVar[str]
    base_path: ClassVar[str] = ""
    messages: ClassVar[Mapping[int, str]] = {}

    def __init__(self, api_key: str | None = "test-key", *, latency_s: float = 0.0) -> None:
        self.api_key = api_key
        self.latency_s = latency_s
        self.calls: list[httpx.Request] = []
        self.paid: list[httpx.Request] = []
        self._chaos: Chaos | None = None
        self._faults: list[Fault] = []
        self._flags: Counter[str] = Counter()
        self._counter = 0

    # ---- knobs ------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        *,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status``.

        ``body`` None uses the vendor's error shape; a dict/list is sent as JSON,
        ``str``/``bytes`` as is.
        """
        self._faults.append(Fault(status, body, dict(headers or {}), times, method, path))

    def rate_limit(
        self,
        retry_after: float | str | None = 2,
        *,
        header: str = "Retry-After",
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """429 with ``header: retry_after`` (omitted when None)."""
        headers = {} if retry_after is None else {header: _header_value(retry_after)}
        self.fail_next(429, None, headers, times, method=method, path=path)

    def timeout(
        self, *, times: int = 1, method: str | None = None, path: str | None = None
    ) -> None:
        """Raise ``httpx.ReadTimeout`` for the next matching request (the ASGI wrapper hangs)."""
        self._faults.append(Fault(None, remaining=times, method=method, path=path))

    def reject_content(self, times: int = 1) -> None:
        """The next generation is refused by the vendor's moderation, in its own way."""
        self._flags["reject"] += times

    def malformed_body(self, times: int = 1) -> None:
        """The next success response carries an unparseable body."""
        self._flags["malformed"] += times

    def truncate_image(self, times: int = 1) -> None:
        """The next image is cut in half (header intact, data missing)."""
        self._flags["truncate"] += times

    def chaos(self, fault_rate: float, slow_rate: float = 0.0, slow_s: float = 0.0,
              *, seed: int | None = None) -> None:
        """From now on :meth:`handle_async` answers a ``fault_rate`` fraction of requests
        with 503 in the vendor's shape (not billed) and delays a ``slow_rate`` fraction by
        up to ``slow_s`` more seconds."""
        self._chaos = Chaos(fault_rate, slow_rate, slow_s, random.Random(seed))

    # ---- entry points -----------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        fault = self._pop_fault(request)
        if fault is None:
            response = self.handle(request)
            if request.method == "POST" and response.is_success:
                self.paid.append(request)
            return response
        if fault.status is None:
            raise httpx.ReadTimeout("emulated read timeout", request=request)
        return self._fault_response(fault)

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        """``self(request)`` after ``latency_s`` of non-blocking delay (and the chaos)."""
        delay = self.latency_s
        chaos = self._chaos
        if chaos is not None:
            if chaos.rng.random() < chaos.fault_rate:
                self.calls.append(request)
                return self.error_response(503)
            if chaos.rng.random() < chaos.slow_rate:
                delay += chaos.rng.uniform(0, chaos.slow_s)
        if delay > 0:
            await asyncio.sleep(delay)
        return self(request)

    def requests(self, method: str, path_prefix: str = "") -> list[httpx.Request]:
        """Recorded calls with this method whose path starts with ``path_prefix``."""
        return [r for r in self.calls if r.method == method and r.url.path.startswith(path_prefix)]

    # ---- for subclasses ---------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Route, validate and answer one request (no fault armed for it)."""
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> Any:
        """The vendor's JSON error body for ``status``."""
        raise NotImplementedError

    def error_response(
        self, status: int, message: str | None = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        text = message or self.messages.get(status) or _DEFAULT_MESSAGES.get(status, "error")
        return json_response(status, self.error_body(status, text), headers)

    def take(self, flag: str) -> bool:
        """Consume one armed ``flag``; True when it was armed."""
        if self._flags[flag] <= 0:
            return False
        self._flags[flag] -= 1
        return True

    def arm(self, flag: str, times: int = 1) -> None:
        self._flags[flag] += times

    def key_ok(self, presented: str | None) -> bool:
        if not presented:
            return False
        return self.api_key is None or presented == self.api_key

    def bearer_ok(self, request: httpx.Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme == "Bearer" and self.key_ok(token)

    def next_id(self, length: int = 32) -> str:
        """A deterministic hex id (``length`` chars)."""
        self._counter += 1
        digest = hashlib.sha256(f"{self.name}:{self._counter}".encode()).hexdigest()
        return (digest * 2)[:length]

    def _pop_fault(self, request: httpx.Request) -> Fault | None:
        for fault in self._faults:
            if fault.matches(request):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _fault_response(self, fault: Fault) -> httpx.Response:
        assert fault.status is not None
        if fault.body is None:
            return self.error_response(fault.status, None, fault.headers)
        if isinstance(fault.body, bytes | str):
            content = fault.body.encode() if isinstance(fault.body, str) else fault.body
            return httpx.Response(fault.status, content=content, headers=dict(fault.headers))
        return json_response(fault.status, fault.body, fault.headers)


def validate_json(request: httpx.Request, model: type[M]) -> M:
    """The JSON body validated strictly ("5" is not 5) against ``model``, else InvalidBody."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise InvalidBody(["content-type: must be application/json"])
    try:
        return model.model_validate_json(request.content, strict=True)
    except ValidationError as exc:
        raise InvalidBody(describe(exc)) from exc


def _header_value(value: float | str) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

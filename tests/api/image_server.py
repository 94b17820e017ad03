"""A real HTTP server on loopback serving the cases an image URL can meet (an image, a
redirect anywhere, a huge or slow body, the wrong type), counting what it was asked."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from PIL import Image


def png_bytes(width: int = 128, height: int = 96) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class ImageServer:
    base: str  # http://127.0.0.1:<port>
    hits: list[str] = field(default_factory=list)
    redirect_to: str = ""
    body: bytes = b""

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@asynccontextmanager
async def image_server() -> AsyncIterator[ImageServer]:
    served = ImageServer("")

    async def handle(request: web.Request) -> web.StreamResponse:
        served.hits.append(request.path_qs)
        path = request.path
        if path == "/photo.png":
            return web.Response(body=served.body or png_bytes(), content_type="image/png")
        if path == "/redirect":
            raise web.HTTPFound(served.redirect_to)
        if path == "/loop":
            raise web.HTTPFound("/loop")
        if path == "/page":
            return web.Response(text="<html></html>", content_type="text/html")
        if path == "/huge":  # chunked: no Content-Length to refuse it by
            response = web.StreamResponse(headers={"Content-Type": "image/png"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            for _ in range(100):
                await response.write(b"\0" * 65_536)
            return response
        if path == "/slow":
            response = web.StreamResponse(headers={"Content-Type": "image/png"})
            await response.prepare(request)
            await response.write(png_bytes()[:20])
            await asyncio.sleep(30)
            return response
        if path == "/gzip":
            return web.Response(body=png_bytes(), content_type="image/png",
                                headers={"Content-Encoding": "gzip"})
        return web.Response(status=404, text="not found")

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    served.base = f"http://127.0.0.1:{port}"
    try:
        yield served
    finally:
        await runner.cleanup()

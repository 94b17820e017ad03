"""The floors for ``bench_api.py``, on the same server stack (uvicorn, httptools, uvloop).

``app``: a bare FastAPI endpoint: a typed pydantic body, a Bearer header and a JSON answer
with a URL, but no auth lookup, planning, database, image or file: what any FastAPI
service on this machine pays per request before doing its own work.
``raw``: the same answer from a plain ASGI callable: what the HTTP server, the kernel's
loopback and the load generator's own client take, with no framework at all.

    python -m uvicorn --app-dir bench baseline_app:app --port 8000 --no-access-log
    python -m uvicorn --app-dir bench baseline_app:raw --port 8000 --no-access-log
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import FastAPI, Header
from pydantic import BaseModel

app = FastAPI()


class Body(BaseModel):
    prompt: str
    model: str | None = None
    size: str | None = None
    response_format: str | None = None


@app.post("/v1/images/generations")
async def generations(
    body: Body, authorization: Annotated[str, Header()]
) -> dict[str, object]:
    return {"created": 0, "data": [{"url": f"http://bench/{len(authorization)}/{body.prompt}"}]}


async def raw(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    prompt = json.loads(b"".join(chunks))["prompt"]
    authorization = dict(scope["headers"]).get(b"authorization", b"")
    answer = json.dumps({"created": 0, "data": [{"url": f"http://bench/{len(authorization)}/{prompt}"}]})
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(answer)).encode())]})
    await send({"type": "http.response.body", "body": answer.encode()})

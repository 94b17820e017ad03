"""The floor for ``bench_api.py``: a bare FastAPI endpoint with the same server stack.

Same uvicorn (httptools, uvloop), a typed pydantic body, a Bearer header and a JSON
answer with a URL, but no auth lookup, planning, database, image or file: what any
FastAPI service on this machine pays per request before doing its own work.

    python -m uvicorn --app-dir bench baseline_app:app --port 8000 --no-access-log
"""

from __future__ import annotations

from typing import Annotated

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

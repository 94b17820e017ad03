"""Outputs charged without their asset rows, and how the sweep records them.

When the transaction that records an operation's results fails, its outputs were still
delivered (and paid for): the workflow then captures the charge in a transaction of its
own together with one ``deliveries`` row per stored output (:func:`delivery_row`), and
:func:`record_deliveries` — run by every sweep — turns each into an asset row. Rows keep
only what the studio controls (ids, file facts, numbers); the metadata (prompt, model,
seed …) is optional, and an asset the database refuses with it is recorded without it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from imagestudio.assets.recorder import AssetRecorder, ImageFile, NewAsset, new_asset, storable
from imagestudio.assets.store import StoredFile
from imagestudio.db.base import new_id, table_of
from imagestudio.db.models import Delivery
from imagestudio.db.session import Database

log = logging.getLogger("imagestudio.studio")

_TABLE = table_of(Delivery)
BATCH = 500


def delivery_row(
    user_id: str, job_id: str, hold_id: str | None, index: int, file: StoredFile,
    output: ImageFile, now: dt.datetime, *, with_details: bool,
) -> dict[str, Any]:
    return {
        "id": new_id(), "user_id": user_id, "generation_id": job_id, "hold_id": hold_id,
        "variation": index, "file_key": file.key, "sha256": file.sha256,
        "size_bytes": file.size, "media_type": output.media_type, "width": output.width,
        "height": output.height, "details": _details(output, file) if with_details else None,
        "created_at": now,
    }


def _details(output: ImageFile, file: StoredFile) -> dict[str, Any]:
    details = dict(output.metadata)
    if file.poster_key is not None:  # a video's poster frame, stored beside it
        details["poster_key"] = file.poster_key
    return details


def insert_deliveries(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(_TABLE), rows)


def deliveries_of(conn: Connection, job_id: str) -> list[tuple[int, str | None]]:
    """(unit index, model) of job ``job_id``'s unrecorded deliveries."""
    rows = conn.execute(
        select(_TABLE.c.variation, _TABLE.c.details).where(_TABLE.c.generation_id == job_id)
    )
    return [(index, (details or {}).get("model")) for index, details in rows]


async def record_deliveries(
    db: Database, recorder: AssetRecorder, clock: Callable[[], dt.datetime]
) -> int:
    """Turn every ``deliveries`` row into an asset row; the number recorded."""
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(_TABLE).limit(BATCH))).mappings().all()
    recorded = 0
    for row in rows:
        record = partial(_record, recorder=recorder, delivery_id=row["id"])
        try:
            done = await db.write(partial(record, asset=_asset(row, clock(), with_details=True)))
        except Exception:  # noqa: BLE001 - e.g. text the database refuses: record without it
            log.warning("delivery %s: recording it with its metadata failed; recording "
                        "it without", row["id"], exc_info=True)
            done = await db.write(partial(record, asset=_asset(row, clock(), with_details=False)))
        recorded += done
    if recorded:
        log.warning("recorded %d delivered output(s) whose recording had failed", recorded)
    return recorded


def _asset(row: Any, now: dt.datetime, *, with_details: bool) -> NewAsset:
    poster = (row["details"] or {}).get("poster_key") if with_details else None
    stored = StoredFile(key=row["file_key"], sha256=row["sha256"], size=row["size_bytes"],
                        poster_key=poster if isinstance(poster, str) else None)
    asset = new_asset(
        row["user_id"], row["generation_id"], row["variation"], stored,
        media_type=row["media_type"], width=row["width"], height=row["height"],
        metadata=row["details"] if with_details else None, now=now,
    )
    return storable(asset)


def _record(
    conn: Connection, *, recorder: AssetRecorder, asset: NewAsset, delivery_id: str
) -> int:
    gone = conn.execute(delete(_TABLE).where(_TABLE.c.id == delivery_id)).rowcount
    if gone != 1:  # recorded meanwhile by another sweep
        return 0
    recorder.insert(conn, [asset])
    return 1

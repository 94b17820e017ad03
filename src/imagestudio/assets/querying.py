"""Turn an :class:`AssetQuery` into SQL: owner scope, filters, word search, keyset paging.

Cursors are opaque base64 JSON of ``[sort, order, value, id]`` for the last row shown;
paging by value then id stays stable while rows are added or removed.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select

from imagestudio.assets.schemas import AssetQuery
from imagestudio.db.models import Asset, AssetCollection, AssetTag
from imagestudio.errors import InvalidRequest

_MAX_WORDS = 8


def sort_column(query: AssetQuery) -> ColumnElement[Any]:
    if query.sort == "title":
        return func.coalesce(Asset.title, "")
    column: ColumnElement[Any] = getattr(Asset, query.sort)
    return column


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _search(text: str) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    for word in text.split()[:_MAX_WORDS]:
        pattern = _like(word)
        clauses.append(
            or_(
                func.lower(Asset.prompt).like(pattern, escape="\\"),
                func.lower(Asset.title).like(pattern, escape="\\"),
                exists().where(
                    AssetTag.asset_id == Asset.id, AssetTag.tag.like(pattern, escape="\\")
                ),
            )
        )
    return clauses


# the lineage operations that make a version of the same image (versions.py, studio/edit.py)
EDIT_VERSIONS = ("edit", "revert")


def filters(owner_id: str, query: AssetQuery) -> list[ColumnElement[bool]]:
    """WHERE clauses for ``query``, always scoped to ``owner_id``."""
    clauses: list[ColumnElement[bool]] = [Asset.owner_id == owner_id]
    if query.media is not None:
        clauses.append(Asset.media_type.like(f"{query.media}/%"))
    for column, value in (
        (Asset.platform, query.platform),
        (Asset.template_id, query.template),
        (Asset.provider, query.provider),
        (Asset.model, query.model),
        (Asset.favourite, query.favourite),
    ):
        if value is not None:
            clauses.append(column == value)
    if query.tag is not None:
        clauses.append(exists().where(AssetTag.asset_id == Asset.id, AssetTag.tag == query.tag))
    if query.collection is not None:
        clauses.append(
            exists().where(
                AssetCollection.asset_id == Asset.id,
                AssetCollection.collection_id == query.collection,
            )
        )
    if query.created_after is not None:
        clauses.append(Asset.created_at >= _aware(query.created_after))
    if query.created_before is not None:
        clauses.append(Asset.created_at < _aware(query.created_before))
    if not query.versions:
        clauses.append(or_(Asset.operation.is_(None), Asset.operation.not_in(EDIT_VERSIONS)))
    if query.q:
        clauses.extend(_search(query.q))
    return clauses


def page(owner_id: str, query: AssetQuery) -> Select[Asset]:
    """The SELECT for one page (``limit + 1`` rows, to tell whether another page exists)."""
    column = sort_column(query)
    stmt = select(Asset).where(*filters(owner_id, query))
    if query.cursor:
        value, last_id = decode_cursor(query)
        if query.order == "desc":
            stmt = stmt.where(or_(column < value, and_(column == value, Asset.id < last_id)))
        else:
            stmt = stmt.where(or_(column > value, and_(column == value, Asset.id > last_id)))
    if query.order == "desc":
        stmt = stmt.order_by(column.desc(), Asset.id.desc())
    else:
        stmt = stmt.order_by(column.asc(), Asset.id.asc())
    return stmt.limit(query.limit + 1)


def encode_cursor(query: AssetQuery, asset: Asset) -> str:
    value: Any = getattr(asset, query.sort)
    if query.sort == "title":
        value = value or ""
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    raw = json.dumps([query.sort, query.order, value, asset.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(query: AssetQuery) -> tuple[Any, str]:
    """The (sort value, id) a cursor stands for; InvalidRequest if it is not ours."""
    text = query.cursor or ""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        sort, order, value, last_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidRequest("cursor is not valid", field="cursor") from exc
    if (sort, order) != (query.sort, query.order) or not isinstance(last_id, str):
        raise InvalidRequest("cursor belongs to another sort order", field="cursor")
    if query.sort in ("created_at", "updated_at"):
        try:
            value = _aware(dt.datetime.fromisoformat(value))
        except (TypeError, ValueError) as exc:
            raise InvalidRequest("cursor is not valid", field="cursor") from exc
    elif not isinstance(value, int if query.sort == "size_bytes" else str):
        raise InvalidRequest("cursor is not valid", field="cursor")
    return value, last_id


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)

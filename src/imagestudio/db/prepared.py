"""Hot statements, compiled once and run with the least work per execution.

On SQLite a :class:`Prepared` statement runs straight on the DB-API connection, inside the
SQLAlchemy transaction of :class:`~imagestudio.db.sqlite_writer.SqliteWriter`
(errors come out as SQLAlchemy's): SQLAlchemy's per-execution work (parameter
processing, result wrapping, event dispatch) costs several times more than SQLite's own
execution of a one-row statement. The SQL text and each parameter's bind processor (JSON,
datetimes) come from SQLAlchemy's compiler, so the stored values are exactly the ones
``Connection.execute`` would store. Every other backend runs through ``Connection.execute``.

Inserts name their columns when they are built and every row must supply all of them:
column defaults are not applied.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

Row = tuple[Any, ...]
_Processors = tuple[tuple[str, Callable[[Any], Any]], ...]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    constants: dict[str, Any]
    processors: _Processors

    def bind(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out = {**self.constants, **params}
        for name, processor in self.processors:
            out[name] = processor(out.get(name))
        return out


class Prepared:
    """One statement; ``columns`` names an insert's columns (each row gives them all)."""

    def __init__(self, statement: Executable, columns: Sequence[str] | None = None) -> None:
        if columns is not None:
            table = getattr(statement, "table", None)
            defaulted = [] if table is None else [
                c.name for c in table.columns
                if c.default is not None and c.name not in columns
            ]
            if defaulted:
                raise ValueError(f"insert must list its defaulted columns: {defaulted}")
        self.statement = statement
        self.columns = tuple(columns) if columns is not None else None
        self._compiled: _Compiled | None = None

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Row | None:
        """The first returned row (the statement is run to completion), or None."""
        raw = _driver(conn)
        if raw is None:
            row = conn.execute(self.statement, dict(params)).first()
            return None if row is None else tuple(row)
        compiled = self._for(conn.dialect)
        with _translated(compiled.sql):
            rows = raw.execute(compiled.sql, compiled.bind(params)).fetchall()
        return rows[0] if rows else None

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run once; the number of rows it changed."""
        raw = _driver(conn)
        if raw is None:
            return int(conn.execute(self.statement, dict(params)).rowcount)
        compiled = self._for(conn.dialect)
        with _translated(compiled.sql):
            return int(raw.execute(compiled.sql, compiled.bind(params)).rowcount)

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run once per row (an insert of several rows)."""
        if not rows:
            return
        raw = _driver(conn)
        if raw is None:
            conn.execute(self.statement, [dict(row) for row in rows])
            return
        compiled = self._for(conn.dialect)
        with _translated(compiled.sql):
            raw.executemany(compiled.sql, [compiled.bind(row) for row in rows])

    def _for(self, dialect: Dialect) -> _Compiled:
        if self._compiled is None:
            self._compiled = self._compile(dialect)
        return self._compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        named: Dialect = cast(Any, type(dialect))(paramstyle="named")
        compiled = cast(
            SQLCompiler,
            cast(ClauseElement, self.statement).compile(dialect=named, column_keys=self.columns),
        )
        constants: dict[str, Any] = {}
        processors: list[tuple[str, Callable[[Any], Any]]] = []
        for bind, name in compiled.bind_names.items():
            if not bind.required:
                constants[name] = bind.effective_value
            processor = bind.type.bind_processor(named)
            if processor is not None:
                processors.append((name, processor))
        return _Compiled(compiled.string, constants, tuple(processors))


@contextmanager
def _translated(sql: str) -> Iterator[None]:
    """sqlite3's errors as SQLAlchemy's (IntegrityError, OperationalError, ...), as
    ``Connection.execute`` raises them."""
    try:
        yield
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, None, exc, sqlite3.Error) from exc


def _driver(conn: Connection) -> Any | None:
    """The ``sqlite3`` connection under ``conn``, else None (any other driver)."""
    if conn.dialect.driver != "pysqlite":
        return None
    return conn.connection.driver_connection

"""Jobs on Procrastinate (PostgreSQL only): ``imagestudio worker`` processes run them.

A job is deferred **in the transaction that commits its hold and its job row**
(:func:`defer_in`): it inserts the Procrastinate job through the schema's versioned
``procrastinate_defer_jobs_v1`` function on the same connection, so there is never a
hold without its queue entry nor a queue entry without its job. Procrastinate's insert
trigger notifies listening workers at commit.

A worker runs :meth:`~imagestudio.studio.jobs.JobRunner.run_stored`, the code the
embedded mode runs (no second workflow). A worker killed mid-job stops its heartbeat;
the periodic ``retry_stalled`` task hands its jobs to another worker, which resumes
them with the unit journal (vendor job ids polled, a unit sent without one failed
uncharged, never re-sent).

Periodic tasks (hold sweep, webhook deliveries and retries, blob collection, stalled
jobs, old queue rows, the retention of job events and delivery logs) are Procrastinate
periodic tasks: each tick is deferred once per deployment however many workers run
(``procrastinate_periodic_defers`` is unique per task and tick).

``procrastinate`` is the optional ``queue`` extra: it is imported only here, by the
functions that need it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from imagestudio.studio.jobs import JobRunner
from imagestudio.studio.sweeper import Sweeper
from imagestudio.studio.webhooks import TIMEOUT_S, Webhooks

if TYPE_CHECKING:
    import procrastinate
    import psycopg_pool

log = logging.getLogger("imagestudio.queue")
JOBS_QUEUE = "imagestudio_jobs"
HOUSEKEEPING_QUEUE = "imagestudio_housekeeping"
RUN_TASK = "imagestudio.run_job"
SCHEMA_LOCK = 0x1A_5E_70_B6  # "imagestudio queue schema"
_DEFER = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW("
    "CAST(:queue AS varchar), CAST(:task AS varchar), 0, NULL::text, NULL::text, "
    "CAST(:args AS jsonb), NULL::timestamptz)::procrastinate_job_to_defer_v1])"
)
# Cron with a sixth column for seconds (Procrastinate's extension).
EVERY_5_S = "* * * * * */5"
EVERY_MINUTE = "* * * * *"
EVERY_10_MIN = "*/10 * * * *"
HOURLY = "0 * * * *"
Chore = Callable[[int], Awaitable[None]]


def defer_in(conn: Connection, job_id: str) -> None:
    """Queue the job ``job_id`` in the caller's transaction (a ``JobRunner`` ``defer``)."""
    conn.execute(_DEFER, {"queue": JOBS_QUEUE, "task": RUN_TASK,
                          "args": json.dumps({"job_id": job_id})})


def conninfo(database_url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL."""
    url = make_url(database_url)
    if not url.get_backend_name().startswith("postgresql"):
        raise ValueError("the Procrastinate queue needs PostgreSQL (IMAGESTUDIO_DATABASE_URL)")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def ensure_schema(dsn: str) -> bool:
    """Create Procrastinate's tables unless present (under an advisory lock, so several
    processes starting at once create them once); True when created now."""
    import psycopg
    from procrastinate.schema import SchemaManager

    async with await psycopg.AsyncConnection.connect(dsn) as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        found = await (await conn.execute("SELECT to_regclass('procrastinate_jobs')")).fetchone()
        if found is not None and found[0] is not None:
            return False
        await conn.execute(SchemaManager.get_schema().encode())
    log.warning("created the Procrastinate schema")
    return True


@dataclass(frozen=True)
class Housekeeping:
    """What the periodic tasks run."""

    sweeper: Sweeper
    webhooks: Webhooks
    stalled_s: float


class IdleCheck:
    """A psycopg pool that checks a connection at checkout only when it has idled over
    ``idle_s`` (Procrastinate's default checks at every checkout: one more round trip
    for each of its queries; a connection returned moments ago is alive)."""

    def __init__(self, idle_s: float = 5.0) -> None:
        self._idle_s = idle_s
        self._since: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def pool(self, **options: Any) -> psycopg_pool.AsyncConnectionPool:
        """A ``pool_factory`` for Procrastinate's ``PsycopgConnector``."""
        import psycopg_pool

        return psycopg_pool.AsyncConnectionPool(
            **{**options, "check": self.check, "reset": self.returned})

    async def returned(self, conn: Any) -> None:
        self._since[conn] = time.monotonic()

    async def check(self, conn: Any) -> None:
        import psycopg_pool

        since = self._since.pop(conn, None)
        if since is None or time.monotonic() - since > self._idle_s:
            await psycopg_pool.AsyncConnectionPool.check_connection(conn)


def build_app(dsn: str, runner: JobRunner, chores: Housekeeping,
              client: httpx.AsyncClient) -> procrastinate.App:
    """The Procrastinate app of a worker: the job task and the periodic tasks."""
    from procrastinate import App, PsycopgConnector

    app = App(connector=PsycopgConnector(conninfo=dsn, pool_factory=IdleCheck().pool))

    @app.task(name=RUN_TASK, queue=JOBS_QUEUE)
    async def run_job(job_id: str) -> None:
        if await runner.run_stored(job_id):
            await chores.webhooks.deliver_due(client)  # its end's webhooks, now

    def periodic(cron: str, name: str) -> Callable[[Chore], object]:
        def register(work: Chore) -> object:
            task = app.task(name=f"imagestudio.{name}", queue=HOUSEKEEPING_QUEUE,
                            queueing_lock=f"imagestudio.{name}")(work)
            return app.periodic(cron=cron)(task)
        return register

    @periodic(EVERY_5_S, "retry_stalled")
    async def retry_stalled(timestamp: int) -> None:  # noqa: ARG001 - the tick, passed by name
        stalled = await app.job_manager.get_stalled_jobs(
            task_name=RUN_TASK, seconds_since_heartbeat=chores.stalled_s)
        for job in stalled:
            log.warning("job %s: its worker stopped; handing it to another", job.task_kwargs)
            await app.job_manager.retry_job(job)

    @periodic(EVERY_5_S, "webhooks")
    async def webhooks(timestamp: int) -> None:  # noqa: ARG001 - the tick, passed by name
        await chores.webhooks.deliver_due(client)

    @periodic(EVERY_MINUTE, "sweep")
    async def sweep(timestamp: int) -> None:  # noqa: ARG001 - the tick, passed by name
        await chores.sweeper.sweep()

    @periodic(EVERY_10_MIN, "blob_gc")
    async def blob_gc(timestamp: int) -> None:  # noqa: ARG001 - the tick, passed by name
        if chores.sweeper.blobs is not None:
            await chores.sweeper.blobs.collect()

    @periodic(HOURLY, "retention")
    async def retention(timestamp: int) -> None:  # noqa: ARG001 - the tick, passed by name
        if chores.sweeper.retention is not None:
            await chores.sweeper.retention.prune()

    @periodic(HOURLY, "prune_queue")
    async def prune_queue(timestamp: int) -> None:  # noqa: ARG001 - the tick, passed by name
        await app.job_manager.delete_old_jobs(nb_hours=24, include_failed=True,
                                              include_cancelled=True, include_aborted=True)

    return app


@contextlib.asynccontextmanager
async def webhook_client() -> AsyncIterator[httpx.AsyncClient]:
    """The client webhooks are delivered with (the dispatcher's settings)."""
    async with httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False,
                                 trust_env=False) as client:
        yield client


async def run_worker(app: procrastinate.App, *, concurrency: int, stalled_s: float) -> None:
    """Run a worker on the jobs and housekeeping queues until SIGTERM/SIGINT."""
    async with app.open_async():
        await app.run_worker_async(
            queues=[JOBS_QUEUE, HOUSEKEEPING_QUEUE], concurrency=concurrency,
            update_heartbeat_interval=max(1.0, stalled_s / 4),
            stalled_worker_timeout=stalled_s, shutdown_graceful_timeout=10.0,
        )

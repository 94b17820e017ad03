"""The workflow's money invariant: what a vendor delivered is stored, recorded and
captured; when recording fails, whatever the cause, the capture still happens and the
next sweep gives every stored file its asset row.

Failures are injected in the real database (a trigger refuses the asset insert, on SQLite
and PostgreSQL) and in the real file store (a disk that fills up), never by patching.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from tests.credits.conftest import FLUX, FLUX_MICROS, Studio

from imagestudio.accounts.auth import Principal
from imagestudio.assets.blobs import Blobs
from imagestudio.assets.recorder import AssetRecorder
from imagestudio.assets.store import LocalAssetStore
from imagestudio.db.models import Asset, Delivery, Generation
from imagestudio.db.session import Database
from imagestudio.generation.schemas import CreateRequest
from imagestudio.providers.errors import ProviderBadRequest, ProviderOutcomeUnknown
from imagestudio.studio import job_rows
from imagestudio.studio.contracts import UnitEvent
from imagestudio.studio.workflow import Started, UnrecordedOutcome, Workflow

MARK = "inject-failure"


def _refuse(db: Database, table: str, condition: str) -> Any:
    """DDL for a trigger that makes the database refuse inserts into ``table`` when
    ``condition`` (SQL over NEW) holds."""
    name = f"refuse_{table}"
    if db.engine.dialect.name == "sqlite":
        return [f"CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN {condition} "
                f"BEGIN SELECT RAISE(ABORT, 'injected failure'); END"]
    return [
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF {condition} THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$",
        f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW "
        f"EXECUTE FUNCTION {name}()",
    ]


async def _ddl(db: Database, statements: list[str]) -> None:
    def run(conn: Any) -> None:
        for statement in statements:
            conn.exec_driver_sql(statement)

    await db.write(run)


def _drop(db: Database, table: str) -> list[str]:
    if db.engine.dialect.name == "sqlite":
        return [f"DROP TRIGGER refuse_{table}"]
    return [f"DROP TRIGGER refuse_{table} ON {table}", f"DROP FUNCTION refuse_{table}()"]


def _files(root: Path) -> set[str]:
    return {
        str(path.relative_to(root)) for path in root.rglob("*")
        if path.is_file() and not path.name.startswith(".tmp-")
    }


async def _rows(db: Database, model: Any, **where: Any) -> list[Any]:
    query = select(model).where(*(getattr(model, k) == v for k, v in where.items()))
    async with db.sessions() as session:
        return list(await session.scalars(query))


async def _principal(studio: Studio, name: str) -> Principal:
    user_id, plan = await studio.persistence.credits.admin.user(name)
    return Principal(user_id=user_id, user_name=name, plan=plan, key_id="k")


async def _every_file_has_a_row(studio: Studio) -> None:
    files = _files(studio.persistence.store.root)
    async with studio.persistence.db.engine.connect() as conn:
        keys = set((await conn.execute(select(Asset.file_key))).scalars())
    assert files and files <= keys


async def test_a_failed_recording_still_captures_and_the_sweep_records_the_files(
    studio: Studio,
) -> None:
    db = studio.persistence.db
    ana = await studio.user("ana", plan="pro", credit=10 * FLUX_MICROS)
    # The asset insert fails for this prompt, and so does a delivery row with metadata.
    await _ddl(db, _refuse(db, "assets", f"NEW.prompt LIKE '%{MARK}%'"))
    await _ddl(db, _refuse(db, "deliveries", "NEW.details IS NOT NULL"))

    response = await studio.create({**ana, "Idempotency-Key": "k1"},
                                   prompt=f"{MARK}: a red bicycle", num_variations=3)

    assert response.status_code == 500, response.text
    error = response.json()["error"]
    assert error["code"] == "recording_failed" and "3 images" in error["message"]
    job_id = error["details"]["generation_id"]
    assert len(studio.hf.calls) == 3
    usage = await studio.usage(ana)
    assert usage["balance"]["micros"] == 7 * FLUX_MICROS and usage["held"]["micros"] == 0
    assert usage["quotas"]["image_generation"]["used"] == 3
    captures = [e for e in await studio.ledger(ana) if e["kind"] == "capture"]
    assert len(captures) == 3 and {c["generation_id"] for c in captures} == {job_id}
    (await studio.books()).assert_balanced()
    assert (await studio.books()).open_holds == 0
    (job,) = await _rows(db, Generation, id=job_id)
    assert (job.status, job.num_succeeded, job.cost_micros) == ("succeeded", 3, 3 * FLUX_MICROS)
    assert len(await _rows(db, Delivery, generation_id=job_id)) == 3
    assert await _rows(db, Asset, generation_id=job_id) == []
    retry = await studio.create({**ana, "Idempotency-Key": "k1"},
                                prompt=f"{MARK}: a red bicycle", num_variations=3)
    assert retry.status_code == 409 and "interrupted" in retry.json()["error"]["message"]

    report = await studio.persistence.sweeper.sweep()

    assert report.assets_recovered == 3 and report.holds == 0
    assets = await _rows(db, Asset, generation_id=job_id)
    assert sorted(a.variation for a in assets) == [0, 1, 2]
    assert all(a.owner_id == job.user_id and a.prompt is None for a in assets)
    assert await _rows(db, Delivery) == []
    await _every_file_has_a_row(studio)
    assert (await studio.persistence.sweeper.sweep()).assets_recovered == 0
    (await studio.books()).assert_balanced()


async def test_recorded_by_the_sweep_with_their_metadata_once_the_database_accepts_it(
    studio: Studio,
) -> None:
    db = studio.persistence.db
    ben = await studio.user("ben", plan="pro", credit=10 * FLUX_MICROS)
    await _ddl(db, _refuse(db, "assets", f"NEW.prompt LIKE '%{MARK}%'"))

    response = await studio.create(ben, prompt=f"{MARK}: a blue kite", num_variations=2)
    assert response.status_code == 500
    await _ddl(db, _drop(db, "assets"))
    assert (await studio.persistence.sweeper.sweep()).assets_recovered == 2

    assets = await _rows(db, Asset, generation_id=response.json()["error"]["details"][
        "generation_id"])
    assert [a.prompt for a in assets] == [f"{MARK}: a blue kite"] * 2
    assert {a.model for a in assets} == {FLUX["model"]}
    library = await studio.client.get("/api/image-studio/assets", headers=ben)
    assert len(library.json()["items"]) == 2
    assert (await studio.usage(ben))["balance"]["micros"] == 8 * FLUX_MICROS
    await _every_file_has_a_row(studio)


class FillingDisk(LocalAssetStore):
    """A local store whose disk is full after ``room`` files."""

    def __init__(self, root: Path, room: int) -> None:
        super().__init__(root)
        self.room = room

    async def write(self, key: str, data: bytes) -> None:
        if self.room == 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= 1
        await super().write(key, data)


async def test_a_full_disk_still_captures_every_delivered_image(studio: Studio) -> None:
    persistence = studio.persistence
    cy = await studio.user("cy", plan="pro", credit=10 * FLUX_MICROS)
    store = FillingDisk(persistence.store.root, room=1)
    blobs = Blobs(persistence.db, store, persistence.blobs.clock)
    workflow = Workflow(persistence.credits.service, persistence.credits.reports,
                        AssetRecorder(blobs), store)
    who = await _principal(studio, "cy")
    try:
        await workflow.execute(studio.services.image_generation, who,
                               CreateRequest(prompt="a green tent", num_variations=3, **FLUX))
    except UnrecordedOutcome as exc:
        assert sum(o is not None for o in exc.outcome.outputs) == 3
    else:
        raise AssertionError("expected UnrecordedOutcome")

    usage = await studio.usage(cy)
    assert usage["balance"]["micros"] == 7 * FLUX_MICROS and usage["held"]["micros"] == 0
    assert len(await _rows(persistence.db, Delivery)) == 1  # the one file that was stored
    assert (await persistence.sweeper.sweep()).assets_recovered == 1
    await _every_file_has_a_row(studio)
    (await studio.books()).assert_balanced()


async def test_a_job_worker_starts_then_finishes_and_hears_every_unit(studio: Studio) -> None:
    persistence = studio.persistence
    await studio.user("dee", plan="pro", credit=10 * FLUX_MICROS)
    who = await _principal(studio, "dee")
    module = studio.services.image_generation
    started = await persistence.workflow.start(
        module, who, CreateRequest(prompt="a yellow boat", num_variations=2, **FLUX)
    )
    assert isinstance(started, Started)
    (job,) = await _rows(persistence.db, Generation, id=started.job_id)
    assert job.status == "running"
    events: list[UnitEvent] = []

    outcome = await persistence.workflow.finish(module, started, on_unit=events.append)

    assert outcome.job_id == started.job_id and all(outcome.assets)
    assert sorted((e.index, e.status) for e in events) == [
        (0, "started"), (0, "succeeded"), (1, "started"), (1, "succeeded"),
    ]
    async with persistence.db.engine.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(Asset))
    assert count == 2


async def test_text_the_database_refuses_never_loses_a_paid_image(studio: Studio) -> None:
    """Issue 11's case: PostgreSQL refuses NUL in text columns (SQLite stores it). The
    boundary refuses such prompts; this is the workflow's own guarantee underneath."""
    eve = await studio.user("eve", plan="pro", credit=10 * FLUX_MICROS)
    who = await _principal(studio, "eve")
    request = CreateRequest.model_construct(  # as if it got past the boundary
        **{**CreateRequest(prompt="x", num_variations=2, **FLUX).model_dump(),
           "prompt": "run \x00 x"},
    )
    refused = False
    try:
        await studio.persistence.workflow.execute(studio.services.image_generation, who,
                                                  request)
    except UnrecordedOutcome:
        refused = True
    assert refused == (studio.persistence.db.engine.dialect.name == "postgresql")
    await studio.persistence.sweeper.sweep()

    assert (await studio.usage(eve))["balance"]["micros"] == 8 * FLUX_MICROS
    await _every_file_has_a_row(studio)
    (await studio.books()).assert_balanced()


async def test_a_unit_whose_outcome_is_unknown_is_booked_as_vendor_loss_not_charged(
    studio: Studio,
) -> None:
    """Every create journals its paid sends: a unit sent whose answer never came (the
    vendor may have billed it) costs the user nothing and is the house's ``vendor_loss``;
    a unit the vendor answered with an error is neither."""
    di = await studio.user("di", plan="pro", credit=10 * FLUX_MICROS)
    studio.hf.script(
        None,
        ProviderOutcomeUnknown("no answer in time after the request was sent",
                               provider="huggingface"),
        ProviderBadRequest("refused", provider="huggingface"),
    )
    response = await studio.create(di, num_variations=3)
    assert response.status_code == 200, response.text
    generation_id = response.json()["generation_id"]

    ledger = [e for e in await studio.ledger(di) if e["generation_id"] == generation_id]
    kinds = {e["kind"]: e for e in ledger}
    assert sorted(kinds) == ["capture", "hold", "release", "vendor_loss"]
    assert kinds["vendor_loss"]["quantity"] == 1 and kinds["release"]["quantity"] == 1
    assert kinds["vendor_loss"]["held"]["micros"] == -FLUX_MICROS
    usage = await studio.usage(di)
    assert usage["balance"]["micros"] == 9 * FLUX_MICROS and usage["held"]["micros"] == 0
    async with studio.persistence.db.engine.connect() as conn:
        sent = await conn.run_sync(lambda c: job_rows.sent_units(c, generation_id))
    assert sorted(sent) == [0, 1]  # unit 2's mark was cleared by the vendor's error answer
    (await studio.books()).assert_balanced()

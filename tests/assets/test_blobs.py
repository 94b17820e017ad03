"""Blob lifetime: no request deletes a file; the collector removes what no row has used for
the grace period, re-checking under a lock so that a concurrent claim wins."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import time

from PIL import Image
from sqlalchemy import select
from tests.credits.conftest import Studio
from typer.testing import CliRunner

from imagestudio.assets.blobs import BlobCollector, GcReport
from imagestudio.cli import assets as assets_cli
from imagestudio.db.models import Asset, Blob

GRACE_S = 3600.0
ROUNDS = 200


def _png(n: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (n % 256, n // 256 % 256, 77)).save(buffer, format="PNG")
    return buffer.getvalue()


def _collector(studio: Studio) -> BlobCollector:
    return BlobCollector(studio.persistence.blobs, grace_s=GRACE_S)


async def _user_ids(studio: Studio, *names: str) -> list[str]:
    ids = []
    for name in names:
        created = await studio.persistence.accounts.create_user(name, plan="pro")
        ids.append(created.user.id)
    return ids


async def _blob_keys(studio: Studio) -> set[str]:
    async with studio.persistence.db.engine.connect() as conn:
        return set((await conn.execute(select(Blob.key))).scalars())


async def _assert_every_row_has_its_file(studio: Studio) -> int:
    async with studio.persistence.db.engine.connect() as conn:
        keys = list((await conn.execute(select(Asset.file_key))).scalars())
    store = studio.persistence.store
    missing = [key for key in keys if not await store.exists(key)]
    assert not missing, f"{len(missing)} asset row(s) without a file"
    return len(keys)


async def _upload(studio: Studio, user_id: str, data: bytes) -> Asset:
    return await studio.persistence.library.upload(user_id, data, title=None, tags=[],
                                                   max_bytes=10**6, max_pixels=10**6)


async def test_deletes_racing_uploads_of_the_same_bytes_across_users_keep_every_file(
    studio: Studio,
) -> None:
    """Issue 11 defect 2: A deletes its asset while B uploads the same bytes (ten races at
    a time, with the collector running too); on the old code about one race in ten left
    B's row without its file."""
    library, collector = studio.persistence.library, _collector(studio)
    alice, bob = await _user_ids(studio, "alice", "bob")

    async def race(n: int) -> Asset:
        theirs, _ = await asyncio.gather(_upload(studio, bob, _png(n)),
                                         library.delete(alice, mine[n].id))
        return theirs

    for batch in range(0, ROUNDS, 10):
        mine = {n: await _upload(studio, alice, _png(n)) for n in range(batch, batch + 10)}
        studio.clock.advance(seconds=GRACE_S + 1)
        *theirs, _ = await asyncio.gather(*(race(n) for n in mine), collector.collect())
        for asset in theirs:
            assert await studio.persistence.store.exists(asset.file_key)
    assert await _assert_every_row_has_its_file(studio) == ROUNDS
    studio.clock.advance(seconds=GRACE_S + 1)
    assert (await collector.collect()).removed == 0  # every blob is still bob's
    assert await _assert_every_row_has_its_file(studio) == ROUNDS


async def test_the_collector_racing_new_claims_of_expired_blobs_keeps_every_file(
    studio: Studio,
) -> None:
    """Blobs unreferenced for longer than the grace period, uploaded again while the
    collector removes them: each upload either wins the re-check or writes anew."""
    collector = _collector(studio)
    alice, bob = await _user_ids(studio, "alice", "bob")
    removed = 0
    for batch in range(0, ROUNDS // 2, 10):
        for n in range(batch, batch + 10):
            await studio.persistence.library.delete(alice, (await _upload(studio, alice,
                                                                          _png(n))).id)
        studio.clock.advance(seconds=GRACE_S + 1)
        *_, report = await asyncio.gather(
            *(_upload(studio, bob, _png(n)) for n in range(batch, batch + 10)),
            collector.collect(),
        )
        removed += report.removed
        assert await _assert_every_row_has_its_file(studio) == batch + 10
    assert removed <= ROUNDS // 2


async def test_the_collector_honours_the_grace_period(studio: Studio) -> None:
    persistence, collector = studio.persistence, _collector(studio)
    (alice,) = await _user_ids(studio, "alice")
    orphan = await persistence.blobs.put(_png(1), extension="png")  # claimed, never recorded
    kept = await _upload(studio, alice, _png(2))
    gone = await _upload(studio, alice, _png(3))
    studio.clock.advance(seconds=GRACE_S / 2)
    await persistence.library.delete(alice, gone.id)
    assert await persistence.store.exists(gone.file_key)  # no request deletes a file

    studio.clock.advance(seconds=GRACE_S / 2 - 1)
    assert await collector.collect() == GcReport()
    studio.clock.advance(seconds=2)  # the orphan's claim has expired; the delete's has not
    assert await collector.collect() == GcReport(removed=1)
    assert not await persistence.store.exists(orphan.key)
    assert await persistence.store.exists(gone.file_key)
    studio.clock.advance(seconds=GRACE_S / 2)
    assert await collector.collect() == GcReport(removed=1)
    assert not await persistence.store.exists(gone.file_key)
    assert await _blob_keys(studio) == {kept.file_key}  # referenced: never collected
    studio.clock.advance(days=400)
    assert await collector.collect() == GcReport()
    assert await _assert_every_row_has_its_file(studio) == 1


async def test_a_claim_between_the_scan_and_the_removal_wins(studio: Studio) -> None:
    persistence, collector = studio.persistence, _collector(studio)
    (bob,) = await _user_ids(studio, "bob")
    old = await persistence.blobs.put(_png(5), extension="png")
    studio.clock.advance(seconds=GRACE_S + 1)
    cutoff = studio.clock() - dt.timedelta(seconds=GRACE_S)
    assert await collector.candidates(cutoff) == [old.key]

    theirs = await _upload(studio, bob, _png(5))
    assert await collector.remove(old.key, cutoff) is None  # the re-check saw the claim
    assert await persistence.store.exists(theirs.file_key)
    assert await _blob_keys(studio) == {theirs.file_key}


async def test_a_claim_after_a_removal_writes_the_file_anew(studio: Studio) -> None:
    persistence, collector = studio.persistence, _collector(studio)
    (bob,) = await _user_ids(studio, "bob")
    old = await persistence.blobs.put(_png(6), extension="png")
    studio.clock.advance(seconds=GRACE_S + 1)
    cutoff = studio.clock() - dt.timedelta(seconds=GRACE_S)
    assert await collector.remove(old.key, cutoff) is True
    assert not await persistence.store.exists(old.key)
    theirs = await _upload(studio, bob, _png(6))
    assert theirs.file_key == old.key and await persistence.store.exists(old.key)
    assert await collector.remove(old.key, cutoff) is None


async def test_scan_adopts_files_without_a_blob_row(studio: Studio) -> None:
    persistence, collector = studio.persistence, _collector(studio)
    stray = await persistence.store.put(_png(7), extension="png")  # no claim: an old build
    assert await collector.collect() == GcReport()
    assert await collector.collect(scan=True) == GcReport(adopted=1)
    assert await persistence.store.exists(stray.key)
    studio.clock.advance(seconds=GRACE_S + 1)
    assert await collector.collect(scan=True) == GcReport(removed=1)
    assert not await persistence.store.exists(stray.key)


async def test_the_collector_removes_what_killed_writes_left(studio: Studio) -> None:
    import os

    folder = studio.persistence.store.root / "ab"
    folder.mkdir(parents=True)
    (folder / ".tmp-0123456789abcdef").write_bytes(b"half a file")
    (folder / ".tmp-fedcba9876543210").write_bytes(b"a write in flight")
    an_hour_ago = time.time() - 3601
    os.utime(folder / ".tmp-0123456789abcdef", (an_hour_ago, an_hour_ago))
    assert await _collector(studio).collect() == GcReport(partial=1)
    assert [p.name for p in folder.iterdir()] == [".tmp-fedcba9876543210"]


def test_the_gc_command_removes_unused_files(cli_with: object, tmp_path: object) -> None:
    from pathlib import Path

    from imagestudio.assets.store import LocalAssetStore

    app = cli_with(assets_cli)  # type: ignore[operator]
    data = Path(str(tmp_path)) / "data"
    first = CliRunner().invoke(app, ["assets", "gc", "--json"])
    assert first.exit_code == 0, first.output
    stray = asyncio.run(LocalAssetStore(data / "assets").put(_png(8), extension="png"))
    adopted = CliRunner().invoke(app, ["assets", "gc", "--scan"])
    assert adopted.exit_code == 0 and "1 adopted" in adopted.output
    assert (data / "assets" / stray.key).exists()
    removed = CliRunner().invoke(app, ["assets", "gc", "--grace", "0"])
    assert removed.exit_code == 0 and "removed 1 unused file(s)" in removed.output
    assert not (data / "assets" / stray.key).exists()


async def test_serve_collects_periodically_in_the_sweepers_loop(studio: Studio) -> None:
    from imagestudio.assets.recorder import AssetRecorder
    from imagestudio.studio.sweeper import Sweeper

    persistence = studio.persistence
    orphan = await persistence.blobs.put(_png(9), extension="png")
    collector = BlobCollector(persistence.blobs, grace_s=GRACE_S, interval_s=0.05)
    sweeper = Sweeper(persistence.credits.service, AssetRecorder(persistence.blobs),
                      interval_s=3600, blobs=collector)
    async with sweeper.running():
        await asyncio.sleep(0.3)
        assert await persistence.store.exists(orphan.key)  # within the grace (clock)
        studio.clock.advance(seconds=GRACE_S + 1)
        for _ in range(100):
            if not await persistence.store.exists(orphan.key):
                break
            await asyncio.sleep(0.05)
    assert not await persistence.store.exists(orphan.key)
    assert await _blob_keys(studio) == set()

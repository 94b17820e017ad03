import hashlib
from pathlib import Path

import pytest

from imagestudio.assets.store import LocalAssetStore, check_key, key_for
from imagestudio.errors import InvalidRequest

SHA = hashlib.sha256(b"x").hexdigest()


async def test_put_is_content_addressed_and_idempotent(tmp_path: Path) -> None:
    store = LocalAssetStore(tmp_path)
    first = await store.put(b"png bytes", extension="png")
    second = await store.put(b"png bytes", extension="png")
    sha = hashlib.sha256(b"png bytes").hexdigest()
    assert first == second
    assert first.key == f"{sha[:2]}/{sha}.png" and first.size == 9
    assert store.path(first.key).read_bytes() == b"png bytes"
    assert await store.read(first.key) == b"png bytes"
    assert not [p for p in tmp_path.rglob(".tmp-*")]


async def test_delete_removes_the_file_once(tmp_path: Path) -> None:
    store = LocalAssetStore(tmp_path)
    stored = await store.put(b"abc", extension="webp")
    assert await store.exists(stored.key)
    assert await store.delete(stored.key) is True
    assert await store.delete(stored.key) is False
    assert not await store.exists(stored.key)


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "/etc/passwd",
        f"{SHA[:2]}/{SHA[2:4]}/../../../{SHA}.png",
        f"{SHA[:2]}/{SHA[2:4]}/{SHA}.png/../../x",
        f"ff/ff/{SHA}.png",
        f"ff/{SHA}.png",
        f"{SHA[:2]}/../{SHA}.png",
        f"{SHA[:2]}/{SHA[2:4]}/x/{SHA}.png",
        f"{SHA[:2]}/{SHA[2:4]}/{SHA.upper()}.png",
        f"{SHA[:2]}/{SHA[2:4]}/{SHA}.exe",
        f"{SHA[:2]}\\{SHA[2:4]}\\{SHA}.png",
        f"{SHA[:2]}/{SHA[2:4]}/{SHA}.png\x00.txt",
        "",
    ],
)
async def test_malformed_and_traversal_keys_are_rejected(tmp_path: Path, key: str) -> None:
    store = LocalAssetStore(tmp_path / "assets")
    with pytest.raises(InvalidRequest):
        store.path(key)
    with pytest.raises(InvalidRequest):
        await store.delete(key)
    with pytest.raises(InvalidRequest):
        await store.exists(key)


async def test_unknown_extension_is_rejected_before_writing(tmp_path: Path) -> None:
    store = LocalAssetStore(tmp_path)
    with pytest.raises(InvalidRequest):
        await store.put(b"x", extension="../png")
    assert not list(tmp_path.iterdir())


def test_key_for_round_trips() -> None:
    assert check_key(key_for(SHA, "jpg")) == f"{SHA[:2]}/{SHA}.jpg"


async def test_keys_of_the_earlier_two_level_layout_still_resolve(tmp_path: Path) -> None:
    store = LocalAssetStore(tmp_path)
    legacy = f"{SHA[:2]}/{SHA[2:4]}/{SHA}.png"
    store.path(legacy).parent.mkdir(parents=True)
    store.path(legacy).write_bytes(b"old")
    assert await store.exists(legacy) and await store.read(legacy) == b"old"

import io
import zipfile
from pathlib import Path

from imagestudio.assets.zipstream import entry_name, zip_chunks


def test_stream_is_a_valid_zip_with_each_file(tmp_path: Path) -> None:
    files = []
    for i in range(3):
        path = tmp_path / f"f{i}.png"
        path.write_bytes(bytes([i]) * (100_000 + i))
        files.append((entry_name(i + 1, f"Cozy café #{i}", f"{i:032x}", "png"), path))
    chunks = list(zip_chunks(files))
    assert len(chunks) > 3
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    assert archive.namelist() == [name for name, _ in files]
    for name, path in files:
        assert archive.read(name) == path.read_bytes()


def test_entry_names_are_flat_and_safe() -> None:
    name = entry_name(7, "../../etc/passwd ☕", "abcdef0123456789", "jpg")
    assert name == "007-etc-passwd-abcdef01.jpg"
    assert entry_name(1, None, "ff" * 16, "png") == "001-image-ffffffff.png"

"""Every file the page needs ships in the package (a wheel install serves the UI too)."""

import tomllib
from pathlib import Path, PurePosixPath

import imagestudio

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(imagestudio.__file__).parent


def test_every_static_file_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["imagestudio"]
    files = [
        PurePosixPath(p.relative_to(PACKAGE).as_posix())
        for p in (PACKAGE / "web" / "static").rglob("*") if p.is_file()
    ]
    assert files
    missing = [str(f) for f in files if not any(f.match(pattern) for pattern in patterns)]
    assert missing == []

"""A server that has not rendered or resized anything has not loaded NumPy or the
resampler (11+ MiB of its resident memory budget)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CODE = """
import sys
from imagestudio.api.app import create_app
from imagestudio.container import build_services
from imagestudio.settings import Settings
build_services(Settings(), instant_provider=True)
create_app()
print(sorted(m for m in ("numpy", "cykooz_resizer", "alembic", "pyvips", "av") if m in sys.modules))
"""


def test_building_the_server_loads_no_imaging_or_migration_libraries(tmp_path: Path) -> None:
    env = {"IMAGESTUDIO_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"

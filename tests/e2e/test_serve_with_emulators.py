"""``imagestudio serve`` pointed at the five vendor emulators, each a real loopback server.

Every process is the installed CLI (``imagestudio emulate`` and ``imagestudio serve``); the
studio reaches the emulators only through the base URLs and keys in its environment, the
way an operator would configure it. Template sizes no vendor produces natively must come
out with the exact template pixels.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from tests.web.harness import free_port, stop, studio_env, wait_healthy

from imagestudio.catalog import load_catalog
from imagestudio.vendors import VENDOR_IDS

CATALOG = load_catalog()
TEMPLATES = ("linkedin_cover", "pinterest_pin", "instagram_feed_landscape")


def _start_emulator(name: str, log: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """Run ``imagestudio emulate NAME --port 0``; the env lines it prints point at it."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "imagestudio", "emulate", name, "--port", "0"],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        exports = dict(
            line.strip().removeprefix("export ").split("=", 1)
            for line in log.read_text().splitlines()
            if line.strip().startswith("export ")
        )
        if len(exports) == 2:
            return process, exports
        time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"emulator {name} printed no settings: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, API key) of a studio whose every vendor is an emulator process."""
    data_dir = tmp_path_factory.mktemp("e2e")
    emulators = [_start_emulator(name, data_dir / f"{name}.log") for name in VENDOR_IDS]
    env = studio_env(data_dir)
    for _, exports in emulators:
        env.update(exports)
    env["IMAGESTUDIO_ALLOW_PROVIDER_REQUESTS"] = "true"
    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "imagestudio", *args],
            cwd=data_dir, env=env, capture_output=True, text=True, check=True,
        )
        return done.stdout

    key = json.loads(cli("users", "create", "ops", "--plan", "enterprise", "--json"))["key"]
    cli("credits", "grant", "ops", "25")
    port = free_port()
    log = data_dir / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "imagestudio", "serve", "--port", str(port), "--no-access-log"],
            cwd=data_dir, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, server, log)
        yield base_url, str(key)
    finally:
        stop(server)
        for process, _ in emulators:
            stop(process)


@pytest.mark.parametrize("vendor", VENDOR_IDS)
@pytest.mark.parametrize("template_id", TEMPLATES)
def test_every_vendor_serves_exact_template_pixels(
    studio: tuple[str, str], vendor: str, template_id: str
) -> None:
    base_url, key = studio
    template = CATALOG.templates[template_id]

    response = httpx.post(
        f"{base_url}/api/image-studio/create",
        headers={"Authorization": f"Bearer {key}"},
        json={"prompt": "Spring sale on running shoes", "template_id": template_id,
              "provider": vendor, "seed": 11},
        timeout=60,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    variation = body["variations"][0]
    assert variation["status"] == "succeeded" and variation["provider"] == vendor
    generated = (body["generation"]["width"], body["generation"]["height"])
    assert generated != (template.width, template.height), "expected a native size to be cropped"
    download = httpx.get(variation["url"], timeout=30)
    assert download.status_code == 200
    with Image.open(io.BytesIO(download.content)) as image:
        assert image.size == (template.width, template.height)


def test_every_emulated_vendor_is_listed_as_available(studio: tuple[str, str]) -> None:
    base_url, key = studio

    response = httpx.get(
        f"{base_url}/api/image-studio/providers", headers={"Authorization": f"Bearer {key}"}
    )

    assert response.status_code == 200
    available = {p["id"] for p in response.json()["providers"] if p["available"]}
    assert available >= {*VENDOR_IDS, "local"}


SEED_EXAMPLES = [
    ("POST", "/api/image-studio/create", {
        "prompt": "Modern coffee shop interior, cozy atmosphere",
        "template_id": "instagram_feed_square", "quality": "premium"}),
    ("POST", "/api/image-studio/create", {
        "prompt": "Product photography of smartphone", "provider": "wavespeed",
        "model": "ideogram-v3-turbo", "width": 1080, "height": 1080,
        "style_preset": "photographic", "quality": "premium", "num_variations": 3}),
    ("GET", "/api/image-studio/templates?platform=instagram", None),
    ("GET", "/api/image-studio/templates/search?query=product", None),
    ("GET", "/api/image-studio/templates/recommend?use_case=product+showcase&platform=instagram",
     None),
    ("POST", "/api/image-studio/estimate-cost", {
        "provider": "wavespeed", "model": "ideogram-v3-turbo", "operation": "generate",
        "num_images": 5, "width": 1080, "height": 1080}),
]


@pytest.mark.parametrize(("method", "path", "body"), SEED_EXAMPLES)
def test_the_seed_curl_examples_work_as_written(
    studio: tuple[str, str], method: str, path: str, body: dict[str, object] | None
) -> None:
    base_url, key = studio

    response = httpx.request(
        method, base_url + path, json=body, headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    if path.endswith("/create"):
        assert body is not None
        assert answer["num_succeeded"] == body.get("num_variations", 1)
    elif path.endswith("/estimate-cost"):
        assert answer["num_images"] == 5 and answer["total"]["micros"] > 0
    else:
        assert answer["templates"], answer

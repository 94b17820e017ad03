"""Local single-user mode: offered only when ``serve --single-user`` enables it, and only
to loopback clients naming a loopback host; never a silent bypass."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.web.harness import Studio, require_browser, running_studio

require_browser()

from playwright.sync_api import expect  # noqa: E402
from tests.web.conftest import OpenPage  # noqa: E402
from tests.web.flows import generate  # noqa: E402

pytestmark = pytest.mark.browser
LOCAL_SESSION = "/api/image-studio/ui/local-session"
CONFIG = "/api/image-studio/ui/config"


@pytest.fixture(scope="module")
def local_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    with running_studio(tmp_path_factory.mktemp("single-user"), "--single-user") as running:
        yield running


def test_continue_as_local_user(local_studio: Studio, open_page: OpenPage) -> None:
    page, _ = open_page()
    page.goto(local_studio.base_url + "/")
    notice = page.locator(".notice-warn")
    expect(notice).to_contain_text("Single-user mode is on.")
    page.get_by_role("button", name="Continue as local user").click()
    expect(page.get_by_text("Single-user mode", exact=True)).to_be_visible()
    expect(page.locator("#account")).to_contain_text("Signed in as local user")
    page.get_by_label("Prompt", exact=True).fill("Local mode smoke test")
    generate(page, 1)

    page.reload()
    expect(page.get_by_role("heading", name="Create Studio")).to_be_visible()
    expect(page.get_by_text("Single-user mode", exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()


def test_not_offered_unless_serve_enables_it(studio: Studio, open_page: OpenPage) -> None:
    page, _ = open_page()
    page.goto(studio.base_url + "/")
    expect(page.get_by_label("API key")).to_be_visible()
    expect(page.get_by_role("button", name="Continue as local user")).to_have_count(0)
    assert httpx.get(studio.base_url + CONFIG).json()["single_user"] is False
    refused = httpx.post(studio.base_url + LOCAL_SESSION, json={})
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"


def test_refused_for_another_host_name(local_studio: Studio) -> None:
    foreign = {"Host": "studio.example.com"}
    assert httpx.get(local_studio.base_url + CONFIG, headers=foreign).json()["single_user"] is False
    assert httpx.post(local_studio.base_url + LOCAL_SESSION, json={}, headers=foreign
                      ).status_code == 404
    form = httpx.post(local_studio.base_url + LOCAL_SESSION, data={"x": "1"})
    assert form.status_code == 404

    granted = httpx.post(local_studio.base_url + LOCAL_SESSION, json={})
    assert granted.status_code == 200
    key = granted.json()["key"]
    session = httpx.get(local_studio.base_url + "/api/image-studio/ui/session",
                        headers={"Authorization": f"Bearer {key}"})
    assert session.json()["user"]["name"] == "local"
    assert session.json()["local"] is True

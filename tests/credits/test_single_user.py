from typing import Any

import httpx
from tests.credits.conftest import Studio


async def test_the_local_user_of_single_user_mode_gets_the_configured_plan(
    studio_factory: Any,
) -> None:
    studio: Studio = await studio_factory(single_user=True)
    transport = httpx.ASGITransport(app=studio.app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as local:
        session = await local.post("/api/image-studio/ui/local-session", json={})
        assert session.status_code == 200, session.text
        headers = {"Authorization": f"Bearer {session.json()['key']}"}
        usage = (await local.get("/api/image-studio/usage", headers=headers)).json()
    assert usage["plan"]["id"] == "enterprise"
    assert usage["quotas"]["image_generation"]["limit"] is None

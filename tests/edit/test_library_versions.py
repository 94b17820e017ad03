"""``GET /assets?versions=false``: the library without edit versions (made by an edit or
a revert); the originals stay, each with its history."""

from __future__ import annotations

from tests.edit.conftest import EditApi, png


async def _ids(api: EditApi, query: str) -> set[str]:
    response = await api.client.get(f"/api/image-studio/assets?limit=100{query}",
                                    headers=api.headers)
    assert response.status_code == 200, response.text
    return {a["id"] for a in response.json()["items"]}


async def test_edit_versions_are_listed_or_hidden(edit_api: EditApi) -> None:
    original = await edit_api.upload(png(120, 80))
    other = await edit_api.upload(png(60, 60))
    edited = await edit_api.client.post("/api/image-studio/edit", headers=edit_api.headers,
                                        json={"asset_id": original, "op": "rotate",
                                              "degrees": 90})
    version = edited.json()["asset_id"]
    reverted = await edit_api.client.post(f"/api/image-studio/assets/{version}/revert",
                                          headers=edit_api.headers, json={"to": original})
    assert reverted.status_code == 201, reverted.text
    restored = reverted.json()["id"]
    assert await _ids(edit_api, "") == {original, other, version, restored}
    assert await _ids(edit_api, "&versions=true") == {original, other, version, restored}
    assert await _ids(edit_api, "&versions=false") == {original, other}
    bad = await edit_api.client.get("/api/image-studio/assets?versions=maybe",
                                    headers=edit_api.headers)
    assert bad.status_code == 422

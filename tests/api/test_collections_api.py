from tests.api.conftest import Api

C = "/api/image-studio/collections"


async def test_collections_crud_and_membership(api: Api) -> None:
    created = await api.client.post(
        C, json={"name": "Summer", "description": "ads"}, headers=api.alice
    )
    assert created.status_code == 201
    cid = created.json()["id"]
    duplicate = await api.client.post(C, json={"name": "Summer"}, headers=api.alice)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "conflict"
    assert (await api.client.post(C, json={"name": "Summer"}, headers=api.bob)).status_code == 201

    assets = [(await api.create(api.alice))["variations"][0]["asset_id"] for _ in range(2)]  # type: ignore[index]
    added = await api.client.post(
        f"{C}/{cid}/assets", json={"asset_ids": assets * 2}, headers=api.alice
    )
    assert added.status_code == 200 and added.json()["asset_count"] == 2
    again = await api.client.post(
        f"{C}/{cid}/assets", json={"asset_ids": assets[:1]}, headers=api.alice
    )
    assert again.json()["asset_count"] == 2

    members = await api.client.get(
        "/api/image-studio/assets", params={"collection": cid}, headers=api.alice
    )
    assert {a["id"] for a in members.json()["items"]} == set(assets)

    renamed = await api.client.patch(f"{C}/{cid}", json={"name": "Summer 2026"}, headers=api.alice)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Summer 2026"
    listing = await api.client.get(C, headers=api.alice)
    assert [(c["name"], c["asset_count"]) for c in listing.json()["items"]] == [("Summer 2026", 2)]

    removed = await api.client.delete(f"{C}/{cid}/assets/{assets[0]}", headers=api.alice)
    assert removed.status_code == 204
    missing = await api.client.delete(f"{C}/{cid}/assets/{assets[0]}", headers=api.alice)
    assert missing.status_code == 404

    for method in ("get", "delete", "patch"):
        kwargs = {"json": {"name": "x"}} if method == "patch" else {}
        response = await api.client.request(method.upper(), f"{C}/{cid}", headers=api.bob, **kwargs)
        assert response.status_code == 404

    assert (await api.client.delete(f"{C}/{cid}", headers=api.alice)).status_code == 204
    assert (await api.client.get(f"{C}/{cid}", headers=api.alice)).status_code == 404
    kept = await api.client.get(f"/api/image-studio/assets/{assets[1]}", headers=api.alice)
    assert kept.status_code == 200

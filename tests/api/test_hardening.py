"""Issue 11's API defects, each reproduced as it was reported (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from tests.api.conftest import Api


def _error(response_json: object) -> dict[str, object]:
    assert isinstance(response_json, dict)
    error = response_json["error"]
    assert isinstance(error, dict)
    return error


@pytest.mark.parametrize("signature", ["%C3%A9AAAAAAAAA", "%E2%82%AC" * 8, "AAAAAAA%00A"])
async def test_a_non_ascii_signature_is_a_403_not_a_500(api: Api, signature: str) -> None:
    response = await api.client.get(
        f"/api/image-studio/files/abc.png?expires=38&signature={signature}"
    )
    assert response.status_code == 403, response.text
    assert _error(response.json())["code"] == "forbidden"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/image-studio/ledger?before=9223372036854775808", "before"),
        ("/api/image-studio/ledger?limit=99999999999999999999", "limit"),
        ("/api/image-studio/files/abc.png?expires=9223372036854775808&signature=AAAAAAAAAA",
         "expires"),
        ("/api/image-studio/assets?limit=9223372036854775808", "limit"),
    ],
)
async def test_every_integer_query_parameter_is_bounded(api: Api, path: str, field: str) -> None:
    response = await api.client.get(path, headers=api.alice)
    assert response.status_code == 422, response.text
    assert _error(response.json())["details"]["field"] == field  # type: ignore[index]

"""``Idempotency-Key``: retries return the first result and never hold or charge twice."""

import asyncio
import base64
from collections import Counter
from typing import Any

from tests.credits.conftest import FLUX_MICROS, Studio

from imagestudio.providers.errors import ProviderUnavailable


def _keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def _holds(studio: Studio, headers: dict[str, str]) -> int:
    return sum(e["kind"] == "hold" for e in await studio.ledger(headers))


async def test_a_retry_returns_the_first_result_and_charges_once(studio: Studio) -> None:
    olga = await studio.user("olga", plan="pro", credit=10 * FLUX_MICROS)
    first = await studio.create(_keyed(olga, "order-1"), num_variations=2,
                                response_format="b64_json")
    assert first.status_code == 200, first.text
    retry = await studio.create(_keyed(olga, "order-1"), num_variations=2,
                                response_format="b64_json")
    assert retry.status_code == 200
    a, b = first.json(), retry.json()
    assert b["generation_id"] == a["generation_id"]
    assert [v["asset_id"] for v in b["variations"]] == [v["asset_id"] for v in a["variations"]]
    assert [v["b64_json"] for v in b["variations"]] == [v["b64_json"] for v in a["variations"]]
    assert base64.b64decode(b["variations"][0]["b64_json"]).startswith(b"\x89PNG")
    assert len(studio.hf.calls) == 2
    assert await _holds(studio, olga) == 1
    assert (await studio.usage(olga))["balance"]["micros"] == 8 * FLUX_MICROS


async def test_the_same_key_with_another_body_or_endpoint_is_409(studio: Studio) -> None:
    pia = await studio.user("pia", plan="pro", credit=10 * FLUX_MICROS)
    assert (await studio.create(_keyed(pia, "k"))).status_code == 200
    other = await studio.create(_keyed(pia, "k"), prompt="a blue bicycle")
    assert other.status_code == 409
    assert other.json()["error"]["details"]["field"] == "Idempotency-Key"
    openai = await studio.client.post(
        "/v1/images/generations", headers=_keyed(pia, "k"),
        json={"prompt": "a red bicycle", "model": "huggingface/flux-schnell", "size": "256x256"},
    )
    assert openai.status_code == 409
    assert await _holds(studio, pia) == 1


async def test_concurrent_retries_hold_once(studio: Studio) -> None:
    studio.hf.delay_s = 0.05
    quinn = await studio.user("quinn", plan="pro", credit=10 * FLUX_MICROS)
    responses = await asyncio.gather(*(studio.create(_keyed(quinn, "same")) for _ in range(10)))
    statuses = Counter(r.status_code for r in responses)
    assert statuses[200] >= 1 and statuses[200] + statuses[409] == 10
    ids = {r.json()["generation_id"] for r in responses if r.status_code == 200}
    assert len(ids) == 1
    assert len(studio.hf.calls) == 1 and await _holds(studio, quinn) == 1
    assert (await studio.usage(quinn))["balance"]["micros"] == 9 * FLUX_MICROS
    later = await studio.create(_keyed(quinn, "same"))
    assert later.status_code == 200 and later.json()["generation_id"] in ids


async def test_a_failed_first_attempt_is_replayed_not_rerun(studio: Studio) -> None:
    rita = await studio.user("rita", plan="pro", credit=FLUX_MICROS)
    studio.hf.script(ProviderUnavailable("down", provider="huggingface"))
    first = await studio.create(_keyed(rita, "f"))
    retry = await studio.create(_keyed(rita, "f"))
    assert first.status_code == retry.status_code == 502
    assert first.json() == retry.json()
    assert len(studio.hf.calls) == 1


async def test_a_refused_request_does_not_use_up_its_key(studio: Studio) -> None:
    sam = await studio.user("sam", plan="pro")
    assert (await studio.create(_keyed(sam, "topup"))).status_code == 402
    await studio.persistence.credits.admin.grant("sam", FLUX_MICROS)
    assert (await studio.create(_keyed(sam, "topup"))).status_code == 200


async def test_bad_keys_are_422_naming_the_header(studio: Studio) -> None:
    tom = await studio.user("tom", plan="pro", credit=FLUX_MICROS)
    for key in ("has space", "x" * 256):
        response = await studio.create(_keyed(tom, key))
        assert response.status_code == 422, key
        assert response.json()["error"]["details"]["field"] == "Idempotency-Key"
    assert not studio.hf.calls


async def test_completed_keys_expire_after_their_time_to_live(studio_factory: Any) -> None:
    studio: Studio = await studio_factory(idempotency_ttl_s=3600)
    uma = await studio.user("uma", plan="pro", credit=10 * FLUX_MICROS)
    first = await studio.create(_keyed(uma, "daily"))
    studio.clock.advance(hours=2)
    report = await studio.persistence.sweeper.sweep()
    assert report.keys_expired == 1
    second = await studio.create(_keyed(uma, "daily"))
    assert second.json()["generation_id"] != first.json()["generation_id"]
    assert await _holds(studio, uma) == 2

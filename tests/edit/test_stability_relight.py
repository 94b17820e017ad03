"""Stability's replace-background-and-relight (§1.7, async): the emulator's contract, the
client's polling and resume, and a resumed edit through the API charged once."""

from __future__ import annotations

import httpx
import pytest
from tests.edit.conftest import CREDIT, KEY, EditApi, png

from imagestudio.edit.operations import load_operations
from imagestudio.emulators.stability import StabilityEmulator
from imagestudio.providers.errors import ProviderTimeout
from imagestudio.providers.stability_edit import StabilityEditor
from imagestudio.settings import Settings

URL = "https://api.stability.ai/v2beta/stable-image/edit/replace-background-and-relight"
AUTH = {"authorization": f"Bearer {KEY}", "accept": "image/*"}
PRICE = load_operations()["stability/replace-background-and-relight"].price_micros


def _submit(emulator: StabilityEmulator, fields: dict[str, str],
            files: dict[str, bytes] | None = None) -> httpx.Response:
    with httpx.Client(transport=httpx.MockTransport(emulator)) as http:
        parts = files if files is not None else {"subject_image": png(128, 96)}
        return http.post(URL, data=fields, headers=AUTH,
                         files={k: (k, v) for k, v in parts.items()})


@pytest.mark.parametrize(("fields", "files", "fragment"), [
    ({}, None, "background_prompt"),
    ({"background_prompt": "a beach", "light_source_strength": "0.5"}, None,
     "light_source_strength"),
    ({"background_prompt": "a beach", "light_source_direction": "behind"}, None,
     "light_source_direction"),
    ({"background_prompt": "a beach", "keep_original_background": "yes"}, None,
     "keep_original_background"),
    ({"background_prompt": "a beach"}, {"image": png(128, 96)}, "subject_image"),
])
def test_a_wrong_field_is_a_400(fields: dict[str, str], files: dict[str, bytes] | None,
                                fragment: str) -> None:
    response = _submit(StabilityEmulator(KEY), fields, files)
    assert response.status_code == 400, response.text
    assert any(fragment in e for e in response.json()["errors"])


def test_relight_answers_an_id_then_202s_then_the_image() -> None:
    emulator = StabilityEmulator(KEY)
    emulator.creative_polls = 2
    submitted = _submit(emulator, {"background_prompt": "a beach at dusk",
                                   "light_source_direction": "left",
                                   "light_source_strength": "0.4"})
    assert submitted.status_code == 200 and set(submitted.json()) == {"id"}
    with httpx.Client(transport=httpx.MockTransport(emulator)) as http:
        url = f"https://api.stability.ai/v2beta/results/{submitted.json()['id']}"
        assert [http.get(url, headers=AUTH).status_code for _ in range(3)] == [202, 202, 200]


async def test_a_timed_out_poll_resumes_without_resubmitting() -> None:
    emulator = StabilityEmulator(KEY)
    emulator.creative_polls = 3
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    settings = Settings(_env_file=None, stability_api_key=KEY)
    fields = {"background_prompt": "a beach", "output_format": "png"}
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as http:
        impatient = StabilityEditor(settings.provider("stability"), client=http, sleep=sleep,
                                    poll_interval_s=10.0, poll_timeout_s=0.0)
        with pytest.raises(ProviderTimeout) as timed_out:
            await impatient.relight(png(128, 96), fields)
        patient = StabilityEditor(settings.provider("stability"), client=http, sleep=sleep,
                                  poll_interval_s=10.0, poll_timeout_s=600.0)
        image = await patient.relight(None, fields,
                                      resume_id=timed_out.value.details["resume_id"])
    assert (image.width, image.height) == (128, 96)
    assert len(emulator.requests("POST")) == 1  # submitted once, paid once
    assert len(emulator.requests("GET")) == 4 and slept == [10.0, 10.0]


async def test_a_resumed_relight_through_the_api_charges_once(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(128, 96))
    edit_api.stability.creative_polls = 0
    earlier = _submit(edit_api.stability, {"background_prompt": "a beach"})
    response = await edit_api.client.post("/api/image-studio/edit", headers=edit_api.headers,
                                          json={"asset_id": source,
                                                "op": "replace-background-and-relight",
                                                "background_prompt": "a beach",
                                                "resume_id": earlier.json()["id"]})
    assert response.status_code == 200, response.text
    assert response.json()["cost_micros"] == PRICE
    assert len(edit_api.stability.requests("POST")) == 1  # the API sent no new submission
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT - PRICE  # type: ignore[index]
    wrong = await edit_api.client.post("/api/image-studio/edit", headers=edit_api.headers,
                                       json={"asset_id": source, "op": "erase",
                                             "resume_id": earlier.json()["id"]})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"]["field"] == "resume_id"


async def test_a_timed_out_relight_costs_nothing_and_names_its_resume_id(
    edit_api: EditApi,
) -> None:
    source = await edit_api.upload(png(128, 96))
    edit_api.stability.creative_polls = 10_000  # never ready within the poll budget
    editor = edit_api.services.editor
    client = editor._clients["stability"]._client  # type: ignore[attr-defined]
    client._poll_timeout_s = 0.0
    response = await edit_api.client.post("/api/image-studio/edit", headers=edit_api.headers,
                                          json={"asset_id": source,
                                                "op": "replace-background-and-relight",
                                                "background_prompt": "a beach"})
    assert response.status_code == 502, response.text
    resume_id = response.json()["error"]["details"]["resume_id"]
    assert len(resume_id) == 64
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT  # type: ignore[index]
    assert usage["held"]["micros"] == 0  # type: ignore[index]

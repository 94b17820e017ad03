"""Vendor edit clients as the editor calls them: the request's fields mapped onto each
vendor's form (only the fields the endpoint documents; the rest were warned about)."""

from __future__ import annotations

from typing import cast

from imagestudio.edit.operations import EditOperation
from imagestudio.edit.schemas import EditCall
from imagestudio.imaging.formats import OutputFormat
from imagestudio.providers.base import GeneratedImage
from imagestudio.providers.stability_edit import EditEndpoint, StabilityEditor

_STABILITY_FIELDS: dict[str, tuple[str, ...]] = {
    "erase": ("seed",),
    "inpaint": ("prompt", "negative_prompt", "seed"),
    "outpaint": ("prompt", "left", "right", "up", "down", "seed"),
    "search-and-replace": ("prompt", "search_prompt", "negative_prompt", "seed"),
    "search-and-recolor": ("prompt", "select_prompt", "negative_prompt", "seed"),
    "remove-background": (),
}


class StabilityEdits:
    """:class:`~imagestudio.edit.service.EditClient` over Stability's §1.7 endpoints."""

    def __init__(self, client: StabilityEditor) -> None:
        self._client = client

    async def edit(self, operation: EditOperation, call: EditCall, *,
                   output_format: OutputFormat) -> GeneratedImage:
        request = call.request
        fields: dict[str, str] = {"output_format": output_format}
        for name in _STABILITY_FIELDS[operation.op]:
            value = getattr(request, name)
            if value is not None and value != 0:  # 0 is the vendor default (seed: random)
                fields[name] = str(value)
        endpoint = cast(EditEndpoint, operation.op)
        return await self._client.edit(endpoint, call.source.data, fields, mask=call.mask)

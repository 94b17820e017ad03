"""Stability's edit endpoints
(https://platform.stability.ai/docs/api-reference#tag/Edit): erase, inpaint, outpaint,
search-and-replace, search-and-recolor and remove-background, and the control endpoints
(#tag/Control: sketch, structure, style), each one multipart POST
answered with the image (§1.2); replace-background-and-relight answers ``{id}`` and is
polled at ``/v2beta/results/{id}`` (202 while in progress). The same error model and
no-resend rule as generation: a paid request whose outcome is unknown is never sent
again, and a relight whose polling ran out of time is resumed by its id, never
submitted twice (:mod:`imagestudio.providers._stability`).
"""

from __future__ import annotations

from typing import Literal

from imagestudio.providers._stability import Files, StabilityClient
from imagestudio.providers.base import GeneratedImage

EditEndpoint = Literal["erase", "inpaint", "outpaint", "search-and-replace",
                       "search-and-recolor", "remove-background"]
ControlEndpoint = Literal["sketch", "structure", "style"]
_PREFIX = "/v2beta/stable-image/edit/"
_CONTROL = "/v2beta/stable-image/control/"
_RELIGHT = _PREFIX + "replace-background-and-relight"


class StabilityEditor(StabilityClient):
    async def edit(
        self, endpoint: EditEndpoint, image: bytes, fields: dict[str, str], *,
        mask: bytes | None = None,
    ) -> GeneratedImage:
        """The edited image, decoded and verified; ``fields`` are the endpoint's form
        fields as strings (§1.1); ``mask`` is white where the edit applies. Raises
        ``ProviderError`` subclasses."""
        files: Files = {"image": ("image", image)}
        if mask is not None:
            files["mask"] = ("mask", mask)
        return await self._post_for_image(_PREFIX + endpoint, fields, files)

    async def control(self, endpoint: ControlEndpoint, image: bytes,
                      fields: dict[str, str]) -> GeneratedImage:
        """A control generation (sketch, structure, style): a new image from the form's
        ``prompt``, guided by ``image``; answered like an edit."""
        return await self._post_for_image(_CONTROL + endpoint, fields,
                                          {"image": ("image", image)})

    async def relight(
        self, subject: bytes | None, fields: dict[str, str], *, resume_id: str | None = None,
    ) -> GeneratedImage:
        """Submit a replace-background-and-relight (or, with ``resume_id``, pick up one
        submitted before: nothing is sent again) and poll until its image is ready. A
        poll that runs out of time raises ``ProviderTimeout`` whose
        ``details['resume_id']`` resumes it."""
        files = None if subject is None else {"subject_image": ("subject_image", subject)}
        return await self._submit_or_resume("relight", _RELIGHT, fields, files, resume_id)

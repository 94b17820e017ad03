"""Webhook endpoints (``/api/image-studio/webhooks``): register, list, delete, and read
each endpoint's delivery log. Deliveries are signed the Standard Webhooks way."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from imagestudio.api.deps import StateDep, UserDep
from imagestudio.api.errors import error_responses
from imagestudio.api.routes._json import json_response
from imagestudio.studio.webhooks import Delivery, Endpoint

router = APIRouter(prefix="/api/image-studio", tags=["webhooks"])
_OWNED = error_responses(401, 404, 422)


class WebhookCreate(BaseModel):
    url: str = Field(max_length=2000, description="https URL (production: public hosts only).")
    description: str = Field(default="", max_length=200)


class WebhookPublic(BaseModel):
    id: str
    url: str
    description: str
    created_at: dt.datetime
    secret: str | None = Field(
        default=None,
        description="The whsec_ signing secret; returned once, when the endpoint is created.",
    )


class WebhooksPublic(BaseModel):
    webhooks: list[WebhookPublic]


class DeliveryPublic(BaseModel):
    id: str = Field(description="The webhook-id header of every attempt.")
    event_type: str
    status: str = Field(description="pending | succeeded | failed (retries exhausted).")
    attempts: int
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    log: list[dict[str, Any]] = Field(description="The latest attempts: at, status_code, "
                                      "error, duration_ms.")


class DeliveriesPublic(BaseModel):
    deliveries: list[DeliveryPublic]


def _public(endpoint: Endpoint) -> WebhookPublic:
    return WebhookPublic(id=endpoint.id, url=endpoint.url, description=endpoint.description,
                         created_at=endpoint.created_at, secret=endpoint.secret)


def _delivery(d: Delivery) -> DeliveryPublic:
    return DeliveryPublic(id=d.id, event_type=d.event_type, status=d.status,
                          attempts=d.attempts, next_attempt_at=d.next_attempt_at,
                          created_at=d.created_at, delivered_at=d.delivered_at, log=d.log)


@router.post("/webhooks", status_code=201, response_model=WebhookPublic,
             responses=error_responses(401, 422))
async def create_webhook(body: WebhookCreate, user: UserDep, state: StateDep) -> Response:
    """Register an endpoint for the caller's job events (job.succeeded, job.failed,
    job.cancelled); the answer carries its signing secret, shown only this once."""
    endpoint = await state.webhooks.create(user.user_id, body.url, body.description)
    return json_response(_public(endpoint), status_code=201)


@router.get("/webhooks", response_model=WebhooksPublic, responses=error_responses(401))
async def list_webhooks(user: UserDep, state: StateDep) -> Response:
    endpoints = await state.webhooks.endpoints(user.user_id)
    return json_response(WebhooksPublic(webhooks=[_public(e) for e in endpoints]))


@router.delete("/webhooks/{endpoint_id}", status_code=204, responses=_OWNED)
async def delete_webhook(endpoint_id: str, user: UserDep, state: StateDep) -> Response:
    await state.webhooks.delete(user.user_id, endpoint_id)
    return Response(status_code=204)


@router.get("/webhooks/{endpoint_id}/deliveries", response_model=DeliveriesPublic,
            responses=_OWNED)
async def webhook_deliveries(endpoint_id: str, user: UserDep, state: StateDep) -> Response:
    """The endpoint's delivery log, newest first (the latest 50)."""
    found = await state.webhooks.deliveries(user.user_id, endpoint_id)
    return json_response(DeliveriesPublic(deliveries=[_delivery(d) for d in found]))

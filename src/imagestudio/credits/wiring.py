"""The credits services, built together by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from imagestudio.catalog.loader import Catalog
from imagestudio.credits.admin import CreditAdmin
from imagestudio.credits.periods import Clock, system_clock
from imagestudio.credits.plans import PlanTable, load_plans
from imagestudio.credits.ratelimit import Limiter
from imagestudio.credits.reports import CreditReports
from imagestudio.credits.service import CreditsService
from imagestudio.db.session import Database
from imagestudio.settings import Settings


@dataclass(frozen=True)
class Credits:
    plans: PlanTable
    service: CreditsService
    reports: CreditReports
    admin: CreditAdmin


def build_credits(
    db: Database,
    settings: Settings,
    *,
    clock: Clock | None = None,
    catalog: Catalog | None = None,
    plans: PlanTable | None = None,
    rate_limiter: Limiter | None = None,
) -> Credits:
    """Credits over ``db`` with the plan table named by ``settings`` (checked against
    ``catalog`` when given)."""
    table = plans or load_plans(settings.plans_file, catalog=catalog)
    service = CreditsService(
        db, table, clock=clock or system_clock, rate_limiter=rate_limiter
    )
    return Credits(
        plans=table,
        service=service,
        reports=CreditReports(service),
        admin=CreditAdmin(service),
    )

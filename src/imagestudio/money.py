"""Money: integer micro-USD everywhere, formatted only at the edge.

A leaf module (it imports nothing from the studio), so every layer can price, charge and
show amounts the same way.
"""

from __future__ import annotations

from pydantic import BaseModel

MICROS_PER_USD = 1_000_000


class Money(BaseModel):
    """An amount in integer micro-USD with its display form."""

    micros: int
    usd: str

    @classmethod
    def of(cls, micros: int) -> Money:
        return cls(micros=micros, usd=format_usd(micros))


def format_usd(micros: int) -> str:
    """``39_000`` → ``"$0.039"``; at least two decimals, no trailing zeros beyond them."""
    sign = "-" if micros < 0 else ""
    dollars, rest = divmod(abs(micros), MICROS_PER_USD)
    decimals = f"{rest:06d}".rstrip("0").ljust(2, "0")
    return f"{sign}${dollars}.{decimals}"

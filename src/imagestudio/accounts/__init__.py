"""Accounts: users, their plans and their API keys (random, shown once, stored hashed)."""

from imagestudio.accounts.auth import Authenticator, Principal
from imagestudio.accounts.service import AccountService

__all__ = ["AccountService", "Authenticator", "Principal"]

"""The browser UI: the static page and its files, plus the loopback checks of the opt-in
local single-user session.

The UI is a client of the public API. Its few support routes (limits and labels, the
prompt preview, the local session) are API routes: :mod:`imagestudio.api.routes.ui`.
This package imports nothing from ``api``.
"""

from imagestudio.web.mount import mount

__all__ = ["mount"]

"""The browser UI: static files at ``/`` plus a few UI-support routes.

The UI is a client of the public API; :func:`mount` adds only what a browser needs on top
of it (the page itself, its limits and labels, the prompt preview and the opt-in local
single-user session).
"""

from imagestudio.web.mount import mount

__all__ = ["mount"]

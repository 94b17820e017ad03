"""The HTTP API: FastAPI app factory, routes, auth dependency and error rendering."""

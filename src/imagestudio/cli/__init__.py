"""The ``imagestudio`` command line. Errors are rendered here, once: one line, no traceback."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from imagestudio.catalog.loader import CatalogError
from imagestudio.cli import (
    accounts,
    assets,
    catalog,
    create,
    credits,
    db,
    doctor,
    edit,
    emulate,
    optimize,
    providers,
    serve,
    transform,
    upscale,
    worker,
)
from imagestudio.errors import StudioError
from imagestudio.validation import invalid_request

app = typer.Typer(
    name="imagestudio",
    help="Platform-ready marketing images from one brief.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for module in (create, optimize, upscale, edit, transform, catalog, providers, serve, accounts,
               assets, credits, db, doctor, emulate, worker):
    module.register(app)


def exit_code(error: StudioError) -> int:
    """2 for bad input (a 4xx in the API), 1 for everything else."""
    return 2 if 400 <= error.http_status < 500 else 1


def main() -> None:
    try:
        app()
    except ValidationError as exc:
        _fail(invalid_request(exc))
    except StudioError as exc:
        _fail(exc)
    except CatalogError as exc:
        print(f"error: catalog data is invalid: {exc}", file=sys.stderr)  # noqa: T201
        sys.exit(1)


def _fail(error: StudioError) -> None:
    print(f"error: {error.message}", file=sys.stderr)  # noqa: T201
    sys.exit(exit_code(error))

"""``imagestudio emulate PROVIDER``: serve a vendor emulator over HTTP on loopback.

Prints the environment variables that point Image Studio at it, then serves until
interrupted. Only loopback hosts are allowed: an emulator accepts any key and must never
be reachable from another machine.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Annotated

import typer
import uvicorn

from imagestudio.emulators import EMULATORS, load_emulator
from imagestudio.emulators.asgi import create_app
from imagestudio.emulators.wavespeed import WaveSpeedEmulator
from imagestudio.vendors import vendor

LOCALHOST_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals (127.0.0.0/8, ::1)."""
    if host in LOCALHOST_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0 = any free port), refusing non-loopback."""
    if not is_loopback(host):
        raise typer.BadParameter(f"{host!r} is not a loopback address", param_hint="--host")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def env_lines(provider: str, host: str, port: int, api_key: str | None) -> list[str]:
    """The settings to export so the studio talks to the emulator."""
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}{load_emulator(provider).base_path}"
    key = api_key or "any-non-empty-key"
    spec = vendor(provider)
    return [f"{spec.base_url_env}={base}", f"{spec.key_env}={key}"]


def emulate(
    provider: Annotated[str, typer.Argument(help=f"One of: {', '.join(EMULATORS)}.")],
    port: Annotated[int, typer.Option(help="TCP port; 0 picks a free one.")] = 0,
    host: Annotated[str, typer.Option(help="Loopback address to listen on.")] = "127.0.0.1",
    latency: Annotated[float, typer.Option(help="Seconds added to every answer.")] = 0.0,
    api_key: Annotated[
        str | None, typer.Option(help="Key the emulator accepts (default: any non-empty key).")
    ] = None,
    fault_rate: Annotated[float, typer.Option(
        min=0, max=1, help="Fraction of requests answered 503 (not billed).")] = 0.0,
    slow_rate: Annotated[float, typer.Option(
        min=0, max=1, help="Fraction of answers delayed by up to --slow-s more.")] = 0.0,
    slow_s: Annotated[float, typer.Option(min=0, help="Longest extra delay, seconds.")] = 0.0,
    seed: Annotated[int | None, typer.Option(help="Seed of the random faults.")] = None,
    sync_timeout_rate: Annotated[float, typer.Option(
        min=0, max=1, help="WaveSpeed only: fraction of sync-mode submits answered "
        "'still processing' (code 5004), so the caller polls.")] = 0.0,
) -> None:
    """Serve an offline emulator of a vendor API on loopback."""
    if provider not in EMULATORS:
        raise typer.BadParameter(
            f"unknown provider {provider!r}; one of: {', '.join(EMULATORS)}",
            param_hint="PROVIDER",
        )
    if latency < 0:
        raise typer.BadParameter("must be >= 0", param_hint="--latency")
    if sync_timeout_rate and provider != "wavespeed":
        raise typer.BadParameter("only WaveSpeed has a sync mode", param_hint="--sync-timeout-rate")
    sock = bind(host, port)
    emulator = load_emulator(provider)(api_key, latency_s=latency)
    if isinstance(emulator, WaveSpeedEmulator):
        emulator.sync_timeout_rate = sync_timeout_rate
    if fault_rate or slow_rate:
        emulator.chaos(fault_rate, slow_rate, slow_s, seed=seed)
    bound_port = sock.getsockname()[1]
    typer.echo(f"{provider} emulator listening; point Image Studio at it with:")
    for line in env_lines(provider, host, bound_port, api_key):
        typer.echo(f"  export {line}")
    config = uvicorn.Config(create_app(emulator), log_level="warning", lifespan="off", ws="none")
    uvicorn.Server(config).run(sockets=[sock])


def register(app: typer.Typer) -> None:
    """Add the ``emulate`` command to the root CLI."""
    app.command("emulate")(emulate)

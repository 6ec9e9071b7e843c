"""Serve `alvh-daily` on its schedule: weekdays at 16:30 in New York, after the close.

`alvh serve` (or `python -m flows.serve`) registers the deployment with a Prefect server and
runs each scheduled flow run in a subprocess of this one, for as long as it runs. Scheduling
needs a real, long-running Prefect server — the temporary one Prefect starts for a single run
has no scheduler — so: with PREFECT_API_URL set, that server is used; without it, a local one
is started on 127.0.0.1:PORT (default 4200, UI included) for the life of the command. Pointing
`alvh run` at the same server (`export PREFECT_API_URL=http://127.0.0.1:4200/api`) spares each
manual run the temporary server's start-up (docs/operations.md).

To run the flow on a Prefect server with workers instead, use `prefect.yaml` (`prefect deploy`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from prefect.schedules import Cron, Schedule

from flows.daily import alvh_daily

DEPLOYMENT = "alvh-daily"
CRON = "30 16 * * 1-5"
TIMEZONE = "America/New_York"
SERVER_START_TIMEOUT = 120.0  # a first start on an empty PREFECT_HOME migrates its database


def schedule() -> Schedule:
    return Cron(CRON, timezone=TIMEZONE)


def deployment():
    """The served deployment: the daily flow on its cron schedule, one run at a time. Its
    entrypoint is the module path, so `alvh serve` works from any directory (ALVH_HOME)."""
    from prefect.deployments.runner import EntrypointType

    return alvh_daily.to_deployment(
        name=DEPLOYMENT,
        schedules=[schedule()],
        parameters={"source": "auto", "send_email": True},
        concurrency_limit=1,
        tags=["alvh"],
        description="ALVH Risk, one trading day after the close (weekdays 16:30 New York).",
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def _healthy(api_url: str) -> bool:
    try:
        return httpx.get(f"{api_url}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def prefect_server(port: int = 4200) -> Iterator[str]:
    """The API URL to serve against: PREFECT_API_URL when set, a server already answering on
    the port, or a local `prefect server start` kept for as long as the block lasts."""
    from prefect.settings import get_current_settings

    configured = get_current_settings().api.url
    if configured:
        yield configured
        return
    api_url = f"http://127.0.0.1:{port}/api"
    if _healthy(api_url):
        yield api_url
        return
    env = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", **os.environ}
    command = [sys.executable, "-m", "prefect", "server", "start"]
    server = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)], env=env)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _healthy(api_url):
            if server.poll() is not None:
                raise RuntimeError(f"the Prefect server exited with code {server.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Prefect server did not answer on {api_url}")
            time.sleep(0.5)
        print(f"Prefect server (and UI) at http://127.0.0.1:{port}", flush=True)
        yield api_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def serve(port: int = 4200) -> None:
    """Serve the daily deployment until interrupted (Ctrl-C)."""
    from prefect import serve as serve_deployments
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with prefect_server(port) as api_url:
        os.environ["PREFECT_API_URL"] = api_url  # the flow runs' subprocesses inherit it
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            serve_deployments(deployment())


if __name__ == "__main__":
    serve()

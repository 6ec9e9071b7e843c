"""How the `alvh` process ends: our errors mapped to interface.md's exit codes, and a quick exit."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

import typer

from alvh.cli.app import app
from alvh.core.errors import AlvhError, EnvironmentProblem


def main() -> None:
    """Console entry point: maps our errors to interface.md's exit codes."""
    try:
        # Without standalone mode, a command's `typer.Exit(code)` comes back as the return value.
        code = app(standalone_mode=False)
    except AlvhError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        sys.exit(1)
    except Exception as exc:
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # click's usage errors: exit 2
            exc.show()
            sys.exit(exc.exit_code)
        problem = environment_problem(exc)
        if problem is not None:
            typer.echo(f"error: {problem}", err=True)
            sys.exit(problem.exit_code)
        typer.echo(f"unexpected error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def environment_problem(exc: BaseException) -> EnvironmentProblem | None:
    """The environment failure behind an unexpected error, if there is one (exit 4): a full,
    read-only or refusing disk, or a damaged warehouse file found in the middle of a query."""
    from alvh.store.warehouse import disk_problem, is_warehouse_failure, warehouse_problem

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, EnvironmentProblem):
            return current
        if isinstance(current, OSError) and (problem := disk_problem(current)) is not None:
            return problem
        if is_warehouse_failure(current):
            return warehouse_problem(current, _warehouse_path())
        current = current.__cause__ or current.__context__
    return None


class KnownFailureTracebacks:
    """A logging filter that drops the traceback of a failure the CLI explains in one line
    (our errors, a full or read-only disk, a damaged warehouse), keeping the record itself:
    the orchestrator logs each failed task with its traceback, the user needs the one line."""

    def filter(self, record) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and (isinstance(exc, AlvhError) or environment_problem(exc)):
            record.exc_info, record.exc_text = None, None
        return True


def quiet_known_tracebacks(prefix: str = "prefect") -> None:
    """Install `KnownFailureTracebacks` on every handler of the `prefix` loggers."""
    import logging

    names = [n for n in logging.Logger.manager.loggerDict if n.split(".")[0] == prefix]
    for name in [prefix, *names]:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, KnownFailureTracebacks) for f in handler.filters):
                handler.addFilter(KnownFailureTracebacks())


def _warehouse_path():
    from alvh.core.settings import load_settings

    try:
        return load_settings().warehouse_path
    except Exception:  # the settings themselves are broken: name the file as the user knows it
        return "alvh.duckdb"


def entry_point() -> None:
    """The `alvh` console script: `main`, then an exit that skips the interpreter's teardown."""
    try:
        main()
    except SystemExit as exc:
        _exit_without_teardown(_exit_status(exc.code))
    _exit_without_teardown(0)


def _exit_status(code: object) -> int:
    """What `sys.exit(code)` would make the process exit with."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _exit_without_teardown(code: int) -> NoReturn:
    """Exit as Python would, minus the final teardown of every imported module.

    Tearing down pandas, DuckDB, Prefect and WeasyPrint costs a new process about half a
    second (measured: `alvh run` 6.6 s → 6.1 s), and does nothing for us: every warehouse
    connection and file is closed by its own `with`/`finally`. What matters of a normal exit
    still happens, in its order: atexit handlers (Prefect drains its log and event queues
    there, logging flushes its handlers), then stdout and stderr are flushed. While a
    non-daemon thread still runs, Python's own exit joins it instead.
    """
    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon for t in threading.enumerate()):
        sys.exit(code)
    atexit._run_exitfuncs()  # the handlers a normal exit runs, in their order
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing left to lose
            pass
    os._exit(code)

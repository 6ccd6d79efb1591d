"""Which handler runs each job type: the built-ins, and those plugged in with `--handlers`.

A plugged-in module (`--handlers mypkg.jobs`, or RUNNER_HANDLERS=mypkg.jobs,other.jobs)
exposes `HANDLERS: dict[str, Handler]`, a job type name to its async handler (see handlers/ for
the signature). It may name a built-in type to replace the built-in handler. Anything wrong with
a module refuses the runner's start, naming it: a runner that cannot run the jobs it was asked
for should not claim them.
"""

import importlib
import inspect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from job_contract import JobType
from job_contract.job_types import JOB_TYPE_NAME_PATTERN
from worker_service.runner.handlers import Handler, email, notification, report

_TYPE_NAME = re.compile(JOB_TYPE_NAME_PATTERN)


class HandlersRefused(Exception):
    """A `--handlers` module that cannot be used; the message names it and says why."""


@dataclass(frozen=True, slots=True)
class Registration:
    handle: Handler
    # How long a job may run when its type sets no timeout_seconds; None: as long as it takes.
    default_timeout_seconds: float | None
    source: str  # where it came from: "built-in" or the module's path


class HandlerRegistry:
    def __init__(self, registrations: Mapping[str, Registration]) -> None:
        self._registrations = dict(registrations)

    @property
    def types(self) -> list[str]:
        """The job types this runner has a handler for, sorted."""
        return sorted(self._registrations)

    def get(self, job_type: str) -> Registration | None:
        return self._registrations.get(job_type)


def is_job_type_name(name: str) -> bool:
    return _TYPE_NAME.match(name) is not None


def builtin_registrations() -> dict[str, Registration]:
    return {
        JobType.EMAIL.value: Registration(email.handle, email.TIMEOUT_SECONDS, "built-in"),
        JobType.REPORT.value: Registration(report.handle, report.TIMEOUT_SECONDS, "built-in"),
        JobType.NOTIFICATION.value: Registration(
            notification.handle, notification.TIMEOUT_SECONDS, "built-in"
        ),
    }


def load_registry(module_paths: Iterable[str]) -> HandlerRegistry:
    """The built-ins and the handlers of each module, or HandlersRefused naming the first
    module that cannot be used."""
    registrations = builtin_registrations()
    plugged: dict[str, str] = {}  # job type -> the module that plugged it in
    for path in module_paths:
        for job_type, handle in module_handlers(path).items():
            if job_type in plugged:
                raise HandlersRefused(
                    f"--handlers {path}: {job_type} is handled by {plugged[job_type]} already"
                )
            plugged[job_type] = path
            registrations[job_type] = Registration(handle, None, path)
    return HandlerRegistry(registrations)


def module_handlers(path: str) -> dict[str, Handler]:
    """The HANDLERS of the module at `path` (dotted), checked."""
    try:
        module = importlib.import_module(path)
    except Exception as error:  # whatever importing it raised, the runner cannot use it
        raise HandlersRefused(
            f"--handlers {path}: cannot import it ({type(error).__name__}: {error})"
        ) from error
    handlers = getattr(module, "HANDLERS", None)
    if not isinstance(handlers, Mapping) or not handlers:
        found = "none" if handlers is None else f"a {type(handlers).__name__}"
        raise HandlersRefused(
            f"--handlers {path}: the module needs HANDLERS, a non-empty dict of job type name to"
            f" async handler (found {found})"
        )
    for job_type, handle in handlers.items():
        if not isinstance(job_type, str) or not is_job_type_name(job_type):
            raise HandlersRefused(
                f"--handlers {path}: HANDLERS key {job_type!r} is not a job type name (a"
                " lower-case letter, then letters, digits or _)"
            )
        if not _is_async(handle):
            raise HandlersRefused(
                f"--handlers {path}: HANDLERS[{job_type!r}] is not an async function"
                " (async def handle(job) -> dict)"
            )
    return dict(handlers)


def _is_async(handle: object) -> bool:
    """An `async def` function, or an object whose __call__ is one."""
    return inspect.iscoroutinefunction(handle) or inspect.iscoroutinefunction(
        getattr(handle, "__call__", None)  # noqa: B004 (callable() cannot tell async)
    )

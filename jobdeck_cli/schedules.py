"""`jobdeck schedules list|show|enable|disable|trigger`: schedules from the command line.

Straight to the database through the producer API's own ScheduleStore, so a schedule enabled
here counts from now exactly as a PATCH does, and "trigger" writes the same `created` event
as POST /schedules/{name}/trigger. Creating and editing stay with the API and the dashboard,
which check the job template against its type's schema.
"""

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime

from job_contract.schedules import SchedulePublic
from jobdeck_db.migrations import ensure_migrated
from jobdeck_db.settings import database_url
from producer_api.db import create_engine
from producer_api.errors import ScheduleNotFound, ScheduleTypeGone
from producer_api.schedule_store import ScheduleEdit, ScheduleStore


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    schedules = commands.add_parser(
        "schedules", help="list, show, enable, disable and trigger schedules"
    )
    actions = schedules.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="one line per schedule: name, state, cron, zone, next run")
    for action, summary in (
        ("show", "a schedule as GET /schedules/{name} answers it (JSON)"),
        ("enable", "enable it: its next run counts from now, missed times are not made up"),
        ("disable", "disable it: it makes no jobs until enabled again"),
        ("trigger", "make its job now, enabled or not; prints the job's id"),
    ):
        actions.add_parser(action, help=summary).add_argument("name")


async def run_schedules(args: argparse.Namespace) -> int:
    work: dict[str, Callable[[ScheduleStore], Awaitable[int]]] = {
        "list": _list,
        "show": lambda store: _show(store, args.name),
        "enable": lambda store: _set_enabled(store, args.name, True),
        "disable": lambda store: _set_enabled(store, args.name, False),
        "trigger": lambda store: _trigger(store, args.name),
    }
    url = database_url()
    await ensure_migrated(url)
    engine = create_engine(url, pool_size=1)
    try:
        return await work[args.action](ScheduleStore(engine))
    except (ScheduleNotFound, ScheduleTypeGone) as problem:
        print(f"jobdeck: {problem}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()


async def _list(store: ScheduleStore) -> int:
    print("name\tstate\tcron\ttimezone\tnext run\tlast job")
    for schedule in await store.list():
        print(_row(schedule))
    return 0


async def _show(store: ScheduleStore, name: str) -> int:
    print(json.dumps((await store.get(name)).model_dump(mode="json"), indent=2))
    return 0


async def _set_enabled(store: ScheduleStore, name: str, enabled: bool) -> int:
    schedule = await store.change(name, ScheduleEdit(enabled=enabled))
    print(_row(schedule))
    return 0


async def _trigger(store: ScheduleStore, name: str) -> int:
    job = await store.run_now(name)
    print(job["id"])  # alone on stdout, so `JOB=$(jobdeck schedules trigger …)` works
    return 0


def _row(schedule: SchedulePublic) -> str:
    last = schedule.last_job
    return "\t".join(
        [
            schedule.name,
            "enabled" if schedule.enabled else "disabled",
            schedule.cron,
            schedule.timezone,
            _when(schedule.next_runs[0]) if schedule.next_runs else "-",
            f"{last.id} ({last.status})" if last else "-",
        ]
    )


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")

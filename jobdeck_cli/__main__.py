"""`jobdeck tokens create|list|revoke`, `jobdeck cleanup`, `jobdeck schedules …` and
`jobdeck wait-for-migrations`."""

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

import asyncpg
from pydantic import ValidationError

from job_contract.producer_api import TokenCreate, TokenPublic
from jobdeck_access.roles import Role
from jobdeck_access.store import TokenStore
from jobdeck_access.tokens import TokenNameTaken, TokenNotFound
from jobdeck_cli import schedules
from jobdeck_cli.cleanup import run_cleanup
from jobdeck_db.migrations import ensure_migrated
from jobdeck_db.settings import database_url
from jobdeck_runtime.startup import StartupRefused


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jobdeck", description="Jobdeck's command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    tokens = commands.add_parser("tokens", help="create, list and revoke API tokens")
    actions = tokens.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a token and print it (shown only once)")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--name", required=True, help="a name to find and revoke it by")
    create.add_argument("--expires-in-days", type=int, default=None, metavar="DAYS")
    actions.add_parser("list", help="list the tokens (never their secrets)")
    revoke = actions.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("name")
    cleanup = commands.add_parser(
        "cleanup", help="delete finished jobs past their RETAIN_*_DAYS now (archived first)"
    )
    cleanup.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    schedules.add_parser(commands)
    wait = commands.add_parser(
        "wait-for-migrations",
        help="wait until the database is at Alembic's head (a deployment's init step)",
    )
    wait.add_argument(
        "--every", type=float, default=5.0, metavar="SECONDS", help="how often to look (5)"
    )
    wait.add_argument(
        "--timeout", type=float, default=None, metavar="SECONDS", help="give up after (never)"
    )
    return parser


async def _wait_for_migrations(every: float, give_up_after: float | None) -> int:
    """0 once the schema is at head; 1 when `give_up_after` seconds pass first. An unreachable
    database is waited for too: in a rollout, it may simply not be up yet."""
    deadline = None if give_up_after is None else time.monotonic() + give_up_after
    while True:
        try:
            await ensure_migrated(database_url())
            return 0
        except StartupRefused as refusal:
            if deadline is not None and time.monotonic() + every > deadline:
                print(f"jobdeck: gave up waiting for the migrations: {refusal}", file=sys.stderr)
                return 1
            print(f"waiting for the migrations: {refusal}", file=sys.stderr, flush=True)
        await asyncio.sleep(every)


async def _with_store(work: Callable[[TokenStore], Awaitable[int]]) -> int:
    url = database_url()
    await ensure_migrated(url)
    connection = await asyncpg.connect(url, timeout=10)
    try:
        return await work(TokenStore(connection))
    finally:
        await connection.close()


def _row(token: TokenPublic) -> str:
    def when(moment: datetime | None) -> str:
        return moment.isoformat(timespec="seconds") if moment else "-"

    return "\t".join(
        [
            token.name,
            token.role,
            when(token.created_at),
            when(token.expires_at),
            when(token.last_used_at),
            str(token.id),
        ]
    )


async def _run(args: argparse.Namespace) -> int:
    if args.command == "wait-for-migrations":
        return await _wait_for_migrations(args.every, args.timeout)
    if args.command == "cleanup":
        return await run_cleanup(args.dry_run)
    if args.command == "schedules":
        return await schedules.run_schedules(args)
    if args.action == "create":
        request = TokenCreate(
            name=args.name, role=Role(args.role), expires_in_days=args.expires_in_days
        )

        async def create(store: TokenStore) -> int:
            _info, secret = await store.create(request.name, request.role, request.expires_in_days)
            print(secret)  # alone on stdout, so `TOKEN=$(jobdeck tokens create …)` works
            return 0

        return await _with_store(create)
    if args.action == "list":

        async def show(store: TokenStore) -> int:
            print("name\trole\tcreated\texpires\tlast used\tid")
            for token in await store.list():
                print(_row(token))
            return 0

        return await _with_store(show)

    async def revoke(store: TokenStore) -> int:
        await store.revoke_named(args.name)
        print(f"revoked token {args.name!r}", file=sys.stderr)
        return 0

    return await _with_store(revoke)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except ValidationError as invalid:
        for problem in invalid.errors(include_url=False):
            option = "--" + "-".join(str(part) for part in problem["loc"]).replace("_", "-")
            print(f"jobdeck: {option}: {problem['msg']}", file=sys.stderr)
        return 2
    except (TokenNameTaken, TokenNotFound, StartupRefused) as problem:
        print(f"jobdeck: {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""`jobdeck tokens create|list|revoke`."""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

import asyncpg
from pydantic import ValidationError

from job_contract.producer_api import TokenCreate
from jobdeck_access.roles import Role
from jobdeck_access.store import TokenStore
from jobdeck_access.tokens import TokenInfo, TokenNameTaken, TokenNotFound
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
    return parser


async def _with_store(work: Callable[[TokenStore], Awaitable[int]]) -> int:
    url = database_url()
    await ensure_migrated(url)
    connection = await asyncpg.connect(url, timeout=10)
    try:
        return await work(TokenStore(connection))
    finally:
        await connection.close()


def _row(token: TokenInfo) -> str:
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

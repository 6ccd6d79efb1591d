"""One LISTEN connection per process that wakes every long-polling claimer.

The trigger sends a payload-free NOTIFY whenever jobs become pending. A claimer takes the
`asyncio.Event` the next notification will set (`next_wakeup()`) *before* it tries to claim,
so a NOTIFY that lands between its empty claim and its wait still wakes it.

The same connection hears jobdeck_job_types, sent when a type's controls change, and tells
whoever keeps the list of limited types (limited_types.py) to read it again.

A LISTEN connection only ever reads, so one whose peer vanished (a half-open connection after a
network fault) would never notice by itself: TCP keepalives close it within a minute, and
ListenerCheck (listener_check.py) asks it a question every few seconds and replaces it when
no answer comes. Whatever a reconnect attempt raises, it is logged and tried again.
"""

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable

import asyncpg

from jobdeck_db.sessions import server_settings

CHANNEL = "jobdeck_jobs_pending"
TYPES_CHANNEL = "jobdeck_job_types"
logger = logging.getLogger("worker_service.wakeups")

# Probes after 10 s of silence, 5 s apart, 3 unanswered: a dead peer is noticed within ~25 s
# even between checks, and PostgreSQL (told the same) drops its side of the connection too.
KEEPALIVE_IDLE_SECONDS = 10
KEEPALIVE_INTERVAL_SECONDS = 5
KEEPALIVE_COUNT = 3


class JobsPendingListener:
    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._on_types_changed: Callable[[], None] = lambda: None
        self._wakeup = asyncio.Event()
        self._connection: asyncpg.Connection | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._closed = False
        self.waiting = 0  # claimers in wait() now: /metrics shows it, tests await it

    @property
    def connected(self) -> bool:
        """False while the LISTEN connection is lost: waiters then wake only at their end."""
        return self._connection is not None and not self._connection.is_closed()

    def next_wakeup(self) -> asyncio.Event:
        """The event the next notification will set."""
        return self._wakeup

    async def wait(self, wakeup: asyncio.Event, seconds: float) -> None:
        """Until `wakeup` is set (jobs became pending) or `seconds` pass."""
        self.waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), seconds)
        finally:
            self.waiting -= 1

    def on_types_changed(self, callback: Callable[[], None]) -> None:
        """Call `callback` when the job types' controls change, or may have meanwhile."""
        self._on_types_changed = callback

    def wake_all(self) -> None:
        wakeup, self._wakeup = self._wakeup, asyncio.Event()
        wakeup.set()

    async def start(self) -> None:
        connection = await connect_listening(
            self._database_url,
            "jobdeck-worker-service-listener",
            {CHANNEL: self._on_notify, TYPES_CHANNEL: self._on_types_notify},
        )
        connection.add_termination_listener(self._on_connection_lost)
        self._connection = connection  # `connected` from here on: the LISTEN is in place

    async def stop(self) -> None:
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()

    async def check(self, answer_within: float) -> bool:
        """Whether the LISTEN connection answers a query within `answer_within` seconds; one
        that does not is closed, which starts a reconnect. False also while one is under way."""
        connection = self._connection
        if connection is None or connection.is_closed():
            return False
        try:
            async with asyncio.timeout(answer_within):
                await connection.fetchval("SELECT 1")
        except Exception as error:  # no answer, or a broken one: either way, a new connection
            logger.warning("LISTEN connection failed its check (%r); reconnecting", error)
            connection.terminate()  # calls _on_connection_lost, which reconnects
            return False
        return True

    def _on_notify(self, *_: object) -> None:
        self.wake_all()

    def _on_types_notify(self, *_: object) -> None:
        self._on_types_changed()

    def _on_connection_lost(self, _: object) -> None:
        if not self._closed and self._reconnecting is None:
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.1
        while not self._closed:
            try:
                await self.start()
            except Exception as error:  # whatever it is, giving up would leave waiters asleep
                logger.warning("LISTEN connection lost; retrying in %.1fs: %r", delay, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self._reconnecting = None
            # Notifications sent while we were away are lost: let every claimer look again.
            self._on_types_changed()
            self.wake_all()
            return


async def connect_listening(
    database_url: str, application_name: str, channels: dict[str, Callable[..., None]]
) -> asyncpg.Connection:
    """A connection LISTENing on `channels`, each calling its callback, with TCP keepalives on
    both ends (a LISTEN connection only reads, so nothing else would notice a dead peer)."""
    connection = await asyncpg.connect(
        database_url,
        timeout=5,
        server_settings=server_settings(
            application_name,
            tcp_keepalives_idle=str(KEEPALIVE_IDLE_SECONDS),
            tcp_keepalives_interval=str(KEEPALIVE_INTERVAL_SECONDS),
            tcp_keepalives_count=str(KEEPALIVE_COUNT),
        ),
    )
    try:
        _keep_alive(connection)
        for channel, callback in channels.items():
            await connection.add_listener(channel, callback)
    except BaseException:
        connection.terminate()
        raise
    return connection


def _keep_alive(connection: asyncpg.Connection) -> None:
    """TCP keepalives on our side of the connection (asyncpg has no option for them)."""
    sock = connection._transport.get_extra_info("socket")
    if sock is None or sock.family == socket.AF_UNIX:
        return  # a Unix socket has no peer to lose
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, KEEPALIVE_IDLE_SECONDS)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, KEEPALIVE_INTERVAL_SECONDS)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, KEEPALIVE_COUNT)

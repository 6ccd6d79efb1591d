"""Where a callback may go: the host is resolved here, and an address that is not on the
public internet (private, loopback, link-local such as the cloud metadata service, CGNAT,
multicast, reserved) is refused, unless CALLBACK_ALLOW_PRIVATE says every address will do.

The try then connects to the very address that was checked (see sender.py), so a name that
resolves differently a moment later (DNS rebinding) cannot slip past the check.
"""

import asyncio
import functools
import ipaddress
import socket
from collections.abc import Callable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# Which addresses a callback may reach: is_public, or any_address with CALLBACK_ALLOW_PRIVATE.
AddressPolicy = Callable[[Address], bool]


class DestinationRefused(Exception):
    """The callback's host resolves to an address it may not reach: final, never retried."""


class HostUnresolved(Exception):
    """The host did not resolve now (it may later: retried)."""


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def any_address(address: Address) -> bool:
    return True


@functools.lru_cache(maxsize=1024)
def _literal(host: str) -> Address | None:
    """The address a host written as one names (parsed once: every try asks)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def checked_address(host: str, port: int, allowed: AddressPolicy) -> Address:
    """The address to connect to for `host`; every address it resolves to must be allowed
    (one bad answer among good ones is refused too: a resolver may rotate them)."""
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as error:
            raise HostUnresolved(f"{host} did not resolve ({error})") from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    refused = [str(address) for address in addresses if not allowed(address)]
    if refused:
        raise DestinationRefused(
            f"refused: {host} resolves to {', '.join(refused)}, not a public address"
            " (CALLBACK_ALLOW_PRIVATE=true allows it)"
        )
    return addresses[0]

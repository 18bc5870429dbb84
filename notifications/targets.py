"""Which webhook targets we may connect to: the SSRF guard, at subscription and delivery time.

`check_url` vets a subscription's URL when it is stored. Names can resolve differently later (or
be rebound between a check and a connect), so deliveries go through `guarded_client`, whose
network backend resolves each name itself, vets every address and connects to a vetted address
only; TLS still verifies the certificate against the host name.

A refusal raises `TargetRefused`. Through `guarded_client` it is raised as is, not wrapped in an
httpx exception: httpx maps only httpcore's own exceptions to httpx ones and re-raises anything
else unchanged. Every other failure to deliver is an `httpx.HTTPError`; an attempt that runs past
its deadline (deadlines.py: name lookup, connect, TLS, request, status line and headers
together) is an `httpx.TimeoutException`.
"""

import socket
import ssl
import time
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import Any, Protocol

import httpcore
import httpx

from notifications import deadlines

DEFAULT_TIMEOUT = 15.0

_SHARED_ADDRESS_SPACE = ip_network("100.64.0.0/10")
# Already link-local or unique-local, but named so that no future change to the range checks
# can let a webhook read cloud credentials (AWS, GCP, Azure; AWS over IPv6).
_METADATA_ADDRESSES = frozenset({ip_address("169.254.169.254"), ip_address("fd00:ec2::254")})
_NAT64 = ip_network("64:ff9b::/96")

IPAddress = IPv4Address | IPv6Address


class TargetRefused(Exception):
    """A webhook target we will not connect to.

    `reason` is one of `scheme_not_allowed`, `credentials_in_url`, `address_not_allowed`,
    `unresolvable`, `bad_url`. The message holds the reason and at most the host name: it may be
    shown to the subscriber, who must not learn our internal addresses from it.
    """

    def __init__(self, reason: str, host: str | None = None) -> None:
        super().__init__(f"{reason}: {host}" if host else reason)
        self.reason = reason
        self.host = host


class Resolver(Protocol):
    def resolve(self, host: str, port: int) -> list[str]:
        """IP address strings for `host`; raises OSError or returns [] when it has none."""
        ...


class SystemResolver:
    """Resolves through the operating system (`socket.getaddrinfo`)."""

    def resolve(self, host: str, port: int) -> list[str]:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: IPAddress) -> bool:
    """Whether `address` is on the public internet, also when IPv6 wraps an IPv4 address."""
    if address in _METADATA_ADDRESSES:
        return False
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        # 6to4, Teredo and NAT64 relay to the IPv4 address they carry.
        wrapped: list[IPAddress] = list(address.teredo or ())
        if address.sixtofour is not None:
            wrapped.append(address.sixtofour)
        if address in _NAT64:
            wrapped.append(IPv4Address(int(address) & 0xFFFFFFFF))
        if not all(is_public(inner) for inner in wrapped):
            return False
        if address.is_site_local:
            return False
    # is_global alone lets multicast through, and its exact ranges differ between Python patch
    # releases; the explicit flags keep the listed ranges refused whatever the release.
    return (
        address.is_global
        and not address.is_private
        and not address.is_loopback
        and not address.is_link_local
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_unspecified
        and address not in _SHARED_ADDRESS_SPACE
    )


def _parse_address(text: str) -> IPAddress | None:
    try:
        return ip_address(text)
    except ValueError:
        return None


def vet_host(host: str, port: int, *, allow_private: bool, resolver: Resolver) -> list[str]:
    """The addresses of `host` (an IP literal or a name), refusing non-public ones unless
    `allow_private`. A name is refused when any of its addresses is non-public."""
    literal = _parse_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            answers = resolver.resolve(host, port)
        except (OSError, UnicodeError):
            raise TargetRefused("unresolvable", host) from None
        parsed = [_parse_address(answer) for answer in answers]
        if not parsed or None in parsed:
            raise TargetRefused("unresolvable", host)
        addresses = [address for address in parsed if address is not None]
    if not allow_private and not all(is_public(address) for address in addresses):
        raise TargetRefused("address_not_allowed", host)
    return [str(address) for address in addresses]


def _host_and_port(url: httpx.URL, *, allow_private: bool) -> tuple[str, int]:
    allowed = ("http", "https") if allow_private else ("https",)
    if url.scheme not in allowed:
        raise TargetRefused("scheme_not_allowed")
    if url.userinfo:
        raise TargetRefused("credentials_in_url")
    host = url.raw_host.decode("ascii")
    if not host:
        raise TargetRefused("bad_url")
    return host, url.port or (443 if url.scheme == "https" else 80)


def check_url(url: str, *, allow_private: bool, resolver: Resolver) -> list[str]:
    """Vet a webhook URL: https only (http too when `allow_private`), no credentials, and a host
    whose every address is public (anything resolvable when `allow_private`). Returns the
    vetted addresses."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise TargetRefused("bad_url") from None
    host, port = _host_and_port(parsed, allow_private=allow_private)
    return vet_host(host, port, allow_private=allow_private, resolver=resolver)


class GuardedBackend(httpcore.SyncBackend):
    """An httpcore network backend that connects only to addresses it has just vetted."""

    def __init__(self, *, allow_private: bool, resolver: Resolver) -> None:
        self._allow_private = allow_private
        self._resolver = resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        addresses = deadlines.resolve(
            lambda: vet_host(host, port, allow_private=self._allow_private, resolver=self._resolver)
        )
        # One connect timeout for the whole attempt, however many addresses the name has.
        timeout = deadlines.left(timeout, httpcore.ConnectTimeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        failure: Exception = httpcore.ConnectError(f"could not connect to {host}")
        for address in addresses:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise httpcore.ConnectTimeout(f"timed out connecting to {host}")
            try:
                # An IP literal: the socket connects to it without resolving anything again.
                stream = super().connect_tcp(
                    address,
                    port,
                    timeout=remaining,
                    local_address=local_address,
                    socket_options=socket_options,
                )
                return deadlines.DeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure


class GuardedTransport(httpx.HTTPTransport):
    """`httpx.HTTPTransport` whose connections go through `GuardedBackend`, which refuses
    request URLs that `check_url` would refuse before any resolving, and which gives each
    request `deadline` seconds up to the last header byte of the answer."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver,
        ssl_context: ssl.SSLContext | None = None,
        deadline: float = DEFAULT_TIMEOUT,
    ) -> None:
        context = ssl_context or httpx.create_ssl_context(trust_env=False)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        super().__init__(verify=context, trust_env=False, limits=limits)
        # httpx 0.28 takes no network backend (encode/httpx#3749 proposes one), so the pool it
        # built is replaced by the same pool with ours. Fail closed if httpx's layout changes:
        # setting an attribute nothing reads would silently disable the guard.
        if not isinstance(self.__dict__.get("_pool"), httpcore.ConnectionPool):
            raise RuntimeError("httpx.HTTPTransport no longer keeps its pool in _pool")
        self._allow_private = allow_private
        self._deadline = deadline
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private=allow_private, resolver=resolver),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _host_and_port(request.url, allow_private=self._allow_private)
        with deadlines.attempt(self._deadline) as running:
            try:
                return super().handle_request(request)
            except httpx.TransportError as error:
                # Cut off by the watchdog, the call in progress fails as a read, write or
                # protocol error; it is the deadline that ended it.
                if running.expired and not isinstance(error, httpx.TimeoutException):
                    raise httpx.ReadTimeout(
                        f"no answer within {self._deadline:g} s", request=request
                    ) from error
                raise


class _NoRedirectClient(httpx.Client):
    # A redirect answer is the receiver's answer, not a new target: a per-request
    # follow_redirects=True must not turn it into one.
    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        kwargs["follow_redirects"] = False
        return super().send(request, **kwargs)


def guarded_client(
    *, allow_private: bool, resolver: Resolver, timeout: float = DEFAULT_TIMEOUT
) -> httpx.Client:
    """An httpx client for webhook deliveries: vetted addresses only, no redirects, no proxies
    or other settings from the environment, and `timeout` seconds for the whole exchange of a
    request up to its answer's headers (the body is not read)."""
    return _NoRedirectClient(
        transport=GuardedTransport(
            allow_private=allow_private, resolver=resolver, deadline=timeout
        ),
        follow_redirects=False,
        trust_env=False,
        timeout=timeout,
    )

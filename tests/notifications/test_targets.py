import datetime as dt
import ipaddress
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from notifications.targets import (
    GuardedTransport,
    SystemResolver,
    TargetRefused,
    check_url,
    guarded_client,
    is_public,
)
from tests.receiver import Trickler, trickling

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


class StubResolver:
    """Answers from a dict, one list of answers per call when given a list of lists."""

    def __init__(self, answers: dict[str, list[str] | list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, int]] = []

    def resolve(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        answer = self.answers.get(host, [])
        if answer and isinstance(answer[0], list):
            return answer.pop(0) if len(answer) > 1 else answer[0]
        return list(answer)


class _Handler(BaseHTTPRequestHandler):
    server: "_RecordingServer"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.server.requests.append((self.path, body))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("location", "http://elsewhere.test/landing")
            self.send_header("content-length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


class _RecordingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.requests: list[tuple[str, bytes]] = []
        self.server_names: list[str | None] = []

    def verify_request(self, request: object, client_address: object) -> bool:
        self.connections += 1
        return True


def _serve(server: _RecordingServer) -> Iterator[_RecordingServer]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def server() -> Iterator[_RecordingServer]:
    yield from _serve(_RecordingServer())


@pytest.fixture(scope="module")
def tls_material() -> tuple[bytes, bytes, bytes]:
    """A CA certificate, and a certificate and key it issued for `hooks.test`."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wijkdeel test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.test")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return ca.public_bytes(pem), leaf.public_bytes(pem), key_pem


@pytest.fixture
def tls_server(tls_material, tmp_path) -> Iterator[_RecordingServer]:
    _, cert_pem, key_pem = tls_material
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key_pem)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = _RecordingServer()

    def remember_server_name(sock: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> None:
        server.server_names.append(name)

    context.sni_callback = remember_server_name
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from _serve(server)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]",
        "http://10.0.0.1",
        "https://192.168.1.5",
        "http://[::ffff:127.0.0.1]",
        "https://0.0.0.0",
        "https://100.64.0.1",
        "https://[fe80::1]",
        "https://[fd00::1]",
        "https://224.0.0.1",
        "https://[2002:7f00:1::]",
        "https://[64:ff9b::a00:1]",
    ],
)
def test_local_and_private_targets_are_refused(url):
    with pytest.raises(TargetRefused) as refused:
        check_url(url, allow_private=False, resolver=StubResolver({}))
    assert refused.value.reason in {"address_not_allowed", "scheme_not_allowed"}
    if url.startswith("https"):
        assert refused.value.reason == "address_not_allowed"


def test_a_name_that_resolves_to_loopback_is_refused_naming_only_the_host():
    resolver = StubResolver({"evil.example.org": ["127.0.0.1"]})
    with pytest.raises(TargetRefused) as refused:
        check_url("https://evil.example.org/hook", allow_private=False, resolver=resolver)
    assert refused.value.reason == "address_not_allowed"
    assert str(refused.value) == "address_not_allowed: evil.example.org"


def test_a_name_is_refused_when_any_of_its_addresses_is_private():
    resolver = StubResolver({"mixed.example.org": [PUBLIC_V4, "10.0.0.7"]})
    with pytest.raises(TargetRefused, match="address_not_allowed"):
        check_url("https://mixed.example.org", allow_private=False, resolver=resolver)


def test_a_public_https_target_passes_and_returns_its_addresses():
    resolver = StubResolver({"hooks.example.org": [PUBLIC_V4, PUBLIC_V6]})
    vetted = check_url("https://hooks.example.org/wh", allow_private=False, resolver=resolver)
    assert vetted == [PUBLIC_V4, PUBLIC_V6]
    assert resolver.calls == [("hooks.example.org", 443)]


def test_plain_http_needs_allow_private_even_for_a_public_address():
    resolver = StubResolver({"hooks.example.org": [PUBLIC_V4]})
    with pytest.raises(TargetRefused) as refused:
        check_url("http://hooks.example.org", allow_private=False, resolver=resolver)
    assert refused.value.reason == "scheme_not_allowed"
    assert check_url("http://hooks.example.org:8080", allow_private=True, resolver=resolver)
    assert resolver.calls == [("hooks.example.org", 8080)]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.org", "scheme_not_allowed"),
        ("file:///etc/passwd", "scheme_not_allowed"),
        ("https://user:secret@hooks.example.org", "credentials_in_url"),
        ("https://token@hooks.example.org", "credentials_in_url"),
        ("https://nowhere.example.org", "unresolvable"),
        ("https://", "bad_url"),
        ("https://[::1", "bad_url"),
        ("hooks.example.org/path", "scheme_not_allowed"),
    ],
)
def test_malformed_targets_are_refused_for_a_stable_reason(url, reason):
    resolver = StubResolver({"hooks.example.org": [PUBLIC_V4]})
    for allow_private in (False, True):
        with pytest.raises(TargetRefused) as refused:
            check_url(url, allow_private=allow_private, resolver=resolver)
        assert refused.value.reason == reason
        assert "secret" not in str(refused.value)


def test_a_resolver_answer_that_is_not_an_address_is_unresolvable():
    resolver = StubResolver({"odd.example.org": ["not-an-ip"]})
    with pytest.raises(TargetRefused, match="unresolvable"):
        check_url("https://odd.example.org", allow_private=True, resolver=resolver)


def test_allow_private_allows_anything_resolvable():
    resolver = StubResolver({"care-team.local": ["10.1.2.3"]})
    assert check_url("http://care-team.local", allow_private=True, resolver=resolver) == [
        "10.1.2.3"
    ]
    assert check_url("http://[::1]:8000", allow_private=True, resolver=resolver) == ["::1"]


def test_system_resolver_resolves_an_ip_literal_without_the_network():
    assert SystemResolver().resolve("127.0.0.1", 80) == ["127.0.0.1"]


@given(
    st.sampled_from(
        [
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "224.0.0.0/4",
            "240.0.0.0/4",
        ]
    ).flatmap(lambda network: st.ip_addresses(v=4, network=network))
)
def test_no_address_from_a_refused_ipv4_range_is_public_nor_its_ipv6_wrappings(address):
    assert not is_public(address)
    assert not is_public(ipaddress.IPv6Address(f"::ffff:{address}"))
    assert not is_public(ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80)))
    assert not is_public(ipaddress.IPv6Address(f"64:ff9b::{address}"))


@given(
    st.sampled_from(["::1/128", "::/128", "fc00::/7", "fe80::/10", "ff00::/8"]).flatmap(
        lambda network: st.ip_addresses(v=6, network=network)
    )
)
def test_no_address_from_a_refused_ipv6_range_is_public(address):
    assert not is_public(address)


def test_public_addresses_are_public():
    for text in (PUBLIC_V4, PUBLIC_V6, "1.1.1.1", f"::ffff:{PUBLIC_V4}"):
        assert is_public(ipaddress.ip_address(text))


def test_guarded_client_delivers_to_a_local_server_when_private_is_allowed(server):
    port = server.server_address[1]
    resolver = StubResolver({"care-team.test": ["127.0.0.1"]})
    with guarded_client(allow_private=True, resolver=resolver) as client:
        by_literal = client.post(f"http://127.0.0.1:{port}/literal", content=b"{}")
        by_name = client.post(f"http://care-team.test:{port}/named", content=b'{"a":1}')
    assert (by_literal.status_code, by_name.status_code) == (200, 200)
    assert server.requests == [("/literal", b"{}"), ("/named", b'{"a":1}')]
    assert resolver.calls == [("care-team.test", port)]


def test_guarded_client_refuses_a_loopback_name_before_connecting(server):
    port = server.server_address[1]
    resolver = StubResolver({"evil.example.org": ["127.0.0.1"]})
    with (
        guarded_client(allow_private=False, resolver=resolver) as client,
        pytest.raises(TargetRefused) as refused,
    ):
        client.post(f"https://evil.example.org:{port}/hook", content=b"{}")
    assert refused.value.reason == "address_not_allowed"
    assert server.connections == 0


def test_guarded_client_refuses_a_name_rebound_after_the_check(server):
    port = server.server_address[1]
    url = f"https://rebind.example.org:{port}/hook"
    resolver = StubResolver({"rebind.example.org": [[PUBLIC_V4], ["127.0.0.1"]]})
    assert check_url(url, allow_private=False, resolver=resolver) == [PUBLIC_V4]
    with (
        guarded_client(allow_private=False, resolver=resolver) as client,
        pytest.raises(TargetRefused, match="address_not_allowed"),
    ):
        client.post(url, content=b"{}")
    assert server.connections == 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.org/hook", "scheme_not_allowed"),
        ("https://user:pw@hooks.example.org/hook", "credentials_in_url"),
    ],
)
def test_guarded_client_refuses_bad_urls_without_resolving(url, reason):
    resolver = StubResolver({"hooks.example.org": [PUBLIC_V4]})
    with (
        guarded_client(allow_private=False, resolver=resolver) as client,
        pytest.raises(TargetRefused) as refused,
    ):
        client.post(url, content=b"{}")
    assert refused.value.reason == reason
    assert resolver.calls == []


def test_guarded_client_connects_to_the_vetted_addresses_not_the_name(monkeypatch):
    dialled: list[tuple[str, int]] = []

    def record(self, host, port, timeout=None, local_address=None, socket_options=None):
        dialled.append((host, port))
        raise httpcore.ConnectError("no outside traffic in tests")

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", record)
    resolver = StubResolver({"hooks.example.org": [PUBLIC_V4, PUBLIC_V6]})
    with (
        guarded_client(allow_private=False, resolver=resolver) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.post("https://hooks.example.org/hook", content=b"{}")
    assert dialled == [(PUBLIC_V4, 443), (PUBLIC_V6, 443)]


@pytest.mark.parametrize("follow_redirects", [None, True])
def test_guarded_client_returns_a_redirect_without_following_it(server, follow_redirects):
    port = server.server_address[1]
    resolver = StubResolver({"elsewhere.test": ["127.0.0.1"]})
    extra = {} if follow_redirects is None else {"follow_redirects": follow_redirects}
    with guarded_client(allow_private=True, resolver=resolver) as client:
        response = client.post(f"http://127.0.0.1:{port}/redirect", content=b"{}", **extra)
    assert response.status_code == 302
    assert response.headers["location"] == "http://elsewhere.test/landing"
    assert server.requests == [("/redirect", b"{}")]
    assert resolver.calls == []


def test_guarded_client_ignores_proxies_from_the_environment(server, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://10.9.9.9:3128")
    port = server.server_address[1]
    with guarded_client(allow_private=True, resolver=StubResolver({})) as client:
        assert client.post(f"http://127.0.0.1:{port}/direct", content=b"{}").status_code == 200
    assert server.requests == [("/direct", b"{}")]


def test_guarded_client_times_out_after_15_seconds_by_default():
    with guarded_client(allow_private=False, resolver=StubResolver({})) as client:
        assert client.timeout == httpx.Timeout(15.0)
        assert client.follow_redirects is False


def test_tls_uses_the_host_name_for_sni_and_certificate_while_dialling_the_ip(
    tls_server, tls_material
):
    port = tls_server.server_address[1]
    trust = ssl.create_default_context(cadata=tls_material[0].decode())
    resolver = StubResolver({"hooks.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    transport = GuardedTransport(allow_private=True, resolver=resolver, ssl_context=trust)
    with httpx.Client(transport=transport, trust_env=False) as client:
        assert client.post(f"https://hooks.test:{port}/tls", content=b"{}").status_code == 200
        with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
            client.post(f"https://other.test:{port}/tls", content=b"{}")
    assert tls_server.requests == [("/tls", b"{}")]
    assert tls_server.server_names == ["hooks.test", "other.test"]


# A deadline far shorter than the trickle: without one each of these would take minutes.
DEADLINE = 1.0
GENEROUS = 10.0


def test_headers_trickled_a_byte_at_a_time_are_cut_off_at_the_deadline():
    with trickling(Trickler(interval=0.2)) as slow:
        transport = GuardedTransport(
            allow_private=True, resolver=StubResolver({}), deadline=DEADLINE
        )
        started = time.monotonic()
        with (
            httpx.Client(transport=transport, trust_env=False, timeout=5.0) as client,
            pytest.raises(httpx.TimeoutException),
        ):
            client.post(slow.url, content=b"{}")
        took = time.monotonic() - started
        slow.wait_for(1)
        time.sleep(0.5)  # for the receiver to notice the hang-up
    [connection] = slow.connections
    # The receiver was still answering (each byte well inside the 5 s per read) when cut off.
    assert 0 < connection.sent < len(slow.trickle)
    assert connection.closed_at is not None
    assert took < GENEROUS and connection.closed_at - connection.accepted_at < GENEROUS


def test_a_tls_handshake_trickled_a_byte_at_a_time_is_cut_off_at_the_deadline():
    # A TLS record header announcing a 16 KiB handshake message, then its bytes one by one:
    # the handshake is a single call that reads many times under one socket timeout.
    slow = Trickler(interval=0.2, prefix=b"\x16\x03\x03\x40\x00", trickle=bytes(16384), http=False)
    with trickling(slow):
        transport = GuardedTransport(
            allow_private=True,
            resolver=StubResolver({"slow.test": ["127.0.0.1"]}),
            ssl_context=ssl.create_default_context(),
            deadline=DEADLINE,
        )
        started = time.monotonic()
        with (
            httpx.Client(transport=transport, trust_env=False, timeout=5.0) as client,
            pytest.raises(httpx.TimeoutException),
        ):
            client.post(f"https://slow.test:{slow.port}/hook", content=b"{}")
        took = time.monotonic() - started
        slow.wait_for(1)
        time.sleep(0.5)
    [connection] = slow.connections
    assert 0 < connection.sent < len(slow.trickle)
    assert connection.closed_at is not None and took < GENEROUS


def test_a_name_lookup_that_hangs_counts_against_the_deadline():
    release = threading.Event()

    class HangingResolver:
        def resolve(self, host: str, port: int) -> list[str]:
            release.wait(60)
            return ["127.0.0.1"]

    transport = GuardedTransport(allow_private=True, resolver=HangingResolver(), deadline=DEADLINE)
    started = time.monotonic()
    try:
        with (
            httpx.Client(transport=transport, trust_env=False, timeout=30.0) as client,
            pytest.raises(httpx.ConnectTimeout),
        ):
            client.post("http://hanging.test:9/hook", content=b"{}")
    finally:
        release.set()
    assert time.monotonic() - started < GENEROUS


class _KeepAliveHandler(_Handler):
    protocol_version = "HTTP/1.1"


def test_a_kept_alive_connection_outlives_the_deadline_of_the_attempt_that_opened_it():
    keeping = _RecordingServer()
    keeping.RequestHandlerClass = _KeepAliveHandler
    for running in _serve(keeping):
        port = running.server_address[1]
        transport = GuardedTransport(
            allow_private=True, resolver=StubResolver({}), deadline=DEADLINE
        )
        with httpx.Client(transport=transport, trust_env=False) as client:
            for _ in range(3):
                answer = client.post(f"http://127.0.0.1:{port}/ok", content=b"{}")
                assert answer.status_code == 200
                time.sleep(DEADLINE * 0.7)  # past the first attempt's deadline by the second
        assert running.connections == 1 and len(running.requests) == 3

"""The SSRF guard: which addresses are refused, and that the check happens at connect time."""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import ssl
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import pytest

from crawlers import (
    AddressPolicy,
    BlockedAddressError,
    FetchConfig,
    Fetcher,
    PermanentFetchError,
    TransientFetchError,
    guarded_transport,
)
from crawlers._guard import GuardedBackend, GuardedTransport
from tests.crawlers.conftest import Publisher

GUARDED = FetchConfig(block_private_addresses=True, retries=0, per_host_interval=0.0)
LOCAL_ONLY = FetchConfig(
    block_private_addresses=True,
    allow_networks=("127.0.0.1/32",),
    retries=0,
    per_host_interval=0.0,
)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
    ],
)
def test_non_public_addresses_are_refused_with_their_kind(address: str, reason: str) -> None:
    assert AddressPolicy().blocked_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert AddressPolicy().blocked_reason(ipaddress.ip_address(address)) is None


def test_allowed_networks_pass_but_metadata_inside_them_does_not() -> None:
    policy = AddressPolicy.from_cidrs(["127.0.0.1/32", "169.254.0.0/16", "10.0.0.0/8"])
    assert policy.blocked_reason(ipaddress.ip_address("127.0.0.1")) is None
    assert policy.blocked_reason(ipaddress.ip_address("127.0.0.2")) == "loopback"
    assert policy.blocked_reason(ipaddress.ip_address("10.9.9.9")) is None
    metadata = ipaddress.ip_address("169.254.169.254")
    assert policy.blocked_reason(metadata) == "cloud metadata"
    assert AddressPolicy.from_cidrs(["169.254.169.254/32"]).blocked_reason(metadata) is None


def test_config_refuses_bad_networks() -> None:
    with pytest.raises(ValueError, match="allow_networks"):
        FetchConfig(allow_networks=("not-a-network",))
    with pytest.raises(ValueError, match="tuple"):
        FetchConfig(allow_networks="127.0.0.1/32")  # type: ignore[arg-type]


async def test_loopback_literal_is_refused_naming_the_address(publisher: Publisher, token: str):
    async with Fetcher(config=GUARDED) as fetcher:
        with pytest.raises(BlockedAddressError) as info:
            await fetcher.get(f"{publisher.base}/stamp/{token}")
    assert info.value.address == "127.0.0.1"
    assert "loopback address 127.0.0.1" in str(info.value)
    assert info.value.url == f"{publisher.base}/stamp/{token}"
    assert isinstance(info.value, PermanentFetchError)
    assert publisher.seen("stamp", token) == []


async def test_host_name_is_refused_after_resolution(publisher: Publisher, token: str):
    """``localhost`` goes through the system resolver (the hosts file: no network)."""
    url = publisher.base.replace("127.0.0.1", "localhost") + f"/stamp/{token}"
    async with Fetcher(config=GUARDED) as fetcher:
        with pytest.raises(BlockedAddressError, match="loopback"):
            await fetcher.get(url)
    assert publisher.seen("stamp", token) == []


async def test_allowed_network_is_fetched(publisher: Publisher, token: str):
    async with Fetcher(config=LOCAL_ONLY) as fetcher:
        result = await fetcher.get(f"{publisher.base}/stamp/{token}")
    assert result.content == b"stamped"


class CountingResolver:
    """A DNS server under the test's control: answers per host name, counts questions."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        replies = self.answers[host]
        return replies[min(len(self.asked) - 1, len(replies) - 1)]


async def test_connection_goes_to_the_checked_address_with_the_host_name_kept(
    publisher: Publisher, token: str
):
    port = urlsplit(publisher.base).port
    resolver = CountingResolver({"news.example": [["127.0.0.1"]]})
    async with Fetcher(config=LOCAL_ONLY, resolver=resolver) as fetcher:
        result = await fetcher.get(f"http://news.example:{port}/stamp/{token}")
    assert result.content == b"stamped"
    assert resolver.asked == ["news.example"]  # resolved once, for the one connection
    assert publisher.headers("stamp", token)[0]["host"] == f"news.example:{port}"


async def test_dns_rebinding_cannot_slip_between_check_and_connect(
    publisher: Publisher, token: str
):
    """The first answer is private: refused, and no second question is asked."""
    port = urlsplit(publisher.base).port
    resolver = CountingResolver({"rebind.example": [["127.0.0.1"], ["93.184.216.34"]]})
    async with Fetcher(config=GUARDED, resolver=resolver) as fetcher:
        with pytest.raises(BlockedAddressError, match=r"127\.0\.0\.1"):
            await fetcher.get(f"http://rebind.example:{port}/stamp/{token}")
    assert resolver.asked == ["rebind.example"]
    assert publisher.seen("stamp", token) == []


async def test_one_private_address_among_public_ones_refuses_the_host():
    resolver = CountingResolver({"mixed.example": [["93.184.216.34", "10.0.0.7"]]})
    async with Fetcher(config=GUARDED, resolver=resolver) as fetcher:
        with pytest.raises(BlockedAddressError) as info:
            await fetcher.get("http://mixed.example/feed")
    assert info.value.address == "10.0.0.7"


async def test_every_redirect_hop_is_checked(publisher: Publisher, token: str):
    port = urlsplit(publisher.base).port
    resolver = CountingResolver(
        {"news.example": [["127.0.0.1"]], "metadata.example": [["169.254.169.254"]]}
    )
    target = "http://metadata.example/latest/meta-data/iam/"
    url = f"http://news.example:{port}/redirect/{token}?to={target}"
    async with Fetcher(config=LOCAL_ONLY, resolver=resolver) as fetcher:
        with pytest.raises(BlockedAddressError, match=r"cloud metadata address 169\.254\.169\.254"):
            await fetcher.get(url)
    assert len(publisher.seen("redirect", token)) == 1  # the first hop was allowed and made
    assert resolver.asked == ["news.example", "metadata.example"]


async def test_ipv6_metadata_literal_is_refused():
    async with Fetcher(config=GUARDED) as fetcher:
        with pytest.raises(BlockedAddressError, match="fd00:ec2::254"):
            await fetcher.get("http://[fd00:ec2::254]/latest/meta-data/")


# -- TLS: the connection goes to the checked IP, certificate and SNI stay the host name -------


def make_certificate(directory: Path, name: str) -> Path:
    """A self-signed certificate for ``name`` (key and cert in one PEM), made by openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    pem = directory / f"{name}.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
            "-keyout", str(pem), "-out", str(pem),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return pem


async def tls_server(pem: Path, seen: dict[str, str]) -> tuple[asyncio.Server, int]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pem)

    def remember_sni(sock: ssl.SSLObject, server_name: str | None, ctx: ssl.SSLContext) -> None:
        seen["sni"] = server_name or ""

    context.sni_callback = remember_sni  # type: ignore[assignment]

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        for line in head.decode("latin-1").split("\r\n"):
            if line.lower().startswith("host:"):
                seen["host"] = line.split(":", 1)[1].strip()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecure")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    return server, server.sockets[0].getsockname()[1]


async def get_over_tls(client: str, pem: Path, resolver: CountingResolver, url: str) -> bytes:
    """GET ``url`` with the crawler's ``Fetcher`` or with the guarded httpx2 client
    (hub and webhook requests), both trusting the certificate ``pem`` only."""
    trusted = ssl.create_default_context(cafile=str(pem))
    if client == "fetcher":
        async with Fetcher(config=LOCAL_ONLY, resolver=resolver, ssl_context=trusted) as fetcher:
            return (await fetcher.get(url)).content
    backend = GuardedBackend(AddressPolicy.from_cidrs(["127.0.0.1/32"]), resolver=resolver)
    limits = httpx2.Limits(max_connections=4)
    transport = GuardedTransport(limits=limits, backend=backend, ssl_context=trusted)
    async with httpx2.AsyncClient(transport=transport, trust_env=False) as http:
        return (await http.get(url)).content


@pytest.mark.parametrize("client", ["fetcher", "httpx2"])
async def test_tls_keeps_sni_and_certificate_checks_on_the_host_name(tmp_path: Path, client: str):
    pem = make_certificate(tmp_path, "news.example")
    seen: dict[str, str] = {}
    server, port = await tls_server(pem, seen)
    resolver = CountingResolver({"news.example": [["127.0.0.1"]]})
    async with server:
        content = await get_over_tls(client, pem, resolver, f"https://news.example:{port}/")
    assert content == b"secure"
    assert seen == {"sni": "news.example", "host": f"news.example:{port}"}
    assert resolver.asked == ["news.example"]


@pytest.mark.parametrize("client", ["fetcher", "httpx2"])
async def test_tls_certificate_for_another_name_is_refused(tmp_path: Path, client: str):
    pem = make_certificate(tmp_path, "other.example")
    server, port = await tls_server(pem, {})
    resolver = CountingResolver({"news.example": [["127.0.0.1"]]})
    refused = (TransientFetchError, httpx2.ConnectError)
    async with server:
        with pytest.raises(refused, match=r"[Cc]ertificate|hostname"):
            await get_over_tls(client, pem, resolver, f"https://news.example:{port}/")


async def test_guarded_transport_for_other_clients(publisher: Publisher, token: str):
    """What a WebSub subscriber uses to POST to a hub a feed names."""
    url = f"{publisher.base}/stamp/{token}"
    async with httpx2.AsyncClient(transport=guarded_transport(), trust_env=False) as client:
        with pytest.raises(BlockedAddressError, match="loopback"):
            await client.get(url)
    allowed = guarded_transport(("127.0.0.1/32",))
    async with httpx2.AsyncClient(transport=allowed, trust_env=False) as client:
        assert (await client.get(url)).text == "stamped"
    assert len(publisher.seen("stamp", token)) == 1

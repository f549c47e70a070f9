"""The HTTP layer every hosted provider client shares: kept-alive connections, typed failures.

Transport: the standard library's ``http.client``, with a small pool of kept-alive connections per
host (this module), rather than ``requests`` or the ``urllib3`` pools under it. With hundreds of jobs
followed at once on one GIL, the client's CPU per call is most of the scheduler's overhead, and those
libraries spend more of it than the whole rest of a job's bookkeeping: one poll of the local Runway
server costs ~1.1–1.4 ms of client CPU through a ``requests.Session``, ~0.5–0.7 ms through urllib3's
``PoolManager`` and ~0.3–0.4 ms here (``python benchmarks/bench_generate.py --http``); 400 jobs,
16 at once, end at ~1.2 × the ideal makespan this way against ~1.4 × with urllib3 in the same
conditions. What those libraries did for us is the part below: JSON bodies, query strings, multipart
uploads, TLS checked against certifi's (or ``REQUESTS_CA_BUNDLE``'s) certificates,
``HTTP(S)_PROXY``/``NO_PROXY`` (a CONNECT tunnel for HTTPS), redirects for reads, and never reusing a
connection the server has closed.

What it guarantees (reference §7):

- explicit ``(connect, read)`` timeouts on every request, and **no automatic retries** (a POST that
  timed out after it was sent may have created a paid job: that is :class:`AmbiguousSubmit`, never a
  silent second POST); a create never follows a redirect either;
- transport and HTTP failures become the typed errors of :mod:`shotreel.generation.base`:
  429 → :class:`RetryLater` with the ``Retry-After`` value, 5xx → :class:`RetryLater` (but
  :class:`AmbiguousSubmit` for a create: the job may have been made before the server failed), a
  connection that could not be opened → :class:`RetryLater`, a timeout or reset *after* a create was sent →
  :class:`AmbiguousSubmit`, 401/403 → :class:`AuthFailed`, 402 or a credit/balance message →
  :class:`OutOfCredit`, 400/422 → :class:`BadRequest` unless the body names content →
  :class:`ModerationBlocked`;
- downloads stream into :func:`shotreel.fsutil.atomic_file` (a short read or a full disk leaves
  nothing behind) and never carry the provider's credentials (result URLs are signed links on other
  hosts; a redirect to another host drops the provider's headers too), and an expired result URL
  (403/404/410) is :class:`ResultExpired`;
- downloads are bounded: a result larger than ``max_bytes`` (what the take can be,
  :func:`~shotreel.generation.base.take_byte_limit`) is refused from its ``Content-Length`` before a byte
  of the body is read, and while it streams when it declares none or lies — :class:`ResultRefused`;
- every connection to a host other than the provider's own (``private_hosts``) goes only to public
  addresses: the host is resolved here, a link-local (169.254.169.254, the cloud metadata service),
  private, loopback, shared or reserved address is refused (:class:`ResultRefused`, before anything is
  sent, on the first URL and on every redirect), and the connection is made to exactly the addresses
  that were checked (a second DNS answer cannot swap them); ``private_hosts=True`` (a local ComfyUI)
  allows every address;
- every message names the provider and the shot and never the key: ``Authorization`` values and the key
  itself are scrubbed from any text that reaches an error.

Providers pass a ``classify`` hook to read their own error envelopes (Kling's ``code``, fal's
``detail[].type``) before the generic rules apply.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import http.client
import ipaddress
import json
import os
import re
import select
import socket
import ssl
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlencode, urljoin, urlsplit

from ... import __version__
from ...fsutil import atomic_file
from ..base import (
    DEFAULT_MAX_TAKE_BYTES,
    AmbiguousSubmit,
    AuthFailed,
    BadRequest,
    DiskFull,
    GenerationError,
    ModerationBlocked,
    OutOfCredit,
    ResultExpired,
    ResultRefused,
    RetryLater,
    Unreachable,
    remember_sha256,
)

DEFAULT_TIMEOUT = (4.0, 60.0)  # seconds: (connect, read); a server not there is said within 5 s
DOWNLOAD_TIMEOUT = (10.0, 120.0)
CHUNK = 1 << 16
EXCERPT = 240

# Text in an error body that means the provider refused the content itself.
CONTENT_WORDS = re.compile(
    r"moderat|content[ _-]?polic|safety|nsfw|sensitive|inappropriate|flagged|not allowed|risk control"
    r"|prohibited|violat",
    re.IGNORECASE,
)
# Text that means the account is out of money or quota.
CREDIT_WORDS = re.compile(
    r"credit|balance|insufficient fund|resource pack|arrears|billing|top up|quota", re.IGNORECASE
)
# a credential after its scheme word: a token of 6+ characters with a digit in it ("Key provided" is prose)
_AUTH_VALUE = re.compile(r"\b(Bearer|Key|Token|Basic)\s+(?=[A-Za-z._~+/=:-]*\d)[A-Za-z0-9._~+/=:-]{6,}",
                         re.IGNORECASE)
_SECRET_FIELD = re.compile(
    r'("?(?:api[_-]?key|secret|token|authorization|password)"?\s*[:=]\s*)'
    r'(?!(?:Bearer|Key|Token|Basic)\s|\*\*\*)"?[^",\s}]+',
    re.IGNORECASE,
)

USER_AGENT = f"shotreel/{__version__}"
POOL_SIZE = 64  # kept-alive connections per host: enough for many jobs in flight
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
AMBIGUOUS_STATUSES = frozenset({408, *range(500, 600)})
"""Answers to a create that do not say the job was not made: a timeout or a server error may come after
the provider recorded (and will bill) the job. No provider documents otherwise (reference §1, §7)."""


class Response:
    """An HTTP answer, read whole: ``status_code``, ``headers`` (case-insensitive), ``content``, ``url``;
    ``text`` and ``json()`` decode it (the JSON once)."""

    __slots__ = ("_json", "content", "headers", "status_code", "url")

    def __init__(self, status_code: int, headers: Any, content: bytes, url: str):
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.url = url
        self._json: Any = _UNREAD

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}]>"

    @property
    def text(self) -> str:
        """The body as text (the charset of ``Content-Type``, else UTF-8; undecodable bytes replaced)."""
        charset = "utf-8"
        for part in (self.headers.get("Content-Type") or "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; :class:`ValueError` when it is not JSON."""
        if self._json is _UNREAD:
            try:
                self._json = json.loads(self.content)
            except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
                self._json = exc
        if isinstance(self._json, ValueError):
            raise self._json
        return self._json


_UNREAD = object()

# classify(response, body (JSON or None), scrubbed text excerpt, what, shot) -> a typed error or None
Classify = Callable[[Response, Any, str, str, "str | None"], "GenerationError | None"]


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret, ``Authorization`` value and ``key=...`` pair replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _AUTH_VALUE.sub(lambda m: f"{m.group(1)} ***", text)
    return _SECRET_FIELD.sub(lambda m: f"{m.group(1)}***", text)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class _Refused(Exception):
    """A connection shotreel will not make: the host resolves to a non-public address (the message says
    which, for :class:`ResultRefused`); ``url`` is the URL (the first or a redirect's) that led there."""

    url = ""


def _non_public(address: str) -> str | None:
    """What kind of non-public address ``address`` is (``link-local``, ``private`` …), or None if public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, flag in (("link-local", ip.is_link_local), ("loopback", ip.is_loopback),
                       ("unspecified", ip.is_unspecified), ("multicast", ip.is_multicast),
                       ("private", ip.is_private), ("reserved", ip.is_reserved)):
        if flag:
            return kind
    return None if ip.is_global else "non-public"


def vet_host(host: str, port: int) -> list[tuple[int, tuple[Any, ...]]]:
    """The addresses (``(family, sockaddr)``) ``host`` resolves to, all public; :class:`_Refused` naming the
    first that is not. An IP literal is checked without a lookup; a name that does not resolve gives an
    empty list (the connection then fails as an unknown host, as it would have)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    found: list[tuple[int, tuple[Any, ...]]] = []
    for family, _, _, _, sockaddr in infos:
        kind = _non_public(str(sockaddr[0]))
        if kind is not None:
            shown = host if host == sockaddr[0] else f"{host} ({sockaddr[0]})"
            raise _Refused(f"{shown}, a {kind} address")
        if (family, sockaddr) not in found:
            found.append((family, sockaddr))
    return found


def _pinned(addresses: list[tuple[int, tuple[Any, ...]]]) -> Callable[..., socket.socket]:
    """A ``create_connection`` for ``http.client`` that connects only to ``addresses`` (checked ones)."""
    def create(_address: tuple[str, int], timeout: float | None = None,
               source_address: tuple[str, int] | None = None) -> socket.socket:
        error: OSError | None = None
        for family, sockaddr in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                if timeout is not None:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise error or OSError("no address to connect to")

    return create


class NotSent(Exception):
    """A transport failure before any byte of the request left this machine (the cause is chained): no
    connection could be made, or the URL cannot be requested. Any other failure may have reached it."""


def _context() -> ssl.SSLContext:
    """The TLS context (made once): certificates from ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` /
    ``SSL_CERT_FILE`` when set, else certifi's bundle where installed, else the system's store."""
    global _SSL
    with _SSL_LOCK:
        if _SSL is None:
            path = (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                    or os.environ.get("SSL_CERT_FILE"))
            if not path:
                try:
                    import certifi

                    path = certifi.where()
                except ImportError:
                    path = None
            if path and os.path.isdir(path):
                _SSL = ssl.create_default_context(capath=path)
            else:
                _SSL = ssl.create_default_context(cafile=path)
        return _SSL


_SSL: ssl.SSLContext | None = None
_SSL_LOCK = threading.Lock()


class _Route:
    """How to reach one origin: directly, or through an HTTP proxy (plain, or a CONNECT tunnel for HTTPS)."""

    def __init__(self, scheme: str, host: str, port: int, proxy: str | None):
        self.scheme, self.host, self.port = scheme, host, port
        self.proxy_headers: dict[str, str] = {}
        self.via: tuple[str, int] | None = None
        if proxy:
            parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
            if parts.scheme != "http" or not parts.hostname:
                raise ValueError(f"unsupported proxy {parts.scheme}://{parts.hostname} "
                                 "(use an http:// proxy)")
            self.via = (parts.hostname, parts.port or 80)
            if parts.username is not None:
                token = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
                self.proxy_headers["Proxy-Authorization"] = "Basic " + base64.b64encode(token).decode("ascii")

    def connection(self, timeout: float,
                   addresses: list[tuple[int, tuple[Any, ...]]] | None = None) -> http.client.HTTPConnection:
        """A new, not yet connected, connection; with ``addresses`` (checked, :func:`vet_host`) a direct
        one connects to exactly those."""
        if addresses and self.via is None:
            conn: http.client.HTTPConnection
            if self.scheme == "https":
                conn = http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=_context())
            else:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            conn._create_connection = _pinned(addresses)  # type: ignore[attr-defined]
            return conn
        if self.scheme == "https":
            if self.via is not None:
                conn = http.client.HTTPSConnection(*self.via, timeout=timeout, context=_context())
                conn.set_tunnel(self.host, self.port, headers=self.proxy_headers)
                return conn
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=_context())
        if self.via is not None:
            return http.client.HTTPConnection(*self.via, timeout=timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def target(self, url: str, path: str) -> str:
        """What goes on the request line: the path, or the whole URL to a plain proxy."""
        return url if self.via is not None and self.scheme == "http" else path


class _Pool:
    """Kept-alive connections per origin; one that the server has closed is never handed out again."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = {}
        self._routes: dict[tuple[str, str, int], _Route] = {}
        self._lock = threading.Lock()

    def route(self, scheme: str, host: str, port: int) -> _Route:
        """The route to an origin, through ``HTTP(S)_PROXY`` unless ``NO_PROXY`` names it (looked up once)."""
        key = (scheme, host, port)
        found = self._routes.get(key)
        if found is None:
            proxies = urllib.request.getproxies()
            proxy = proxies.get(scheme) or proxies.get("all")
            if proxy and urllib.request.proxy_bypass(host):
                proxy = None
            found = self._routes[key] = _Route(scheme, host, port, proxy)
        return found

    def take(self, key: tuple[str, str, int]) -> http.client.HTTPConnection | None:
        """An idle connection to ``key`` still open at the other end, or None."""
        while True:
            with self._lock:
                idle = self._idle.get(key)
                conn = idle.pop() if idle else None
            if conn is None:
                return None
            try:  # readable while idle means closed by the server (or talking out of turn): drop it
                if conn.sock is not None and not select.select([conn.sock], [], [], 0)[0]:
                    return conn
            except (OSError, ValueError):
                pass
            conn.close()

    def give(self, key: tuple[str, str, int], conn: http.client.HTTPConnection) -> None:
        """Keep ``conn`` for the next request to ``key``."""
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < POOL_SIZE:
                idle.append(conn)
                return
        conn.close()

    def clear(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


class _Exchange:
    """One request sent and its answer's head read; the body is read by the caller, then :meth:`done`."""

    def __init__(self, pool: _Pool, method: str, url: str, headers: dict[str, str], body: bytes | None,
                 timeout: tuple[float, float], vet: Callable[[str], bool] | None = None):
        self.pool, self.url = pool, url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NotSent(f"not an http(s) URL: {parts.scheme}://{parts.hostname or ''}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            route = pool.route(parts.scheme, parts.hostname, port)
        except ValueError as exc:  # a bad port or an unsupported proxy
            raise NotSent(str(exc)) from exc
        self.key = (parts.scheme, parts.hostname, port)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn = pool.take(self.key)  # a kept connection went to checked addresses when it was made
        if conn is None:
            addresses = None
            if vet is not None and vet(parts.hostname):  # may raise _Refused: nothing is sent
                addresses = vet_host(parts.hostname, port)
            conn = route.connection(timeout[0], addresses)
            try:
                conn.connect()  # connect, TLS handshake (and the proxy's CONNECT) within the connect timeout
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                raise NotSent(type(exc).__name__) from exc
        self.conn = conn
        try:
            assert conn.sock is not None
            conn.sock.settimeout(timeout[1])
            if route.via is not None and route.scheme == "http":
                headers = {**headers, **route.proxy_headers}
            conn.request(method, route.target(url, path), body=body, headers=headers)
            self.response = conn.getresponse()
        except BaseException:
            conn.close()
            raise

    def done(self, reuse: bool = True) -> None:
        """Give the connection back (its answer read whole), or close it."""
        if reuse and not self.response.will_close and self.response.isclosed():
            self.pool.give(self.key, self.conn)
        else:
            self.conn.close()


class HttpClient:
    """A provider's HTTP client: typed failures, scrubbed messages, atomic downloads.

    ``auth_headers`` is called for every API request (so a JWT can be renewed); ``secrets`` returns
    every value that must never appear in a message. Downloads never send these headers (result URLs are
    signed CDN links on other hosts). ``private_hosts``: the host names that may resolve to a link-local,
    private or loopback address (the provider's configured host), or True for any (a local server); every
    other host must be public.
    """

    def __init__(
        self,
        provider: str,
        *,
        auth_headers: Callable[[], dict[str, str]] | None = None,
        secrets: Callable[[], Iterable[str]] | None = None,
        timeout: tuple[float, float] | float | None = None,
        headers: dict[str, str] | None = None,
        unreachable_hint: str = "check the network connection",
        private_hosts: Iterable[str] | bool = (),
    ):
        self.provider = provider
        # hosts that may be at a non-public address (the provider's own); True: any host (a local server)
        self.private_hosts: frozenset[str] | bool = (
            True if private_hosts is True else frozenset(h.lower() for h in (private_hosts or ())))
        self.unreachable_hint = unreachable_hint
        self._auth_headers = auth_headers or (dict)
        self._secrets = secrets or (lambda: ())
        self.timeout = _timeout(timeout, DEFAULT_TIMEOUT)
        self.headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity",
                        **(headers or {})}
        self._pool = _Pool()

    def __repr__(self) -> str:
        return f"<HttpClient {self.provider}>"

    def _must_vet(self, host: str) -> bool:
        """Whether a connection to ``host`` must go to public addresses only."""
        return self.private_hosts is not True and host.lower() not in self.private_hosts  # type: ignore[operator]

    def refused(self, what: str, url: str, why: str, shot: str | None) -> ResultRefused:
        """The one-line error for a connection refused by address."""
        parts = urlsplit(url)
        return self.error(ResultRefused, f"{what} refused: {parts.scheme}://{parts.netloc}{parts.path[:60]} "  # type: ignore[return-value]
                          f"leads to {why}; a hosted provider's results are fetched only from public addresses "
                          "(or the provider's own host)", shot)

    # -- messages -------------------------------------------------------------------------------
    def clean(self, text: str) -> str:
        """``text`` scrubbed of this provider's secrets and of any credential-looking value."""
        return scrub(str(text), list(self._secrets()))

    def error(
        self, cls: type[GenerationError], message: str, shot: str | None = None, **kw: Any
    ) -> GenerationError:
        """A typed error whose message starts with the provider's name and never holds a secret."""
        return cls(self.clean(f"{self.provider}: {message}"), shot=shot, **kw)

    def excerpt(self, response: Response) -> str:
        """A short, scrubbed, one-line excerpt of a response body for messages."""
        text = self.clean(" ".join(response.text.split()))  # masked before it is cut: no key straddles the cut
        return text[:EXCERPT] + ("…" if len(text) > EXCERPT else "")

    # -- requests -------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        shot: str | None = None,
        what: str = "request",
        create: bool = False,
        classify: Classify | None = None,
        auth: bool = True,
        ok: Iterable[int] = (),
        timeout: tuple[float, float] | float | None = None,
        headers: dict[str, str] | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        files: dict[str, tuple[str, Any, str]] | None = None,
    ) -> Response:
        """Send one request (never retried here) and return the whole response, or raise a typed error.

        ``create``: this request may start a paid job, so a failure after sending is
        :class:`AmbiguousSubmit` (and a redirect is not followed). ``ok``: extra statuses ≥ 400 returned
        instead of raised (e.g. 404 for a lookup). ``what`` names the operation in messages (``submit``,
        ``poll``). The body is ``json`` (encoded as JSON), or ``data`` form fields with ``files``
        (``{field: (filename, bytes or file, mime)}``) as multipart; ``params`` go in the query string.
        """
        sent = dict(self.headers)
        if headers:
            sent.update(headers)
        if auth:
            sent.update(self._auth_headers())
        body = _body(json, data, files, sent, self, shot, what)
        if params:
            url += ("&" if urlsplit(url).query else "?") + urlencode(
                {k: v for k, v in params.items() if v is not None}, doseq=True)
        limits = _timeout(timeout, self.timeout)
        try:
            exchange = self._exchange(method, url, sent, body, limits, follow=not create)
            try:
                content = exchange.response.read()
            except BaseException:
                exchange.done(reuse=False)
                raise
            exchange.done()
        except _Refused as exc:
            raise self.refused(what, exc.url, str(exc), shot) from None
        except (OSError, http.client.HTTPException, NotSent) as exc:
            raise self._transport_error(exc, what, shot, create, url) from None
        response = Response(exchange.response.status, exchange.response.headers, content, exchange.url)
        if response.status_code >= 400 and response.status_code not in ok:
            error = self.status_error(response, what, shot, classify=classify, create=create)
            if create and isinstance(error, RetryLater) and response.status_code in AMBIGUOUS_STATUSES:
                # a server error after the create arrived: the job may have been made before it failed
                # (reference §7: retry a create only on definite non-acceptance, i.e. 429)
                raise self.error(AmbiguousSubmit, f"{what}: HTTP {response.status_code} after the request was "
                                 f"sent ({self.excerpt(response)}); the job may exist — not sent again",
                                 shot, answered=True) from None
            raise error
        return response

    def _exchange(self, method: str, url: str, headers: dict[str, str], body: bytes | None,
                  limits: tuple[float, float], follow: bool) -> _Exchange:
        """Send the request; with ``follow``, follow up to ``MAX_REDIRECTS`` redirects (to another host
        without this provider's headers; 303, and 301/302 after a POST, as a GET without a body)."""
        origin = urlsplit(url)[:2]
        for _ in range(MAX_REDIRECTS + 1):
            try:
                exchange = _Exchange(self._pool, method, url, headers, body, limits, self._must_vet)
            except _Refused as exc:
                exc.url = url
                raise
            status = exchange.response.status
            location = exchange.response.getheader("Location")
            if not follow or status not in REDIRECTS or not location:
                return exchange
            try:
                exchange.response.read()
            finally:
                exchange.done()
            url = urljoin(url, location)
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, body = "GET", None
                headers = {k: v for k, v in headers.items()
                           if k.lower() not in ("content-type", "content-length")}
            if urlsplit(url)[:2] != origin:
                headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity"}
        return exchange

    def read_json(
        self,
        response: Response,
        *,
        shot: str | None = None,
        what: str = "request",
        create: bool = False,
    ) -> Any:
        """The response's JSON body; an unreadable answer to a create is ambiguous (it may have run)."""
        try:
            return response.json()
        except ValueError:
            cls = AmbiguousSubmit if create else RetryLater
            raise self.error(
                cls,
                f"{what}: the answer (HTTP {response.status_code}) is not JSON: {self.excerpt(response)}",
                shot,
            ) from None

    def _transport_error(
        self, exc: BaseException, what: str, shot: str | None, create: bool, url: str | None = None
    ) -> GenerationError:
        if isinstance(exc, NotSent):
            kind = type(exc.__cause__).__name__ if exc.__cause__ is not None else str(exc)
            cause = exc.__cause__
            if url is not None and isinstance(cause, OSError):  # refused, no such host, no route, timed out
                parts = urlsplit(url)
                origin = f"{parts.scheme}://{parts.netloc}"
                reason = {"ConnectionRefusedError": "connection refused", "gaierror": "no such host",
                          "TimeoutError": "no answer within the connect timeout", "timeout": "no answer within "
                          "the connect timeout"}.get(kind, kind)
                return self.error(Unreachable, f"cannot reach {origin} ({reason}): {self.unreachable_hint}", shot)
        else:
            kind = type(exc).__name__
        if create and not isinstance(exc, NotSent):
            return self.error(
                AmbiguousSubmit,
                f"{what}: the connection failed after the request was sent "
                f"({kind}); the job may exist — reconcile before any "
                f"resubmission",
                shot,
            )
        return self.error(RetryLater, f"{what}: network error ({kind}); try again later", shot)

    def status_error(
        self,
        response: Response,
        what: str,
        shot: str | None,
        *,
        classify: Classify | None = None,
        create: bool = False,
    ) -> GenerationError:
        """The typed error for an HTTP failure ``response`` (provider rules first, then generic)."""
        body: Any = None
        try:
            body = response.json()
        except ValueError:
            body = None
        text = self.excerpt(response)
        if classify is not None:
            found = classify(response, body, text, what, shot)
            if found is not None:
                return found
        status = response.status_code
        where = f"{what}: HTTP {status}"
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            wait = f" (retry after {retry_after:g} s)" if retry_after is not None else ""
            return self.error(
                RetryLater, f"{where} rate limited{wait}: {text}", shot, retry_after=retry_after
            )
        if status in (401, 403):
            if CREDIT_WORDS.search(text):
                return self.error(OutOfCredit, f"{where}: out of credit: {text}", shot)
            return self.error(AuthFailed, f"{where}: the API key was refused: {text}", shot)
        if status == 402:
            return self.error(OutOfCredit, f"{where}: out of credit: {text}", shot)
        if status in (400, 422):
            if CONTENT_WORDS.search(text):
                return self.error(
                    ModerationBlocked, f"{where}: blocked by moderation: {text}", shot, stage="input"
                )
            if CREDIT_WORDS.search(text):
                return self.error(OutOfCredit, f"{where}: out of credit: {text}", shot)
            return self.error(BadRequest, f"{where}: the request was refused: {text}", shot)
        if status == 408:
            return self.error(RetryLater, f"{where}: request timeout: {text}", shot, retry_after=retry_after)
        if status >= 500:
            return self.error(RetryLater, f"{where}: server error: {text}", shot, retry_after=retry_after)
        return self.error(BadRequest, f"{where}: {text}", shot)

    # -- downloads ------------------------------------------------------------------------------
    def download(
        self,
        url: str,
        destination: Path,
        *,
        shot: str | None = None,
        expired: Iterable[int] = (403, 404, 410),
        timeout: tuple[float, float] | None = None,
        max_bytes: int | None = None,
    ) -> Path:
        """Stream ``url`` to ``destination`` atomically and return it.

        No credentials are sent. 403/404/410 → :class:`ResultExpired`; a short or empty body →
        :class:`RetryLater` (nothing written); a full disk → :class:`DiskFull` (nothing written); a body
        over ``max_bytes`` (default ``DEFAULT_MAX_TAKE_BYTES``) by its ``Content-Length`` or as it streams,
        or a URL or redirect to a non-public address of another host → :class:`ResultRefused` (nothing
        written, the connection closed).
        """
        destination = Path(destination)
        limit = DEFAULT_MAX_TAKE_BYTES if max_bytes is None else max(1, int(max_bytes))
        try:
            exchange = self._exchange("GET", url, {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
                                      None, _timeout(timeout, DOWNLOAD_TIMEOUT), follow=True)
        except _Refused as exc:
            raise self.refused("download", exc.url, str(exc), shot) from None
        except (OSError, http.client.HTTPException, NotSent) as exc:
            raise self._transport_error(exc, "download", shot, False) from None
        answer = exchange.response
        reuse = False
        try:
            if answer.status in set(expired):
                raise self.error(
                    ResultExpired,
                    f"download: the result URL has expired (HTTP "
                    f"{answer.status}); generate the take again",
                    shot,
                )
            if answer.status >= 400:
                content = answer.read()
                raise self.status_error(Response(answer.status, answer.headers, content, exchange.url),
                                        "download", shot)
            expected = answer.getheader("Content-Length")
            if expected is not None and expected.strip().isdigit() and int(expected) > limit:
                raise self.error(ResultRefused, f"download refused: the result declares {_size(int(expected))} "
                                 f"(Content-Length), more than the {_size(limit)} the take can be; not "
                                 "downloaded", shot)
            digest = hashlib.sha256()
            try:
                with atomic_file(destination) as handle:
                    received = _stream_to(answer, handle, digest, limit)
                    if received > limit:
                        raise self.error(ResultRefused, f"download refused: the result ran past the {_size(limit)} "
                                         "the take can be while it streamed; stopped, nothing kept", shot)
                    if received == 0:
                        raise self.error(RetryLater, "download: the result is empty", shot)
                    if expected is not None and expected.isdigit() and received != int(expected):
                        raise self.error(
                            RetryLater, f"download: received {received} of {expected} bytes; try again", shot
                        )
            except (_ReadError, http.client.HTTPException) as exc:
                cause = exc.__cause__ if isinstance(exc, _ReadError) and exc.__cause__ is not None else exc
                raise self._transport_error(cause, "download", shot, False) from None
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise self.error(
                        DiskFull,
                        f"download: no space left on the disk for {destination.name}; "
                        f"free some space and run again (the job is kept, nothing "
                        f"was written)",
                        shot,
                    ) from None
                raise self.error(
                    GenerationError, f"download: cannot write {destination}: {exc.strerror or exc}", shot
                ) from None
            reuse = True
        finally:
            exchange.done(reuse)  # a half-read connection is not reused
        remember_sha256(destination, digest.hexdigest())  # hashed as it was written: not read back to land it
        return destination

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.clear()


def _body(json_body: Any, data: dict[str, Any] | None, files: dict[str, tuple[str, Any, str]] | None,
          headers: dict[str, str], client: HttpClient, shot: str | None, what: str) -> bytes | None:
    """The encoded request body (setting ``Content-Type``): JSON, multipart with files, or a form."""
    if json_body is not None:
        try:
            encoded = json.dumps(json_body, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise client.error(BadRequest, f"{what}: the request cannot be sent as JSON ({exc})",
                               shot) from None
        headers["Content-Type"] = "application/json"
        return encoded
    if files:
        fields: dict[str, Any] = {k: str(v) for k, v in (data or {}).items()}
        for name, (filename, content, mime) in files.items():
            fields[name] = (filename, content.read() if hasattr(content, "read") else content, mime)
        encoded, content_type = _multipart(fields)
        headers["Content-Type"] = content_type
        return encoded
    if data:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urlencode(data, doseq=True).encode("ascii")
    return None


class _ReadError(Exception):
    """The connection failed while a body was being read (the cause is chained)."""


def _size(count: int) -> str:
    """``2.0 GB`` / ``127 MB`` / ``640 KB`` for messages (decimal units)."""
    if count >= 1e9:
        return f"{count / 1e9:.1f} GB"
    if count >= 1e6:
        return f"{count / 1e6:.0f} MB"
    return f"{max(1, round(count / 1e3))} KB"


def _stream_to(answer: http.client.HTTPResponse, handle: BinaryIO, digest: Any, limit: int | None = None) -> int:
    """Write the body to ``handle`` as it arrives (hashing it into ``digest``); the number of bytes. Past
    ``limit`` bytes it stops at once and returns more than ``limit`` (the rest is never read)."""
    received = 0
    while True:
        if limit is not None and received > limit:
            return received
        try:
            chunk = answer.read(CHUNK)
        except (OSError, http.client.HTTPException) as exc:  # a network failure, not a disk one
            raise _ReadError(type(exc).__name__) from exc
        if not chunk:
            return received
        digest.update(chunk)
        view = memoryview(chunk)
        while view:
            view = view[handle.write(view):]
        received += len(chunk)


def _multipart(fields: dict[str, Any]) -> tuple[bytes, str]:
    """``multipart/form-data`` for ``fields`` (``value`` or ``(filename, bytes, mime)``) and its type."""
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        if isinstance(value, tuple):
            filename, data, mime = value
            head = (f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    f"Content-Type: {mime}\r\n")
        else:
            head, data = f'Content-Disposition: form-data; name="{name}"\r\n', str(value).encode()
        parts.append(f"--{boundary}\r\n{head}\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _timeout(value: tuple[float, float] | float | None, default: tuple[float, float]) -> tuple[float, float]:
    if value is None:
        return default
    if isinstance(value, (int, float)):
        return (float(value), float(value))
    return (float(value[0]), float(value[1]))

"""The HTTP layer every hosted provider client shares: one ``requests.Session``, typed failures.

What it guarantees (reference §7):

- explicit ``(connect, read)`` timeouts on every request, and **no automatic retries** (a POST that
  timed out after it was sent may have created a paid job: that is :class:`AmbiguousSubmit`, never a
  silent second POST);
- transport and HTTP failures become the typed errors of :mod:`shotreel.generation.base`:
  429 → :class:`RetryLater` with the ``Retry-After`` value, 5xx → :class:`RetryLater`, a connection that
  could not be opened → :class:`RetryLater`, a timeout or reset *after* a create was sent →
  :class:`AmbiguousSubmit`, 401/403 → :class:`AuthFailed`, 402 or a credit/balance message →
  :class:`OutOfCredit`, 400/422 → :class:`BadRequest` unless the body names content →
  :class:`ModerationBlocked`;
- downloads stream into :func:`shotreel.fsutil.atomic_output` (a short read or a full disk leaves
  nothing behind) through a session that never carries the provider's credentials, and an expired result
  URL (403/404/410) is :class:`ResultExpired`;
- every message names the provider and the shot and never the key: ``Authorization`` values and the key
  itself are scrubbed from any text that reaches an error.

Providers pass a ``classify`` hook to read their own error envelopes (Kling's ``code``, fal's
``detail[].type``) before the generic rules apply.
"""

from __future__ import annotations

import errno
import os
import re
import time
from collections.abc import Callable, Iterable
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ... import __version__
from ...fsutil import atomic_output
from ..base import (
    AmbiguousSubmit,
    AuthFailed,
    BadRequest,
    GenerationError,
    ModerationBlocked,
    OutOfCredit,
    ResultExpired,
    RetryLater,
)

DEFAULT_TIMEOUT = (10.0, 60.0)  # seconds: (connect, read)
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
_AUTH_VALUE = re.compile(r"\b(Bearer|Key|Token|Basic)\s+[A-Za-z0-9._~+/=:-]{6,}", re.IGNORECASE)
_SECRET_FIELD = re.compile(
    r'("?(?:api[_-]?key|secret|token|authorization|password)"?\s*[:=]\s*)'
    r'(?!(?:Bearer|Key|Token|Basic)\s|\*\*\*)"?[^",\s}]+',
    re.IGNORECASE,
)

# classify(response, body (JSON or None), scrubbed text excerpt, what, shot) -> a typed error or None
Classify = Callable[[requests.Response, Any, str, str, str | None], GenerationError | None]


class DiskFull(GenerationError):
    """The disk filled up while a result was being downloaded; nothing was written, the job is kept."""


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


def _request_was_sent(exc: requests.RequestException) -> bool:
    """False only when the request certainly never left this machine (no connection was made)."""
    if isinstance(
        exc,
        (
            requests.ConnectTimeout,
            requests.exceptions.SSLError,
            requests.exceptions.ProxyError,
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ),
    ):
        return False
    if isinstance(exc, requests.ReadTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3 MaxRetryError wraps the cause
    # otherwise (reset, remote closed, broken pipe, chunked error) it may have arrived
    return not isinstance(reason, (NewConnectionError, ConnectTimeoutError))


class HttpClient:
    """A provider's HTTP session: typed failures, scrubbed messages, atomic downloads.

    ``auth_headers`` is called for every API request (so a JWT can be renewed); ``secrets`` returns
    every value that must never appear in a message. Downloads go through a second session that never
    sends these headers (result URLs are signed CDN links on other hosts).
    """

    def __init__(
        self,
        provider: str,
        *,
        auth_headers: Callable[[], dict[str, str]] | None = None,
        secrets: Callable[[], Iterable[str]] | None = None,
        timeout: tuple[float, float] | float | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.provider = provider
        self._auth_headers = auth_headers or (dict)
        self._secrets = secrets or (lambda: ())
        self.timeout = _timeout(timeout, DEFAULT_TIMEOUT)
        self._proxies: dict[tuple[str, str], dict[str, str]] = {}
        self.session = _session()
        self.session.headers.update({"User-Agent": f"shotreel/{__version__}", **(headers or {})})
        self.downloads = _session()
        self.downloads.headers.update({"User-Agent": f"shotreel/{__version__}"})

    def __repr__(self) -> str:
        return f"<HttpClient {self.provider}>"

    def proxies(self, url: str) -> dict[str, str]:
        """The environment's proxies for ``url``'s host (honouring NO_PROXY), looked up once per host."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        found = self._proxies.get(key)
        if found is None:
            found = self._proxies[key] = requests.utils.get_environ_proxies(url)
        return found

    # -- messages -------------------------------------------------------------------------------
    def clean(self, text: str) -> str:
        """``text`` scrubbed of this provider's secrets and of any credential-looking value."""
        return scrub(str(text), list(self._secrets()))

    def error(
        self, cls: type[GenerationError], message: str, shot: str | None = None, **kw: Any
    ) -> GenerationError:
        """A typed error whose message starts with the provider's name and never holds a secret."""
        return cls(self.clean(f"{self.provider}: {message}"), shot=shot, **kw)

    def excerpt(self, response: requests.Response) -> str:
        """A short, scrubbed, one-line excerpt of a response body for messages."""
        try:
            text = response.text
        except Exception:  # noqa: BLE001 - undecodable body
            text = ""
        text = " ".join(text.split())
        return self.clean(text[:EXCERPT] + ("…" if len(text) > EXCERPT else ""))

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
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request (never retried here) and return the response, or raise a typed error.

        ``create``: this request may start a paid job, so a failure after sending is
        :class:`AmbiguousSubmit`. ``ok``: extra statuses ≥ 400 returned instead of raised (e.g. 404 for
        a lookup). ``what`` names the operation in messages (``submit``, ``poll``).
        """
        headers = dict(kwargs.pop("headers", None) or {})
        if auth:
            headers.update(self._auth_headers())
        try:
            response = self.session.request(
                method,
                url,
                headers=headers,
                timeout=_timeout(timeout, self.timeout),
                proxies=self.proxies(url),
                **kwargs,
            )
        except requests.RequestException as exc:
            raise self._transport_error(exc, what, shot, create) from None
        if response.status_code >= 400 and response.status_code not in set(ok):
            raise self.status_error(response, what, shot, classify=classify, create=create)
        return response

    def read_json(
        self,
        response: requests.Response,
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
        self, exc: requests.RequestException, what: str, shot: str | None, create: bool
    ) -> GenerationError:
        kind = type(exc).__name__
        if create and _request_was_sent(exc):
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
        response: requests.Response,
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
    ) -> Path:
        """Stream ``url`` to ``destination`` atomically and return it.

        No credentials are sent. 403/404/410 → :class:`ResultExpired`; a short or empty body →
        :class:`RetryLater` (nothing written); a full disk → :class:`DiskFull` (nothing written).
        """
        destination = Path(destination)
        try:
            response = self.downloads.get(
                url, stream=True, timeout=_timeout(timeout, DOWNLOAD_TIMEOUT), proxies=self.proxies(url)
            )
        except requests.RequestException as exc:
            raise self._transport_error(exc, "download", shot, False) from None
        with response:
            if response.status_code in set(expired):
                raise self.error(
                    ResultExpired,
                    f"download: the result URL has expired (HTTP "
                    f"{response.status_code}); generate the take again",
                    shot,
                )
            if response.status_code >= 400:
                raise self.status_error(response, "download", shot)
            expected = response.headers.get("Content-Length")
            try:
                with atomic_output(destination) as tmp:
                    received = _stream_to(response, tmp)
                    if received == 0:
                        raise self.error(RetryLater, "download: the result is empty", shot)
                    if expected is not None and expected.isdigit() and received != int(expected):
                        raise self.error(
                            RetryLater, f"download: received {received} of {expected} bytes; try again", shot
                        )
            except requests.RequestException as exc:
                raise self._transport_error(exc, "download", shot, False) from None
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
        return destination

    def close(self) -> None:
        """Close both sessions."""
        self.session.close()
        self.downloads.close()


def _stream_to(response: requests.Response, path: Path) -> int:
    received = 0
    with open(path, "wb") as handle:
        for chunk in response.iter_content(CHUNK):
            if chunk:
                handle.write(chunk)
                received += len(chunk)
    return received


def _session() -> requests.Session:
    session = requests.Session()
    # never retry here (a repeated POST can pay twice); keep enough connections for many jobs in flight
    adapter = HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=64)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    # No per-request environment lookups: a ~/.netrc entry must never replace the provider's Authorization
    # header, and proxies (HTTP(S)_PROXY / NO_PROXY) are resolved once per host by HttpClient.proxies().
    session.trust_env = False
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return session


def _timeout(value: tuple[float, float] | float | None, default: tuple[float, float]) -> tuple[float, float]:
    if value is None:
        return default
    if isinstance(value, (int, float)):
        return (float(value), float(value))
    return (float(value[0]), float(value[1]))

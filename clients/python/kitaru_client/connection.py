"""Where a client connects and how: URLs, TLS, the bearer token, and the defaults from the environment.

The same environment variables as the ``kitaru`` CLI and the TypeScript client:

=========================  ===========================================================
``KITARU_RUNNER_URL``      RunnerService URL, default ``http://127.0.0.1:50051``
``KITARU_PLANNER_URL``     PlannerService URL, default ``http://127.0.0.1:50052``
``KITARU_TOKEN``           sent as ``authorization: Bearer <token>`` on every call
``KITARU_CA_FILE``         PEM file of the CA(s) to trust for ``https://`` (default: system roots)
``KITARU_CLIENT_CERT``     PEM client certificate (chain) for mutual TLS, with ...
``KITARU_CLIENT_KEY``      ... its PEM private key
=========================  ===========================================================

An ``http://host:port`` URL means plaintext (h2c), ``https://host:port`` means
TLS. An explicit argument wins over its variable; empty values count as unset.
"""

from __future__ import annotations

import collections
import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

import grpc

from .errors import KitaruUsageError

#: The runner URL used when neither the argument nor ``KITARU_RUNNER_URL`` is set.
DEFAULT_RUNNER_URL = "http://127.0.0.1:50051"
#: The planner URL used when neither the argument nor ``KITARU_PLANNER_URL`` is set.
DEFAULT_PLANNER_URL = "http://127.0.0.1:50052"
#: Deadline of each unary call, in seconds, unless the client or the call says otherwise.
DEFAULT_TIMEOUT = 30.0

#: Channel options of every channel the client opens: no receive limit (recorded
#: outputs may be large; the TypeScript client has none either).
CHANNEL_OPTIONS: Tuple[Tuple[str, Any], ...] = (("grpc.max_receive_message_length", -1),)


@dataclass(frozen=True)
class Endpoint:
    """A service address: the URL as given, the gRPC target ``host:port``, and whether it uses TLS."""

    url: str
    target: str
    secure: bool


def parse_endpoint(option: str, url: str, *, allow_bare: bool = False) -> Endpoint:
    """Reads ``http://host[:port]`` (plaintext) or ``https://host[:port]`` (TLS).

    With ``allow_bare``, a plain ``host:port`` also works and means plaintext
    (what :class:`~kitaru_client.services.RunnerClient` has always accepted).
    Anything else → :class:`KitaruUsageError` naming ``option``.
    """
    text = url.strip()
    if allow_bare and "://" not in text and text:
        return Endpoint(url=text, target=text, secure=False)
    parts = urlsplit(text)
    valid = parts.scheme in ("http", "https") and parts.hostname and parts.path in ("", "/") and not parts.query
    try:
        port = parts.port
    except ValueError:
        valid = False
    if not valid:
        raise KitaruUsageError(
            f"`{option}` must be an http:// or https:// URL (http://host:port). Received: '{url}'.",
            metadata={"option": option, "url": url},
        )
    secure = parts.scheme == "https"
    host = parts.netloc.rsplit("@", 1)[-1]
    if port is None:
        host = f"{host}:{443 if secure else 80}"
    return Endpoint(url=text, target=host, secure=secure)


def _read(option: str, path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as e:
        raise KitaruUsageError(
            f"Cannot read `{option}` '{path}': {e.strerror or e}.", metadata={"option": option, "path": path}
        ) from e


def tls_credentials(
    *, ca_file: Optional[str] = None, client_cert: Optional[str] = None, client_key: Optional[str] = None
) -> grpc.ChannelCredentials:
    """TLS channel credentials: the CA(s) in ``ca_file`` (system roots when None) and an optional client certificate.

    ``client_cert`` and ``client_key`` (PEM files) go together, for mutual TLS;
    one without the other, or an unreadable file → :class:`KitaruUsageError`.
    """
    if (client_cert is None) != (client_key is None):
        raise KitaruUsageError(
            "`client_cert` and `client_key` go together (KITARU_CLIENT_CERT / KITARU_CLIENT_KEY): "
            "give both for mutual TLS, or neither.",
            metadata={"clientCert": client_cert or "", "clientKey": client_key or ""},
        )
    return grpc.ssl_channel_credentials(
        root_certificates=_read("ca_file", ca_file) if ca_file else None,
        private_key=_read("client_key", client_key) if client_key else None,
        certificate_chain=_read("client_cert", client_cert) if client_cert else None,
    )


class _CallDetails(
    collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")),
    grpc.ClientCallDetails,
):
    """A ``grpc.ClientCallDetails`` with other metadata (the interceptor API has no copy method)."""


class BearerAuth(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):  # type: ignore[type-arg]
    """Adds ``authorization: Bearer <token>`` to every unary and server-streaming call.

    A metadata header rather than call credentials: gRPC only attaches call
    credentials on TLS channels, and the token must also reach a plaintext
    ``http://`` service (e.g. behind a TLS-terminating proxy on localhost).
    """

    def __init__(self, token: str) -> None:
        self._header = ("authorization", f"Bearer {token}")

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = [(k, v) for k, v in (details.metadata or ()) if k != "authorization"]
        metadata.append(self._header)
        return _CallDetails(
            details.method,
            details.timeout,
            metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any) -> Any:
        return continuation(self._details(details), request)


def open_channel(
    endpoint: Endpoint,
    *,
    token: Optional[str] = None,
    credentials: Optional[grpc.ChannelCredentials] = None,
    options: Sequence[Tuple[str, Any]] = CHANNEL_OPTIONS,
) -> grpc.Channel:
    """Opens a channel to ``endpoint`` (lazily: nothing connects before the first call).

    TLS endpoints use ``credentials`` (default: system roots); a token is sent
    on every call.
    """
    if endpoint.secure:
        channel = grpc.secure_channel(endpoint.target, credentials or grpc.ssl_channel_credentials(), options=list(options))
    else:
        channel = grpc.insecure_channel(endpoint.target, options=list(options))
    return grpc.intercept_channel(channel, BearerAuth(token)) if token else channel


def env_value(name: str, env: Mapping[str, str]) -> Optional[str]:
    """The trimmed value of an environment variable; ``None`` when unset or blank."""
    value = env.get(name, "").strip()
    return value or None


def first_set(value: Optional[str], name: str, env: Mapping[str, str]) -> Optional[str]:
    """``value`` when it is a non-blank string, else the variable ``name``."""
    if value is not None and value.strip():
        return value.strip()
    return env_value(name, env)


#: The longest token sent (it travels in the ``authorization`` header).
MAX_TOKEN_CHARS = 8192


@dataclass(frozen=True)
class ConnectionSettings:
    """The connection options of a :class:`~kitaru_client.KitaruClient`, every default applied."""

    runner: Endpoint
    planner: Endpoint
    token: Optional[str]
    #: Credentials for ``https://`` endpoints; None when both are plaintext.
    credentials: Optional[grpc.ChannelCredentials]

    @classmethod
    def resolve(
        cls,
        *,
        runner_url: Optional[str] = None,
        planner_url: Optional[str] = None,
        token: Optional[str] = None,
        tls: Optional[grpc.ChannelCredentials] = None,
        ca_file: Optional[str] = None,
        client_cert: Optional[str] = None,
        client_key: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
    ) -> "ConnectionSettings":
        """Applies the defaults: argument, then environment variable, then the local default.

        ``tls`` (your own ``grpc.ChannelCredentials``) replaces the credentials
        built from ``ca_file``/``client_cert``/``client_key``; giving both is a
        :class:`KitaruUsageError`. TLS files are read only when a URL is https.
        """
        env = os.environ if env is None else env
        runner = parse_endpoint("runner_url", first_set(runner_url, "KITARU_RUNNER_URL", env) or DEFAULT_RUNNER_URL)
        planner = parse_endpoint("planner_url", first_set(planner_url, "KITARU_PLANNER_URL", env) or DEFAULT_PLANNER_URL)
        if tls is not None and (ca_file or client_cert or client_key):
            raise KitaruUsageError(
                "Give either `tls` (your own grpc.ChannelCredentials) or `ca_file`/`client_cert`/`client_key`, not both.",
                metadata={"option": "tls"},
            )
        credentials: Optional[grpc.ChannelCredentials] = None
        if runner.secure or planner.secure:
            credentials = tls or tls_credentials(
                ca_file=first_set(ca_file, "KITARU_CA_FILE", env),
                client_cert=first_set(client_cert, "KITARU_CLIENT_CERT", env),
                client_key=first_set(client_key, "KITARU_CLIENT_KEY", env),
            )
        resolved_token = first_set(token, "KITARU_TOKEN", env)
        if resolved_token is not None and len(resolved_token) > MAX_TOKEN_CHARS:
            option = "token" if token else "KITARU_TOKEN"
            # The services refuse request headers above 16 KiB; beyond ~64 KiB HTTP/2 closes the connection unexplained.
            raise KitaruUsageError(
                f"`{option}` is {len(resolved_token)} characters; a token is at most {MAX_TOKEN_CHARS} "
                "(it travels in a request header, and the services refuse headers above 16 KiB).",
                metadata={"option": option, "chars": str(len(resolved_token))},
            )
        return cls(runner=runner, planner=planner, token=resolved_token, credentials=credentials)


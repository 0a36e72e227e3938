"""Connection options without the real services: environment defaults, URLs, the bearer token,
TLS and mutual TLS, deadlines, and retries with one request ID, against small in-process gRPC
servers built on the generated servicers."""

import datetime
import ipaddress
import time
from concurrent import futures
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kitaru_client import KitaruBackendError, KitaruClient, KitaruUsageError, RunnerClient
from kitaru_client.connection import ConnectionSettings, parse_endpoint
from kitaru_client.gen.kitaru.planner.v1 import planner_service_pb2, planner_service_pb2_grpc
from kitaru_client.gen.kitaru.runner.v1 import execution_pb2, runner_service_pb2, runner_service_pb2_grpc


# --- fake services -----------------------------------------------------------


class Recorder:
    """What the fake services saw: per method, the metadata and request IDs; and failures to inject."""

    def __init__(self) -> None:
        self.metadata: List[Tuple[str, Dict[str, str]]] = []
        self.request_ids: List[str] = []
        self.unavailable = 0  # the next N creating calls fail with UNAVAILABLE
        self.delay = 0.0  # GetExecution sleeps this long

    def saw(self, method: str, context: grpc.ServicerContext) -> None:
        self.metadata.append((method, dict(context.invocation_metadata())))

    def maybe_fail(self, context: grpc.ServicerContext) -> None:
        if self.unavailable > 0:
            self.unavailable -= 1
            context.abort(grpc.StatusCode.UNAVAILABLE, "try again")


def _execution(exec_id: str) -> execution_pb2.Execution:
    return execution_pb2.Execution(exec_id=exec_id, flow_name="f", status=execution_pb2.EXECUTION_STATUS_RUNNING)


class FakeRunner(runner_service_pb2_grpc.RunnerServiceServicer):
    def __init__(self, recorder: Recorder) -> None:
        self.r = recorder

    def StartExecution(self, request, context):
        self.r.saw("StartExecution", context)
        self.r.request_ids.append(request.request_id)
        self.r.maybe_fail(context)
        if request.flow_name == "refused":
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "refused")
        return runner_service_pb2.StartExecutionResponse(execution=_execution("kr-started"))

    def GetExecution(self, request, context):
        self.r.saw("GetExecution", context)
        time.sleep(self.r.delay)
        return runner_service_pb2.GetExecutionResponse(execution=_execution(request.exec_id))

    def ResolveWait(self, request, context):
        self.r.saw("ResolveWait", context)
        context.abort(grpc.StatusCode.UNAVAILABLE, "down")

    def WatchExecution(self, request, context):
        self.r.saw("WatchExecution", context)
        event = execution_pb2.ExecutionEvent(
            exec_id=request.exec_id,
            status_changed=execution_pb2.StatusChange(status=execution_pb2.EXECUTION_STATUS_COMPLETED),
        )
        yield runner_service_pb2.WatchExecutionResponse(event=event)


class FakePlanner(planner_service_pb2_grpc.PlannerServiceServicer):
    def __init__(self, recorder: Recorder) -> None:
        self.r = recorder

    def ReplayExecution(self, request, context):
        self.r.saw("ReplayExecution", context)
        self.r.request_ids.append(request.request_id)
        self.r.maybe_fail(context)
        return planner_service_pb2.ReplayExecutionResponse(execution=_execution("kr-replayed"))


def serve(recorder: Recorder, credentials: Optional[grpc.ServerCredentials] = None) -> Tuple[grpc.Server, int]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    runner_service_pb2_grpc.add_RunnerServiceServicer_to_server(FakeRunner(recorder), server)
    planner_service_pb2_grpc.add_PlannerServiceServicer_to_server(FakePlanner(recorder), server)
    address = "127.0.0.1:0"
    port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    server.start()
    return server, port


@pytest.fixture(autouse=True)
def no_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KITARU_TOKEN", "KITARU_CA_FILE", "KITARU_CLIENT_CERT", "KITARU_CLIENT_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def plain() -> Iterator[Tuple[Recorder, str]]:
    recorder = Recorder()
    server, port = serve(recorder)
    yield recorder, f"http://127.0.0.1:{port}"
    server.stop(None)


# --- environment and URLs ----------------------------------------------------


def test_defaults_come_from_the_environment_like_the_cli():
    settings = ConnectionSettings.resolve(env={})
    assert settings.runner.url == "http://127.0.0.1:50051" and settings.runner.target == "127.0.0.1:50051"
    assert settings.planner.url == "http://127.0.0.1:50052" and not settings.planner.secure
    assert settings.token is None and settings.credentials is None

    env = {"KITARU_RUNNER_URL": " http://runner:7000 ", "KITARU_PLANNER_URL": "http://planner:7001", "KITARU_TOKEN": "t0k"}
    settings = ConnectionSettings.resolve(env=env)
    assert (settings.runner.target, settings.planner.target, settings.token) == ("runner:7000", "planner:7001", "t0k")
    # An argument wins over its variable; a blank one counts as unset.
    settings = ConnectionSettings.resolve(runner_url="http://other:1", token="  ", env=env)
    assert settings.runner.target == "other:1" and settings.token == "t0k"


def test_urls_choose_plaintext_or_tls():
    implicit = parse_endpoint("runner_url", "https://kitaru.example.com")
    explicit = parse_endpoint("runner_url", "https://kitaru.example.com:443/")
    assert (implicit.target, implicit.secure) == (explicit.target, explicit.secure) == ("kitaru.example.com:443", True)
    assert parse_endpoint("x", "http://localhost").target == "localhost:80"
    assert parse_endpoint("x", "http://[::1]:50051").target == "[::1]:50051"
    assert parse_endpoint("x", "127.0.0.1:50051", allow_bare=True).secure is False
    for bad in ("127.0.0.1:50051", "grpc://host:1", "http://host:1/path", "http://host:port"):
        with pytest.raises(KitaruUsageError, match="`runner_url` must be an http:// or https:// URL"):
            KitaruClient(runner_url=bad)


def test_tls_options_are_checked():
    with pytest.raises(KitaruUsageError, match="go together"):
        KitaruClient(runner_url="https://h:1", client_cert="cert.pem")
    with pytest.raises(KitaruUsageError, match="Cannot read `ca_file`"):
        KitaruClient(runner_url="https://h:1", ca_file="/no/such/ca.pem")
    with pytest.raises(KitaruUsageError, match="either `tls`"):
        KitaruClient(tls=grpc.ssl_channel_credentials(), ca_file="ca.pem")


def test_a_token_too_long_for_a_request_header_is_refused_before_any_call():
    # The services refuse headers above 16 KiB; past ~64 KiB HTTP/2 would close the connection unexplained.
    with pytest.raises(KitaruUsageError, match="`token` is 300000 characters; a token is at most 8192"):
        KitaruClient(token="t" * 300_000)


# --- token, deadlines, retries -----------------------------------------------


def test_the_token_is_sent_on_every_unary_and_streaming_call(plain):
    recorder, url = plain
    with KitaruClient(runner_url=url, planner_url=url, token="s3cret") as client:
        client.executions.get("kr-x")
        list(client.executions.watch("kr-x"))
        client.executions.replay("kr-x", from_="a")
    assert [m for m, _ in recorder.metadata] == ["GetExecution", "WatchExecution", "ReplayExecution"]
    assert all(md.get("authorization") == "Bearer s3cret" for _, md in recorder.metadata)

    recorder.metadata.clear()
    with KitaruClient(runner_url=url, planner_url=url) as client:
        client.executions.get("kr-x")
    assert "authorization" not in recorder.metadata[0][1]


def test_deadlines_per_client_and_per_call(plain):
    recorder, url = plain
    recorder.delay = 0.5
    with KitaruClient(runner_url=url, planner_url=url, timeout=0.1) as client:
        with pytest.raises(KitaruBackendError) as raised:
            client.executions.get("kr-slow")
        assert raised.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
        assert client.executions.get("kr-slow", timeout=5).exec_id == "kr-slow"


def test_run_and_replay_retry_unavailable_with_one_request_id(plain):
    recorder, url = plain
    with KitaruClient(runner_url=url, planner_url=url) as client:
        recorder.unavailable = 2
        assert client.flows.run("f", topic="x").exec_id == "kr-started"
        assert len(recorder.request_ids) == 3 and len(set(recorder.request_ids)) == 1 and recorder.request_ids[0]

        recorder.request_ids.clear()
        recorder.unavailable = 1
        assert client.executions.replay("kr-src", from_="a", request_id="mine").exec_id == "kr-replayed"
        assert recorder.request_ids == ["mine", "mine"]

        # Every call without an ID gets its own.
        recorder.request_ids.clear()
        client.flows.run("f")
        client.flows.run("f")
        assert len(set(recorder.request_ids)) == 2


def test_retries_are_bounded_and_only_for_unavailable_creating_calls(plain):
    recorder, url = plain
    with KitaruClient(runner_url=url, planner_url=url, max_attempts=2) as client:
        recorder.unavailable = 5
        with pytest.raises(KitaruBackendError):
            client.flows.run("f")
        assert len(recorder.request_ids) == 2

        recorder.request_ids.clear()
        recorder.unavailable = 0
        with pytest.raises(KitaruUsageError):
            client.flows.run("refused")
        assert len(recorder.request_ids) == 1

        # An answer to a wait has no request ID: it is never sent twice.
        recorder.metadata.clear()
        with pytest.raises(KitaruBackendError):
            client.executions.input("kr-x", wait="w", value=1)
        assert [m for m, _ in recorder.metadata] == ["ResolveWait"]

    with pytest.raises(KitaruUsageError):
        RunnerClient(url, max_attempts=0)


# --- TLS ---------------------------------------------------------------------


class Pki:
    """A throwaway CA, a server certificate for 127.0.0.1/localhost, and a client certificate."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        now = datetime.datetime.now(datetime.timezone.utc)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kitaru test CA")])
        self.ca_cert = (
            self._builder(ca_name, ca_name, self.ca_key, now)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.ca_file = self._write("ca.pem", self.ca_cert.public_bytes(serialization.Encoding.PEM))
        self.server_key, self.server_cert = self._leaf("localhost", ExtendedKeyUsageOID.SERVER_AUTH, now)
        self.client_key_pem, self.client_cert_pem = self._leaf("client", ExtendedKeyUsageOID.CLIENT_AUTH, now)
        self.client_key = self._write("client-key.pem", self.client_key_pem)
        self.client_cert = self._write("client-cert.pem", self.client_cert_pem)

    def _builder(self, subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, now: datetime.datetime):
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
        )

    def _leaf(self, name: str, usage: x509.ObjectIdentifier, now: datetime.datetime) -> Tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        san = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        cert = (
            self._builder(subject, self.ca_cert.subject, key, now)
            .add_extension(san, critical=False)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return key_pem, cert.public_bytes(serialization.Encoding.PEM)

    def _write(self, name: str, data: bytes) -> str:
        path = self.dir / name
        path.write_bytes(data)
        return str(path)

    def server_credentials(self, require_client_auth: bool) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials(
            [(self.server_key, self.server_cert)],
            root_certificates=self.ca_cert.public_bytes(serialization.Encoding.PEM) if require_client_auth else None,
            require_client_auth=require_client_auth,
        )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


def test_https_urls_use_tls_with_the_ca_file(pki, monkeypatch):
    recorder = Recorder()
    server, port = serve(recorder, pki.server_credentials(require_client_auth=False))
    url = f"https://127.0.0.1:{port}"
    try:
        with KitaruClient(runner_url=url, planner_url=url, ca_file=pki.ca_file, token="over-tls") as client:
            assert client.executions.get("kr-tls").exec_id == "kr-tls"
        assert recorder.metadata[-1][1]["authorization"] == "Bearer over-tls"

        # The same from the environment, as the CLI reads it.
        monkeypatch.setenv("KITARU_RUNNER_URL", url)
        monkeypatch.setenv("KITARU_CA_FILE", pki.ca_file)
        with KitaruClient() as client:
            assert client.executions.get("kr-env").exec_id == "kr-env"

        # System roots do not trust the test CA; plaintext does not speak TLS.
        monkeypatch.delenv("KITARU_CA_FILE")
        with KitaruClient(runner_url=url, timeout=5) as client:
            with pytest.raises(KitaruBackendError):
                client.executions.get("kr-untrusted")
        with KitaruClient(runner_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            with pytest.raises(KitaruBackendError):
                client.executions.get("kr-plaintext")
    finally:
        server.stop(None)


def test_mutual_tls_sends_the_client_certificate(pki, monkeypatch):
    recorder = Recorder()
    server, port = serve(recorder, pki.server_credentials(require_client_auth=True))
    url = f"https://127.0.0.1:{port}"
    try:
        with KitaruClient(
            runner_url=url, ca_file=pki.ca_file, client_cert=pki.client_cert, client_key=pki.client_key
        ) as client:
            assert client.executions.get("kr-mtls").exec_id == "kr-mtls"
        monkeypatch.setenv("KITARU_CLIENT_CERT", pki.client_cert)
        monkeypatch.setenv("KITARU_CLIENT_KEY", pki.client_key)
        with KitaruClient(runner_url=url, ca_file=pki.ca_file) as client:
            assert client.executions.get("kr-mtls-env").exec_id == "kr-mtls-env"
        monkeypatch.delenv("KITARU_CLIENT_CERT")
        monkeypatch.delenv("KITARU_CLIENT_KEY")
        with KitaruClient(runner_url=url, ca_file=pki.ca_file, timeout=5) as client:
            with pytest.raises(KitaruBackendError):
                client.executions.get("kr-no-client-cert")
        # Your own credentials instead of files.
        own = grpc.ssl_channel_credentials(
            root_certificates=Path(pki.ca_file).read_bytes(),
            private_key=pki.client_key_pem,
            certificate_chain=pki.client_cert_pem,
        )
        with KitaruClient(runner_url=url, tls=own) as client:
            assert client.executions.get("kr-own").exec_id == "kr-own"
    finally:
        server.stop(None)


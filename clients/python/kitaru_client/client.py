"""``KitaruClient``: the typed client of the kitaru runner and planner, shaped like Kitaru's own."""

from __future__ import annotations

from typing import Any, Optional

import grpc

from .connection import DEFAULT_TIMEOUT, ConnectionSettings
from .executions import ExecutionsClient
from .flows import FlowsClient
from .replay_jobs import ReplayJobsClient
from .services import DEFAULT_MAX_ATTEMPTS, PlannerClient, RunnerClient

__all__ = ["KitaruClient", "PlannerClient", "RunnerClient"]


class KitaruClient:
    """A connection to a kitaru runner and planner over gRPC.

    Every argument defaults to the environment, like the ``kitaru`` CLI
    (:mod:`kitaru_client.connection`): ``runner_url`` ← ``KITARU_RUNNER_URL``
    (else ``http://127.0.0.1:50051``), ``planner_url`` ← ``KITARU_PLANNER_URL``
    (else ``http://127.0.0.1:50052``), ``token`` ← ``KITARU_TOKEN`` (sent as
    ``authorization: Bearer <token>``), ``ca_file`` ← ``KITARU_CA_FILE``,
    ``client_cert``/``client_key`` ← ``KITARU_CLIENT_CERT``/``KITARU_CLIENT_KEY``.
    ``http://`` URLs are plaintext, ``https://`` URLs use TLS with the system
    roots or ``ca_file`` (and the client certificate, for mutual TLS), or
    with ``tls``, your own ``grpc.ChannelCredentials``.

    ``timeout`` is the default deadline of each unary call in seconds (None:
    none); every method takes ``timeout=`` for one call. ``max_attempts``
    bounds how often ``flows.run`` and ``executions.replay`` are sent when the
    service is unavailable (always with the same request ID).

    Channels open lazily, on the first call. Close the client when done
    (``close()`` or ``with``)::

        with KitaruClient() as client:
            replayed = client.executions.replay("kr-a8f3c2", from_="write_draft", topic="New topic")
            print(replayed.exec_id, replayed.original_exec_id)
    """

    def __init__(
        self,
        *,
        runner_url: Optional[str] = None,
        planner_url: Optional[str] = None,
        token: Optional[str] = None,
        timeout: Optional[float] = DEFAULT_TIMEOUT,
        tls: Optional[grpc.ChannelCredentials] = None,
        ca_file: Optional[str] = None,
        client_cert: Optional[str] = None,
        client_key: Optional[str] = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        settings = ConnectionSettings.resolve(
            runner_url=runner_url,
            planner_url=planner_url,
            token=token,
            tls=tls,
            ca_file=ca_file,
            client_cert=client_cert,
            client_key=client_key,
        )
        #: The RunnerService URL in use.
        self.runner_url = settings.runner.url
        #: The PlannerService URL in use.
        self.planner_url = settings.planner.url
        common: Any = {
            "timeout": timeout,
            "token": settings.token,
            "credentials": settings.credentials,
            "max_attempts": max_attempts,
        }
        #: The lower layer: one method per RunnerService RPC (generated messages in and out).
        self.runner = RunnerClient(settings.runner.url, **common)
        #: The lower layer: one method per PlannerService RPC.
        self.planner = PlannerClient(settings.planner.url, **common)
        #: Read, steer, replay and follow executions.
        self.executions = ExecutionsClient(self.runner, self.planner)
        #: Start executions of registered flows, list the flows.
        self.flows = FlowsClient(self.runner, self.executions)
        #: Replay many executions at once and compare each replay with its source.
        self.replay_jobs = ReplayJobsClient(self.planner)

    def close(self) -> None:
        """Closes both channels; calls in flight fail. Safe to call twice."""
        self.runner.close()
        self.planner.close()

    def __enter__(self) -> "KitaruClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

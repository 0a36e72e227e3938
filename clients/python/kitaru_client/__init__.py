"""Python client of kitaru's gRPC services.

The messages and stubs are generated from ``proto/kitaru/**`` into
``kitaru_client/gen/`` by ``scripts/install-python-client.sh`` (not committed).
grpc_tools generates absolute imports (``from kitaru.runner.v1 import
execution_pb2``), so that directory is added to ``sys.path`` here and the
generated modules import as ``kitaru.runner.v1.*``, ``kitaru.errors.v1.*``, ...

Hand-written on top of them: :mod:`kitaru_client.errors` (the error classes,
rebuilt from ``google.rpc.Status`` details alone) and
:mod:`kitaru_client.client` (:class:`RunnerClient`).
"""

import os as _os
import sys as _sys

GEN_DIR = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "gen")

if not _os.path.isdir(_os.path.join(GEN_DIR, "kitaru")):
    raise ImportError(
        f"kitaru_client: generated code missing in {GEN_DIR}; run scripts/install-python-client.sh"
    )
if GEN_DIR not in _sys.path:
    _sys.path.append(GEN_DIR)

from .errors import (  # noqa: E402
    ERROR_DOMAIN,
    ErrorReason,
    FieldViolation,
    KitaruBackendError,
    KitaruContextError,
    KitaruDivergenceError,
    KitaruError,
    KitaruExecutionError,
    KitaruInternalError,
    KitaruNotFoundError,
    KitaruStateError,
    KitaruUsageError,
    KitaruUserCodeError,
    KitaruWaitValidationError,
    error_from_rpc_error,
)
from .client import RunnerClient  # noqa: E402

__all__ = [
    "ERROR_DOMAIN",
    "ErrorReason",
    "FieldViolation",
    "KitaruBackendError",
    "KitaruContextError",
    "KitaruDivergenceError",
    "KitaruError",
    "KitaruExecutionError",
    "KitaruInternalError",
    "KitaruNotFoundError",
    "KitaruStateError",
    "KitaruUsageError",
    "KitaruUserCodeError",
    "KitaruWaitValidationError",
    "RunnerClient",
    "error_from_rpc_error",
]

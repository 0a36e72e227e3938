// @tier unit
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code as ConnectCode, ConnectError } from "@connectrpc/connect";
import { Code } from "#gen/google/rpc/code_pb.ts";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.ts";
import { StatusSchema } from "#gen/google/rpc/status_pb.ts";
import {
  ERROR_DOMAIN,
  ErrorReason,
  errorFromConnectError,
  errorFromStatus,
  errorToStatus,
  INTERNAL_ERROR_MESSAGE,
  KitaruBackendError,
  KitaruDivergenceError,
  type KitaruError,
  KitaruExecutionError,
  KitaruInternalError,
  KitaruNotFoundError,
  KitaruStateError,
  KitaruUsageError,
  KitaruUserCodeError,
  type ErrorReasonValue,
  KitaruAuthError,
  KitaruPermissionError,
} from "#contract/errors/index.ts";
import { errorCorpus } from "../../scripts/error-corpus.ts";

/** The code each reason must travel as (docs/replay-contract.md §7), written out here apart from wire.ts's table. */
const codeOf: Readonly<Record<ErrorReasonValue, Code>> = {
  KITARU_USAGE_ERROR: Code.INVALID_ARGUMENT,
  KITARU_WAIT_VALIDATION_ERROR: Code.INVALID_ARGUMENT,
  KITARU_CONTEXT_ERROR: Code.INVALID_ARGUMENT,
  KITARU_STATE_ERROR: Code.FAILED_PRECONDITION,
  KITARU_NOT_FOUND: Code.NOT_FOUND,
  KITARU_EXECUTION_ERROR: Code.FAILED_PRECONDITION,
  KITARU_USER_CODE_ERROR: Code.FAILED_PRECONDITION,
  KITARU_DIVERGENCE_ERROR: Code.FAILED_PRECONDITION,
  KITARU_BACKEND_ERROR: Code.UNAVAILABLE,
  KITARU_UNAUTHENTICATED: Code.UNAUTHENTICATED,
  KITARU_PERMISSION_DENIED: Code.PERMISSION_DENIED,
  KITARU_INTERNAL_ERROR: Code.INTERNAL,
};

/**
 * One error of every class with every typed field set (the golden corpus's samples, scripts/error-corpus.ts),
 * and the same classes with their optional fields unset.
 */
const cases: KitaruError[] = [
  ...errorCorpus().map((entry) => entry.error),
  new KitaruStateError("plain state error"),
  new KitaruExecutionError("cancelled", { execId: "kr-c", status: "cancelled" }),
  new KitaruUserCodeError("flow threw", {
    execId: "kr-u",
    status: "failed",
    failure: { origin: "user_code", message: "boom", exceptionType: "TypeError", invocationId: "" },
  }),
];

/** Everything a client can observe about an error except its stack and cause. */
function observable(e: KitaruError) {
  return { prototype: Object.getPrototypeOf(e) as object, message: e.message, fields: { ...e } };
}

describe("errorToStatus → bytes → errorFromStatus", () => {
  for (const error of cases) {
    const code = codeOf[error.reason];
    it(`round-trips ${error.name} (${error.message}) as ${Code[code]}`, () => {
      const status = errorToStatus(error);
      assert.equal(status.code, code);
      assert.equal(status.message, error.message);
      const bytes = toBinary(StatusSchema, status.details);

      const fromRaw = errorFromStatus({ code: status.code, message: status.message, detailsBin: bytes });
      assert.deepEqual(observable(fromRaw), observable(error));
      const fromMessage = errorFromStatus(fromBinary(StatusSchema, bytes));
      assert.deepEqual(observable(fromMessage), observable(error));
    });
  }

  it("puts an ErrorInfo with the kitaru domain, the reason and the metadata first", () => {
    const error = new KitaruNotFoundError("missing", { metadata: { execId: "kr-1" }, resourceType: "execution", resourceName: "kr-1" });
    const [first] = errorToStatus(error).details.details;
    assert.ok(first);
    const info = anyUnpack(first, ErrorInfoSchema);
    assert.equal(info?.domain, ERROR_DOMAIN);
    assert.equal(info?.reason, ErrorReason.notFound);
    assert.deepEqual(info?.metadata, { execId: "kr-1" });
  });

  it("turns an unknown Error into INTERNAL with a generic message, keeping nothing of it", () => {
    const status = errorToStatus(new Error("password=hunter2"));
    assert.equal(status.code, Code.INTERNAL);
    assert.equal(status.message, INTERNAL_ERROR_MESSAGE);
    assert.doesNotMatch(JSON.stringify(toBinary(StatusSchema, status.details)), /hunter2/);
    const back = errorFromStatus(status.details);
    assert.ok(back instanceof KitaruInternalError);
    assert.equal(back.message, INTERNAL_ERROR_MESSAGE);
  });

  it("turns a thrown non-Error value into INTERNAL too", () => {
    assert.equal(errorToStatus("a string").code, Code.INTERNAL);
    assert.equal(errorToStatus(undefined).message, INTERNAL_ERROR_MESSAGE);
  });
});

describe("errorFromConnectError", () => {
  it("rebuilds the subclass from the details a connect client received", () => {
    const error = cases.find((c) => c instanceof KitaruDivergenceError)!;
    const status = errorToStatus(error);
    const incoming = new ConnectError(status.message, status.code as number as ConnectCode);
    incoming.details = status.details.details.map((any) => ({
      type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1),
      value: any.value,
    }));
    const back = errorFromConnectError(incoming);
    assert.deepEqual(observable(back), observable(error));
    assert.equal(back.cause, incoming);
  });

  it("maps a connection failure without details to KitaruBackendError", () => {
    const back = errorFromConnectError(new ConnectError("connect ECONNREFUSED", ConnectCode.Unavailable));
    assert.ok(back instanceof KitaruBackendError);
    assert.equal(back.metadata["grpcCode"], "UNAVAILABLE");
  });

  it("lets errorToStatus pass a downstream kitaru error on with its class", () => {
    const status = errorToStatus(new KitaruNotFoundError("gone", { resourceType: "execution", resourceName: "kr-1" }));
    const downstream = new ConnectError(status.message, ConnectCode.NotFound);
    downstream.details = status.details.details.map((any) => ({ type: any.typeUrl.split("/")[1]!, value: any.value }));
    const relayed = errorToStatus(downstream);
    assert.equal(relayed.code, Code.NOT_FOUND);
    assert.ok(errorFromStatus(relayed.details) instanceof KitaruNotFoundError);
  });
});

describe("errorFromStatus without a kitaru ErrorInfo (other servers)", () => {
  const expectations: [Code, abstract new (...args: never[]) => KitaruError][] = [
    [Code.UNAVAILABLE, KitaruBackendError],
    [Code.DEADLINE_EXCEEDED, KitaruBackendError],
    [Code.INVALID_ARGUMENT, KitaruUsageError],
    [Code.NOT_FOUND, KitaruNotFoundError],
    [Code.FAILED_PRECONDITION, KitaruStateError],
    [Code.INTERNAL, KitaruInternalError],
    [Code.UNKNOWN, KitaruInternalError],
    [Code.UNIMPLEMENTED, KitaruInternalError],
    [Code.PERMISSION_DENIED, KitaruPermissionError],
    [Code.UNAUTHENTICATED, KitaruAuthError],
    [Code.RESOURCE_EXHAUSTED, KitaruUsageError],
    [Code.ABORTED, KitaruBackendError],
  ];
  for (const [code, cls] of expectations) {
    it(`maps ${Code[code]} to ${cls.name}`, () => {
      const e = errorFromStatus({ code, message: "from elsewhere" });
      assert.ok(e instanceof cls);
      assert.equal(e.message, "from elsewhere");
      assert.equal(e.metadata["grpcCode"], Code[code]);
    });
  }

  it("ignores unreadable details bytes", () => {
    const e = errorFromStatus({ code: Code.NOT_FOUND, message: "x", detailsBin: new Uint8Array([0xff, 0xff, 0xff]) });
    assert.ok(e instanceof KitaruNotFoundError);
  });
});

/**
 * A gRPC proxy in front of a runner, for the planner's side of it: it
 * forwards every unary RunnerService call as raw bytes (with the caller's
 * metadata and deadline) and lets a test step in when `StartReplay` passes,
 * before it reaches the runner or after the runner answered. That is how
 * test/faults/planner-kills.test.ts kills a planner process exactly between
 * planning a replay and the runner starting it, without a crash point in the
 * planner.
 *
 * @module
 */
import { fromBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { RunnerInternalService, StartReplayRequestSchema, StartReplayResponseSchema } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";

/** One `StartReplay` that passed the proxy. */
export interface ProxiedStartReplay {
  readonly requestId: string;
  readonly sourceExecId: string;
  /** The runner's answer: the execution it created (or returned again), or its error. */
  readonly outcome: Promise<{ execId: string } | { code: grpc.status; details: string }>;
}

/**
 * What the proxy does with a `StartReplay`: `forward` sends it to the runner
 * and resolves with its answer; the hook answers the planner with
 * `respond` (or never, when it killed the planner).
 */
export type StartReplayHook = (call: { readonly request: ProxiedStartReplay; forward(): Promise<Answer>; respond(answer: Answer): void }) => Promise<void>;

/** A runner's answer as the proxy passes it on. */
export type Answer = { readonly bytes: Buffer } | { readonly error: grpc.ServiceError };

/** A running proxy. */
export interface RunnerProxy {
  /** "127.0.0.1:port": give the planner `--runner-url http://<address>`. */
  readonly address: string;
  /** Every StartReplay that reached the proxy, in order. */
  readonly startReplays: ProxiedStartReplay[];
  /** Replaces what happens to the next StartReplays; undefined: forward and answer. */
  onStartReplay: StartReplayHook | undefined;
  close(): Promise<void>;
}

const identity = (bytes: Buffer) => bytes;
/** Headers grpc-js sets itself on an outgoing call. */
const OWN_HEADERS = /^(grpc-|:|content-type$|te$|user-agent$)/;

/** Starts a proxy to the runner at `target` ("host:port"). */
export async function startRunnerProxy(target: string): Promise<RunnerProxy> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": -1,
    "grpc.max_send_message_length": -1,
  });
  const server = new grpc.Server({ "grpc.max_receive_message_length": -1, "grpc.max_send_message_length": -1 });
  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};

  const forwarder = (path: string, call: grpc.ServerUnaryCall<Buffer, Buffer>) => (): Promise<Answer> => {
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(call.metadata.getMap())) if (!OWN_HEADERS.test(key)) metadata.set(key, value);
    return new Promise((resolve) => {
      client.makeUnaryRequest(path, identity, identity, call.request, metadata, { deadline: call.getDeadline() }, (error, bytes) =>
        resolve(error ? { error } : { bytes: bytes! }),
      );
    });
  };
  const answer = (callback: grpc.sendUnaryData<Buffer>) => (reply: Answer) => ("error" in reply ? callback(reply.error) : callback(null, reply.bytes));

  const proxy: RunnerProxy = {
    address: "",
    startReplays: [],
    onStartReplay: undefined,
    async close() {
      server.forceShutdown();
      client.close();
    },
  };

  // grpc-js registers each method by its path, so one definition serves both services.
  for (const method of [...RunnerService.methods, ...RunnerInternalService.methods]) {
    if (method.methodKind !== "unary") continue; // the planner calls GetCallGraph and StartReplay only
    const path = `/${method.parent.typeName}/${method.name}`;
    definition[method.name] = {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    };
    implementation[method.name] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      const forward = forwarder(path, call);
      const respond = answer(callback);
      if (method.name !== "StartReplay") {
        void forward().then(respond);
        return;
      }
      const decoded = fromBinary(StartReplayRequestSchema, call.request);
      let settle!: (answer: Answer) => void;
      const forwarded = new Promise<Answer>((resolve) => (settle = resolve));
      const request: ProxiedStartReplay = {
        requestId: decoded.requestId,
        sourceExecId: decoded.plan?.sourceExecId ?? "",
        outcome: forwarded.then((reply) =>
          "error" in reply
            ? { code: reply.error.code, details: reply.error.details }
            : { execId: fromBinary(StartReplayResponseSchema, reply.bytes).execution?.execId ?? "" },
        ),
      };
      proxy.startReplays.push(request);
      const hook = proxy.onStartReplay;
      const tracked = () =>
        forward().then((reply) => {
          settle(reply);
          return reply;
        });
      if (hook === undefined) {
        void tracked().then(respond);
        return;
      }
      void hook({ request, forward: tracked, respond });
    };
  }
  server.addService(definition as grpc.ServiceDefinition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return Object.assign(proxy, { address: `127.0.0.1:${port}` });
}

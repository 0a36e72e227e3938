/**
 * A small test implementation of RunnerService for the transport tests, and a
 * recorder of what its handlers saw.
 *
 * @module
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ExecutionStatus, type ExecutionSchema } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { KitaruNotFoundError } from "#contract/errors/index.ts";
import type { HandlerContext } from "../../services/transport/src/handler-context.ts";
import { definePartialService, type ServiceRegistration } from "../../services/transport/src/service-handlers.ts";

/** The one execution ID the fixture knows. */
export const KNOWN_EXEC_ID = "kr-x";

/** What the fixture's handlers observed, for assertions. */
export interface RunnerProbe {
  /** Contexts of ListExecutions calls, which hang until their signal aborts. */
  readonly hung: HandlerContext[];
  /** Resolves with the abort reason of each hanging call, in call order. */
  readonly aborted: Promise<unknown>[];
  /** Set when a WatchExecution generator ran its finally block. */
  watchClosed: number;
}

/** A fixed execution with ID `execId`. */
export function fixedExecution(execId: string): MessageInitShape<typeof ExecutionSchema> {
  return {
    name: `executions/${execId}`,
    execId,
    flowName: "demo",
    status: ExecutionStatus.COMPLETED,
    result: { kind: { case: "stringValue", value: "ok" } },
  };
}

/**
 * RunnerService with: GetExecution (KNOWN_EXEC_ID or KitaruNotFoundError),
 * WatchExecution (three events, or forever with `followWaits`),
 * ListExecutions (hangs until ctx.signal aborts), StartExecution (throws a
 * plain Error), ResolveWait (echoes the value's size as flowName). Everything
 * else is left out (UNIMPLEMENTED).
 */
export function createTestRunner(): { registration: ServiceRegistration; probe: RunnerProbe } {
  const probe: RunnerProbe = { hung: [], aborted: [], watchClosed: 0 };
  const registration = definePartialService(RunnerService, {
    async getExecution({ execId }) {
      if (execId !== KNOWN_EXEC_ID) {
        throw new KitaruNotFoundError(`execution "${execId}" not found`, {
          resourceType: "execution",
          resourceName: execId,
          metadata: { execId },
        });
      }
      return { execution: fixedExecution(execId) };
    },

    async *watchExecution({ execId, followWaits }, ctx) {
      try {
        for (let i = 1; followWaits || i <= 3; i++) {
          yield { event: { execId, kind: { case: "statusChanged", value: { status: ExecutionStatus.RUNNING } } } };
          if (followWaits) await new Promise((resolve) => setTimeout(resolve, 10));
          if (ctx.signal.aborted) return;
        }
      } finally {
        probe.watchClosed++;
      }
    },

    listExecutions(_request, ctx) {
      probe.hung.push(ctx);
      const aborted = new Promise<unknown>((resolve) => ctx.signal.addEventListener("abort", () => resolve(ctx.signal.reason)));
      probe.aborted.push(aborted);
      return aborted.then(() => {
        throw ctx.signal.reason;
      });
    },

    async startExecution() {
      throw new Error("connection string mongodb://admin:secret@db leaked");
    },

    async resolveWait({ execId, value }) {
      const size = value?.kind.case === "stringValue" ? value.kind.value.length : 0;
      return { execution: { ...fixedExecution(execId), flowName: String(size) } };
    },
  });
  return { registration, probe };
}

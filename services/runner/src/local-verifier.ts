/**
 * `kitaru executions verify --flows <module>`: the check of recorded
 * executions against a flows module loaded in the CLI's own process (the
 * code about to be deployed), with histories read through the public API.
 * Loaded by the CLI only when asked for (clients/cli/src/main.ts).
 *
 * @module
 */
import type { ExecutionHistory, ExecutionVerification } from "#contract/execution-verification.ts";
import { verifyExecution } from "./engine/execution-verification.ts";
import { loadFlowsModule } from "./flows-module.ts";

/** Checks histories against one flows module. */
export interface LocalVerifier {
  /** The flow version of the module (`flowVersion` when given, else the digest of its sources). */
  readonly flowVersion: string;
  verify(history: ExecutionHistory): Promise<ExecutionVerification>;
}

/** Loads `modulePath` as a runner would (same errors for a module that does not load) and checks against it. */
export async function openLocalVerifier(modulePath: string, options: { flowVersion?: string | undefined } = {}): Promise<LocalVerifier> {
  const flows = await loadFlowsModule(modulePath, options);
  return { flowVersion: flows.version, verify: (history) => verifyExecution(flows, history) };
}

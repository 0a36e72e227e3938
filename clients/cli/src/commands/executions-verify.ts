/**
 * `kitaru executions verify [<exec_id> ...] [--flow] [--status] [--limit]
 * [--flows MODULE]`: recorded executions checked against flow code, without
 * running anything (docs/upgrades.md). Exit code 1 when any diverged or
 * would fail, for CI.
 *
 * @module
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { ExecutionStatus, ExecutionVerification } from "../../../ts/src/index.ts";
import { divergenceItem } from "../items.ts";
import type { CommandOf, CommandRunner, CommandContext } from "./context.ts";

/** Checks histories against a flows module loaded in this process (services/runner/src/local-verifier.ts). */
export interface LocalVerifier {
  readonly flowVersion: string;
  verify(history: Awaited<ReturnType<CommandContext["client"]["executions"]["history"]>>): Promise<ExecutionVerification>;
}

/** Loads a flows module for `--flows`; injected by main.ts (tests pass fakes). */
export type LocalVerifierLoader = (modulePath: string, options: { flowVersion?: string | undefined }) => Promise<LocalVerifier>;

function verificationItem(result: ExecutionVerification): JsonObject {
  return {
    exec_id: result.execId,
    flow_name: result.flowName,
    status: result.status,
    recorded_flow_version: result.recordedFlowVersion ?? null,
    verdict: result.verdict,
    outcome: result.outcome,
    matched_calls: result.matchedCalls,
    recorded_calls: result.recordedCalls,
    divergence: result.divergence === undefined ? null : divergenceItem(result.divergence),
  };
}

/** The lines of one result: a summary line, then a divergence's evidence and what to do. */
function resultLines(result: ExecutionVerification): string[] {
  const recorded = result.recordedFlowVersion ?? "unknown";
  const head = `  ${result.execId}  ${result.flowName}  ${result.status}  (recorded by ${recorded}, ${result.matchedCalls}/${result.recordedCalls} calls matched)`;
  const d = result.divergence;
  if (result.verdict !== "diverged" || d === undefined) return [`${head}  ${result.verdict}: ${result.outcome}`];
  const lines = [`${head}  DIVERGED at '${d.invocationId}' (${d.kind.replaceAll("_", " ")})`, `      recorded:  ${d.recorded}`, `      this code: ${d.seen}`];
  if (d.replayCommand !== undefined) lines.push(`      to continue it on this code: ${d.replayCommand}`);
  return lines;
}

/** The counts line: "3 checked: 2 compatible, 1 diverged". */
function summary(results: readonly ExecutionVerification[]): string {
  const counts = new Map<string, number>();
  for (const result of results) counts.set(result.verdict, (counts.get(result.verdict) ?? 0) + 1);
  const parts = ["compatible", "diverged", "failed", "skipped"].filter((v) => counts.has(v)).map((v) => `${counts.get(v)} ${v}`);
  return `${results.length} checked${parts.length === 0 ? "" : `: ${parts.join(", ")}`}`;
}

/** The histories of the selected executions, read from the runner, for a local check. */
async function* selectedHistories(command: CommandOf<"executions.verify">, { client }: CommandContext) {
  const ids =
    command.execIds.length > 0
      ? command.execIds
      : (await client.executions.list({ flow: command.flow, status: command.status as ExecutionStatus | undefined, limit: command.limit })).map(
          (e) => e.execId,
        );
  for (const execId of ids) yield await client.executions.history(execId);
}

/** Runs the check where the command asks (the runner, or a local flows module) and prints the results. */
export function verifyCommand(loadVerifier: LocalVerifierLoader): CommandRunner<"executions.verify"> {
  return async (command, context) => {
    const { io, client } = context;
    let flowVersion: string;
    let where: string;
    const results: ExecutionVerification[] = [];
    if (command.flowsModule !== undefined) {
      const verifier = await loadVerifier(command.flowsModule, { flowVersion: command.flowVersion });
      ({ flowVersion } = verifier);
      where = command.flowsModule;
      for await (const history of selectedHistories(command, context)) results.push(await verifier.verify(history));
    } else {
      const status = command.status as ExecutionStatus | undefined;
      const checked = await client.executions.verify(
        command.execIds.length > 0 ? { execIds: command.execIds } : { flow: command.flow, status, limit: command.limit },
      );
      flowVersion = checked.flowVersion;
      where = "the runner's code";
      results.push(...checked.results);
    }
    const bad = results.some((r) => r.verdict === "diverged" || r.verdict === "failed");
    if (command.output === "json") {
      io.out(JSON.stringify({ command: command.kind, flow_version: flowVersion, items: results.map(verificationItem), count: results.length }, null, 2));
    } else {
      io.out(`Checked against flow version ${flowVersion} (${where}):`);
      if (results.length === 0) io.out("  no executions selected");
      for (const result of results) for (const line of resultLines(result)) io.out(line);
      io.out(summary(results));
    }
    return bad ? 1 : 0;
  };
}

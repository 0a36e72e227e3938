/**
 * What the Python and Go client tests share: running their toolchains without
 * blocking the event loop (the services answer from this process), the code
 * blocks of their READMEs, and the flows both suites steer.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { JsonObject } from "@bufbuild/protobuf";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { approvalFlow } from "../fixtures/flows/approval.ts";
import { chattyFlow, flakyFlow, sleepingFlow } from "../fixtures/flows/observability.ts";
import { eventually, type RunnerEnv } from "../support/runner-env.ts";
import { TEST_TOKENS, tlsFile, type SecuredServices } from "../support/secured-services.ts";
import { bigOutputsFlow, failsOnceFlow, orderedFlow } from "./fixtures/client-flows.ts";
import { heavyFlow } from "../fixtures/flows/response-sizes.ts";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The flows the live client suites use (clients/python/tests, clients/go/livetest). */
export const CLIENT_FLOWS = [contentPipeline, approvalFlow, chattyFlow, flakyFlow, sleepingFlow, failsOnceFlow, orderedFlow, bigOutputsFlow, heavyFlow];

/** The flow version the suites' runner serves; they read it as KITARU_TEST_FLOW_VERSION. */
export const CLIENT_FLOW_VERSION = "clients-v1";

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
}

/** Runs a command to its end; resolves with its exit code and stdout + stderr interleaved. Killed after `timeoutMs`. */
export function run(command: string, args: readonly string[], options: RunOptions) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The first fenced code block of `language` in a README under the repository, or throws. */
export function readmeCode(readme: string, language: string): string {
  const text = readFileSync(path.join(REPO_ROOT, readme), "utf8");
  const block = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\``, "m").exec(text);
  if (!block?.[1]) throw new Error(`${readme} has no \`\`\`${language} block`);
  return block[1];
}

/** The variables pointing a client test at the secured services: https URLs, the test CA, a team-a token. */
export function securedEnv(services: SecuredServices): Record<string, string> {
  return {
    KITARU_SECURE_RUNNER_URL: services.runnerUrl,
    KITARU_SECURE_PLANNER_URL: services.plannerUrl,
    KITARU_SECURE_CA_FILE: tlsFile("ca.pem"),
    KITARU_SECURE_TOKEN: TEST_TOKENS.teamA,
  };
}

/** Starts `flowName` through the raw runner client and waits until it completed; returns its ID. */
export async function completedExecution(env: RunnerEnv, flowName: string, input: JsonObject): Promise<string> {
  const started = await env.client.startExecution({ flowName, input });
  const execId = started.execution?.execId ?? "";
  const done = await eventually(
    () => env.client.getExecution({ execId }),
    (r) => r.execution?.status === ExecutionStatus.COMPLETED,
    20_000,
  );
  if (done.execution?.status !== ExecutionStatus.COMPLETED) throw new Error(`${flowName} ${execId} did not complete`);
  return execId;
}

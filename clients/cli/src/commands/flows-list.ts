/**
 * `kitaru flows list`: the flows the runner serves.
 *
 * @module
 */
import { printItems } from "../output.ts";
import type { CommandRunner } from "./context.ts";

/**
 * Prints one line per flow with its input fields and the flow version of the
 * runner's code (text), or `{"command": "flows.list", "items", "count"}`.
 */
export const runFlowsList: CommandRunner<"flows.list"> = async (command, { io, client }) => {
  const flows = await client.flows.list();
  if (command.output === "json") {
    printItems(
      io,
      command.kind,
      flows.map((flow) => ({ name: flow.name, input_schema: flow.inputSchema ?? null, flow_version: flow.flowVersion })),
    );
    return 0;
  }
  if (flows.length === 0) {
    io.out("No flows are registered with this runner.");
    return 0;
  }
  for (const flow of flows) io.out(`${flow.name}  ${describeInput(flow.inputSchema)}`);
  io.out(`Flow version: ${flows[0]?.flowVersion || "unknown"}`);
  return 0;
};

/** `input: topic (string, required), audience (string)` from a JSON Schema object. */
function describeInput(schema: Readonly<Record<string, unknown>> | undefined): string {
  const properties = schema?.["properties"];
  if (properties === null || typeof properties !== "object") return "input: any JSON object";
  const required = new Set(Array.isArray(schema?.["required"]) ? (schema["required"] as unknown[]) : []);
  const fields = Object.entries(properties as Record<string, { type?: unknown }>).map(([name, field]) => {
    const type = typeof field?.type === "string" ? field.type : "any";
    return `${name} (${type}${required.has(name) ? ", required" : ""})`;
  });
  return fields.length === 0 ? "input: {}" : `input: ${fields.join(", ")}`;
}

import { pathToFileURL } from "node:url";
import path from "node:path";
import { toJSONSchema, type z } from "zod";
import type { JsonObject } from "../authoring/json-value.ts";
import { KitaruNotFoundError, KitaruUsageError } from "#contract/errors/index.ts";
import { isFlow, type Flow } from "../authoring/flow.ts";

/** A flow as the engine runs it. */
export type RegisteredFlow = Flow<z.ZodType, unknown>;

/** The flow version of flows registered without one (in-process engines, tests). */
const UNVERSIONED = "unversioned";

/** Options of a {@link FlowRegistry}. */
export interface FlowRegistryOptions {
  /**
   * The version of the code the flows come from: recorded by every execution
   * this runner creates and by every run of a body on it. Default {@link UNVERSIONED}.
   */
  readonly version?: string | undefined;
  /** How the version was obtained, in words (for the runner's start-up line). */
  readonly versionSource?: string | undefined;
}

/** The flows a runner can execute, by name, and the version of their code. */
export class FlowRegistry {
  readonly #flows = new Map<string, RegisteredFlow>();
  /** The version of the code the flows come from (see {@link FlowRegistryOptions.version}). */
  readonly version: string;
  /** How {@link version} was obtained, in words. */
  readonly versionSource: string;

  /** Registers flows; a second flow with the same name is a usage error. */
  constructor(flows: Iterable<RegisteredFlow> = [], options: FlowRegistryOptions = {}) {
    this.version = options.version ?? UNVERSIONED;
    this.versionSource = options.versionSource ?? (options.version === undefined ? "not given" : "given");
    for (const flow of flows) {
      if (this.#flows.has(flow.name)) {
        throw new KitaruUsageError(`Two exported flows are named '${flow.name}'; flow names must be unique.`, { metadata: { flowName: flow.name } });
      }
      this.#flows.set(flow.name, flow);
    }
  }

  /**
   * Imports `modulePath` (with `load`, by default `import()`) and registers
   * every exported flow.
   */
  static async fromModule(
    modulePath: string,
    load: (url: string) => Promise<unknown> = (url) => import(url),
    options: FlowRegistryOptions = {},
  ): Promise<FlowRegistry> {
    const url = pathToFileURL(path.resolve(modulePath)).href;
    const module = (await load(url)) as Record<string, unknown>;
    const flows = Object.values(module).filter(isFlow);
    if (flows.length === 0) {
      const exported = Object.keys(module).sort().join(", ") || "nothing";
      throw new KitaruUsageError(`The flows module '${modulePath}' exports no flow (it exports: ${exported}). Export the objects returned by flow(...).`, {
        metadata: { flowsModule: modulePath, exports: exported },
      });
    }
    return new FlowRegistry(flows, options);
  }

  /** The flow named `name`; a not-found error naming the registered flows otherwise. */
  get(name: string): RegisteredFlow {
    const flow = this.#flows.get(name);
    if (flow === undefined) {
      const known = [...this.#flows.keys()].sort().join(", ") || "none";
      throw new KitaruNotFoundError(`No flow named '${name}' is registered with this runner. Registered flows: ${known}.`, {
        resourceType: "flow",
        resourceName: name,
        metadata: { flowName: name, registeredFlows: known },
      });
    }
    return flow;
  }

  /** True when a flow of that name is registered. */
  has(name: string): boolean {
    return this.#flows.has(name);
  }

  /** The registered flows, sorted by name, with the JSON Schema of their input (undefined when zod cannot express it). */
  describe(): { name: string; inputSchema: JsonObject | undefined }[] {
    return this.names.map((name) => {
      const flow = this.get(name);
      try {
        return { name, inputSchema: toJSONSchema(flow.inputSchema, { unrepresentable: "any", io: "input" }) as JsonObject };
      } catch {
        return { name, inputSchema: undefined };
      }
    });
  }

  /** Registered flow names, sorted. */
  get names(): string[] {
    return [...this.#flows.keys()].sort();
  }
}

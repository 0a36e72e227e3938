/**
 * Pure parsing of `kitaru` command lines into commands.
 *
 * `parseArgs(argv)` never prints or exits: it returns a command or the
 * message to show. Flag-combination rules and their messages follow Kitaru's
 * CLI (see docs/cli.md).
 *
 * @module
 */
import { parseArgs as parseNodeArgs } from "node:util";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { HelpTopic } from "./help.ts";
import { parseJsonObjectOption, parseJsonOption } from "./json-option.ts";

/** How a command prints its result. */
export type OutputFormat = "text" | "json";

/** A command name as used in JSON envelopes, e.g. `executions.replay`. */
export type CommandName = Command["kind"];

/** A command of the given kind, narrowed from {@link Command}. */
type CommandOf<K extends CommandName> = Extract<Command, { kind: K }>;

interface Base {
  readonly output: OutputFormat;
}

/** What `kitaru executions input` should do. */
export type InputMode = { readonly kind: "value"; readonly value: JsonValue } | { readonly kind: "abort" } | { readonly kind: "interactive" };

/** One parsed `kitaru` command. */
export type Command =
  | (Base & { readonly kind: "executions.get"; readonly execId: string })
  | (Base & {
      readonly kind: "executions.list";
      readonly flow: string | undefined;
      readonly status: string | undefined;
      /** `--limit N` (first N), or `--page P --size S` (default page 1 of 20). */
      readonly paging: { readonly kind: "limit"; readonly limit: number } | { readonly kind: "page"; readonly page: number; readonly size: number };
    })
  | (Base & {
      readonly kind: "executions.logs";
      readonly execId: string;
      readonly checkpoint: string | undefined;
      readonly limit: number | undefined;
      readonly follow: boolean;
      readonly grouped: boolean;
      /** 0: message only; 1: time and level; 2: also the checkpoint. */
      readonly verbosity: number;
    })
  | (Base & { readonly kind: "executions.latest"; readonly flow: string | undefined; readonly status: string | undefined })
  | (Base & { readonly kind: "executions.tree"; readonly execId: string; readonly max: number | undefined })
  | (Base & { readonly kind: "executions.diff"; readonly baseExecId: string; readonly otherExecId: string })
  | (Base & {
      readonly kind: "executions.verify";
      /** These executions; when empty, those the filter selects. */
      readonly execIds: readonly string[];
      readonly flow: string | undefined;
      readonly status: string | undefined;
      readonly limit: number;
      /** Check against this flows module (loaded here) instead of the runner's code. */
      readonly flowsModule: string | undefined;
      /** The flow version to report for `flowsModule` (default: the digest of its sources). */
      readonly flowVersion: string | undefined;
    })
  | (Base & {
      readonly kind: "executions.replay";
      /** The one execution to replay; undefined for a replay job (`selection`). */
      readonly execId: string | undefined;
      /** `--flow`/`--status`/`--since`/`--until`/`--label`/`--ids`/`--limit`: replay every execution selected (a replay job). */
      readonly selection: ReplaySelection | undefined;
      /** `--concurrency N`: replays of the job at once. */
      readonly concurrency: number | undefined;
      readonly from: string;
      readonly args: JsonObject | undefined;
      readonly overrides: JsonObject | undefined;
      /** `--allow-override-type-change`: accept overrides of another type than the outputs they replace. */
      readonly allowOverrideTypeChange: boolean;
      /** `--answer-waits-from-source NAME[,NAME]`: waits answered with the source's recorded answers (each replay's, in a job). */
      readonly answerWaitsFromSource: readonly string[];
      readonly plan: boolean;
      readonly wait: boolean;
      readonly requestId: string | undefined;
    })
  | (Base & { readonly kind: "executions.input"; readonly execId: string | undefined; readonly mode: InputMode })
  | (Base & { readonly kind: "executions.retry"; readonly execId: string })
  | (Base & { readonly kind: "executions.cancel"; readonly execId: string })
  | (Base & { readonly kind: "executions.watch"; readonly execId: string; readonly followWaits: boolean })
  | (Base & { readonly kind: "jobs.get"; readonly jobId: string })
  | (Base & { readonly kind: "jobs.list"; readonly limit: number })
  | (Base & { readonly kind: "jobs.diff"; readonly jobId: string; readonly changedOnly: boolean })
  | (Base & { readonly kind: "jobs.cancel"; readonly jobId: string })
  | (Base & { readonly kind: "jobs.watch"; readonly jobId: string })
  | (Base & { readonly kind: "flows.list" })
  | (Base & {
      readonly kind: "flows.run";
      readonly flow: string;
      readonly args: JsonObject;
      readonly wait: boolean;
      readonly requestId: string | undefined;
    });

/** Which executions `executions replay` replays as a job. */
export interface ReplaySelection {
  readonly flow: string | undefined;
  readonly statuses: readonly string[];
  readonly since: Date | undefined;
  readonly until: Date | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly execIds: readonly string[];
  readonly limit: number | undefined;
}

/** Anything `kitaru` can be asked to do: a client command, help, the version, or starting a service. */
export type Invocation =
  | Command
  | { readonly kind: "help"; readonly topic: HelpTopic }
  | { readonly kind: "version" }
  | { readonly kind: "service"; readonly service: ServiceName; readonly argv: readonly string[] };

/** The processes `kitaru` can start: the two services and the browser console. */
export type ServiceName = "runner" | "planner" | "console";

/** The result of {@link parseArgs}. */
export type ParseResult =
  | { readonly ok: true; readonly command: Invocation }
  | {
      readonly ok: false;
      readonly errorMessage: string;
      /** The command the error belongs to, for the JSON error envelope; unset before one is known. */
      readonly commandName?: CommandName | undefined;
      /** The output format asked for, so the error is printed in it. */
      readonly output: OutputFormat;
    };

type OptionSpec = { readonly type: "string" | "boolean"; readonly short?: string; readonly multiple?: boolean };

/** How `parseArgs` reads `@file` option values; without it, `@file` is refused. */
export interface ParseOptions {
  /** Reads a file as UTF-8 text; throws (any error) when it cannot. */
  readonly readFile?: ((path: string) => string) | undefined;
  /** The clock for durations such as `--since 1h`; default the system's. */
  readonly now?: (() => Date) | undefined;
}

interface CommandSpec {
  readonly name: CommandName;
  readonly usage: string;
  /** Positional names; a trailing `?` marks the optional one, a trailing `*` any number (the last one). */
  readonly positionals: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
}

const common: Record<string, OptionSpec> = {
  output: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
};

const specs: Readonly<Record<CommandName, CommandSpec>> = {
  "executions.get": { name: "executions.get", usage: "kitaru executions get <exec_id>", positionals: ["exec_id"], options: {} },
  "executions.list": {
    name: "executions.list",
    usage: "kitaru executions list [--flow NAME] [--status STATUS] [--limit N | --page N --size N]",
    positionals: [],
    options: { flow: { type: "string" }, status: { type: "string" }, limit: { type: "string" }, page: { type: "string" }, size: { type: "string" } },
  },
  "executions.logs": {
    name: "executions.logs",
    usage: "kitaru executions logs <exec_id> [--checkpoint NAME] [--limit N] [--follow] [--grouped] [-v|-vv]",
    positionals: ["exec_id"],
    options: {
      checkpoint: { type: "string" },
      limit: { type: "string" },
      follow: { type: "boolean" },
      interval: { type: "string" },
      grouped: { type: "boolean" },
      source: { type: "string" },
      verbose: { type: "boolean", short: "v", multiple: true },
    },
  },
  "executions.latest": {
    name: "executions.latest",
    usage: "kitaru executions latest [--flow NAME] [--status STATUS]",
    positionals: [],
    options: { flow: { type: "string" }, status: { type: "string" } },
  },
  "executions.replay": {
    name: "executions.replay",
    usage:
      "kitaru executions replay <exec_id> | --flow NAME [--status S] [--since T] [--until T] [--label K=V] [--ids ID,...] [--limit N] --from SELECTOR [--args JSON] [--overrides JSON] [--allow-override-type-change] [--answer-waits-from-source NAME[,NAME]] [--plan | --wait]",
    positionals: ["exec_id?"],
    options: {
      flow: { type: "string" },
      status: { type: "string", multiple: true },
      since: { type: "string" },
      until: { type: "string" },
      label: { type: "string", multiple: true },
      ids: { type: "string", multiple: true },
      limit: { type: "string" },
      concurrency: { type: "string" },
      "answer-waits-from-source": { type: "string", multiple: true },
      from: { type: "string" },
      args: { type: "string" },
      overrides: { type: "string" },
      "allow-override-type-change": { type: "boolean" },
      plan: { type: "boolean" },
      wait: { type: "boolean" },
      "request-id": { type: "string" },
    },
  },
  "executions.input": {
    name: "executions.input",
    usage: "kitaru executions input <exec_id> --value JSON | --abort | --interactive",
    positionals: ["exec_id?"],
    options: { value: { type: "string" }, abort: { type: "boolean" }, interactive: { type: "boolean", short: "i" } },
  },
  "executions.retry": { name: "executions.retry", usage: "kitaru executions retry <exec_id>", positionals: ["exec_id"], options: {} },
  "executions.cancel": { name: "executions.cancel", usage: "kitaru executions cancel <exec_id>", positionals: ["exec_id"], options: {} },
  "executions.watch": {
    name: "executions.watch",
    usage: "kitaru executions watch <exec_id> [--follow-waits]",
    positionals: ["exec_id"],
    options: { "follow-waits": { type: "boolean" } },
  },
  "executions.tree": {
    name: "executions.tree",
    usage: "kitaru executions tree <exec_id> [--max N]",
    positionals: ["exec_id"],
    options: { max: { type: "string" } },
  },
  "executions.diff": {
    name: "executions.diff",
    usage: "kitaru executions diff <base_exec_id> <other_exec_id>",
    positionals: ["base_exec_id", "other_exec_id"],
    options: {},
  },
  "executions.verify": {
    name: "executions.verify",
    usage: "kitaru executions verify [<exec_id> ...] [--flow NAME] [--status STATUS] [--limit N] [--flows MODULE [--flow-version V]]",
    positionals: ["exec_id*"],
    options: {
      flow: { type: "string" },
      status: { type: "string" },
      limit: { type: "string" },
      flows: { type: "string" },
      "flow-version": { type: "string" },
    },
  },
  "jobs.get": { name: "jobs.get", usage: "kitaru jobs get <job_id>", positionals: ["job_id"], options: {} },
  "jobs.list": { name: "jobs.list", usage: "kitaru jobs list [--limit N]", positionals: [], options: { limit: { type: "string" } } },
  "jobs.diff": {
    name: "jobs.diff",
    usage: "kitaru jobs diff <job_id> [--changed]",
    positionals: ["job_id"],
    options: { changed: { type: "boolean" } },
  },
  "jobs.cancel": { name: "jobs.cancel", usage: "kitaru jobs cancel <job_id>", positionals: ["job_id"], options: {} },
  "jobs.watch": { name: "jobs.watch", usage: "kitaru jobs watch <job_id>", positionals: ["job_id"], options: {} },
  "flows.list": { name: "flows.list", usage: "kitaru flows list", positionals: [], options: {} },
  "flows.run": {
    name: "flows.run",
    usage: "kitaru flows run <flow> [--args JSON] [--wait] [--request-id ID]",
    positionals: ["flow"],
    options: { args: { type: "string" }, wait: { type: "boolean" }, "request-id": { type: "string" } },
  },
};

const groups: Readonly<Record<string, readonly string[]>> = {
  executions: ["get", "list", "latest", "replay", "input", "retry", "cancel", "watch", "logs", "tree", "diff", "verify"],
  flows: ["run", "list"],
  jobs: ["get", "list", "diff", "cancel", "watch"],
};

class ParseError extends Error {}

type Values = Record<string, string | boolean | boolean[] | string[] | undefined>;

/**
 * Rewrites `--opt value` into `--opt=value` for string options, so values
 * starting with `-` (`--value -1`) are taken as values, as users expect.
 */
function joinStringValues(args: readonly string[], options: Readonly<Record<string, OptionSpec>>): string[] {
  const stringFlags = new Set<string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== "string") continue;
    stringFlags.add(`--${name}`);
    if (spec.short) stringFlags.add(`-${spec.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const next = args[i + 1];
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    if (stringFlags.has(arg) && next !== undefined) {
      // Long options take `--name=value`; short ones take the value attached (`-ojson`).
      out.push(arg.startsWith("--") ? `${arg}=${next}` : `${arg}${next}`);
      i += 1;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** The `-o/--output` value found anywhere in `args`, read leniently, so errors can be printed in it. */
function scanOutput(args: readonly string[]): OutputFormat {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const value = arg === "-o" || arg === "--output" ? args[i + 1] : /^(?:--output=|-o=?)(.+)$/.exec(arg)?.[1];
    if (value === "json") return "json";
  }
  return "text";
}

function readOutput(value: string | undefined): OutputFormat {
  if (value === undefined) return "text";
  if (value === "text" || value === "json") return value;
  throw new ParseError("`--output` must be either `text` or `json`.");
}

function str(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/** Every value of a repeatable option, each also split at commas (`--ids a,b --ids c`). */
function list(values: Values, name: string): string[] {
  const value = values[name];
  const given = Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : typeof value === "string" ? [value] : [];
  return given
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

function flag(values: Values, name: string): boolean {
  return values[name] === true;
}

function nodeParseMessage(error: unknown, spec: CommandSpec): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-[^' ]*)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) {
    return `Unknown option '${option}' for \`kitaru ${spec.name.replace(".", " ")}\`. Usage: ${spec.usage}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    return message.includes("does not take an argument") ? `Option \`${option}\` does not take a value.` : `Option \`${option}\` requires a value.`;
  }
  return message;
}

/**
 * The JSON text of an option: the value itself, or with a leading `@` the
 * contents of the file it names (as Kitaru accepts for JSON options).
 */
function jsonText(flagName: string, text: string, options: ParseOptions): { text: string; file?: string } {
  if (!text.startsWith("@")) return { text };
  const path = text.slice(1);
  if (options.readFile === undefined) throw new ParseError(`\`--${flagName}\` cannot read files here.`);
  try {
    return { text: options.readFile(path), file: path };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ParseError(`Unable to read \`--${flagName}\` file '${path}': ${reason}`);
  }
}

function json(flagName: string, text: string | undefined, options: ParseOptions): JsonValue | undefined {
  if (text === undefined) return undefined;
  const source = jsonText(flagName, text, options);
  const parsed = parseJsonOption(flagName, source.text, source.file);
  if (!parsed.ok) throw new ParseError(parsed.message);
  return parsed.value;
}

function jsonObject(flagName: string, text: string | undefined, example: string, options: ParseOptions): JsonObject | undefined {
  if (text === undefined) return undefined;
  const source = jsonText(flagName, text, options);
  const parsed = parseJsonObjectOption(flagName, source.text, example, source.file);
  if (!parsed.ok) throw new ParseError(parsed.message);
  return parsed.value;
}

function integer(flagName: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(text.trim())) throw new ParseError(`\`--${flagName}\` must be an integer.`);
  return Number(text);
}

/** Kitaru's list paging: `--limit N`, or `--page`/`--size` (default page 1 of 20), never both. */
function listPaging(values: Values): CommandOf<"executions.list">["paging"] {
  const limit = integer("limit", str(values, "limit"));
  const page = integer("page", str(values, "page"));
  const size = integer("size", str(values, "size"));
  if (limit !== undefined) {
    if (limit < 1) throw new ParseError("`--limit` must be >= 1 when provided.");
    if (page !== undefined || size !== undefined) {
      throw new ParseError("`--limit` cannot be combined with `--page` or `--size`; use either `--limit N` or `--page 1 --size N`.");
    }
    return { kind: "limit", limit };
  }
  if (page !== undefined && page < 1) throw new ParseError("`--page` must be >= 1.");
  if (size !== undefined && (size < 1 || size > 200)) throw new ParseError("`--size` must be between 1 and 200.");
  return { kind: "page", page: page ?? 1, size: size ?? 20 };
}

function buildLogs(execId: string, values: Values, output: OutputFormat): Command {
  const grouped = flag(values, "grouped");
  if (grouped && output === "json") throw new ParseError("`--grouped` cannot be combined with `--output json`.");
  const source = (str(values, "source") ?? "step").trim().toLowerCase();
  if (source !== "step") {
    throw new ParseError(
      source === "runner"
        ? "`--source runner` is not available: kitaru stores the logs of checkpoint code (`step`); the runner's own lines are on its console."
        : `\`--source\` must be \`step\`; got '${source}'.`,
    );
  }
  const interval = str(values, "interval");
  if (interval !== undefined && !(Number(interval) > 0)) throw new ParseError("`--interval` must be > 0.");
  const limit = integer("limit", str(values, "limit"));
  if (limit !== undefined && limit < 1) throw new ParseError("`--limit` must be >= 1 when provided.");
  const verbose = values["verbose"];
  return {
    kind: "executions.logs",
    execId,
    checkpoint: str(values, "checkpoint"),
    limit,
    follow: flag(values, "follow"),
    grouped,
    verbosity: Math.min(Array.isArray(verbose) ? verbose.length : verbose === true ? 1 : 0, 2),
    output,
  };
}

function build(spec: CommandSpec, values: Values, positionals: readonly string[], output: OutputFormat, options: ParseOptions): Command {
  const target = positionals[0];
  switch (spec.name) {
    case "executions.get":
    case "executions.retry":
    case "executions.cancel":
      return { kind: spec.name, execId: target as string, output };
    case "executions.watch":
      return { kind: spec.name, execId: target as string, followWaits: flag(values, "follow-waits"), output };
    case "executions.list":
      return { kind: spec.name, flow: str(values, "flow"), status: str(values, "status"), paging: listPaging(values), output };
    case "executions.logs":
      return buildLogs(target as string, values, output);
    case "executions.tree": {
      const max = integer("max", str(values, "max"));
      if (max !== undefined && (max < 1 || max > 1000)) throw new ParseError("`--max` must be between 1 and 1000.");
      return { kind: spec.name, execId: target as string, max, output };
    }
    case "executions.diff":
      return { kind: spec.name, baseExecId: target as string, otherExecId: positionals[1] as string, output };
    case "executions.verify":
      return buildVerify(positionals, values, output);
    case "flows.list":
      return { kind: spec.name, output };
    case "executions.latest":
      return { kind: spec.name, flow: str(values, "flow"), status: str(values, "status"), output };
    case "executions.replay":
      return buildReplay(target, values, output, options);
    case "jobs.get":
    case "jobs.cancel":
    case "jobs.watch":
      return { kind: spec.name, jobId: target as string, output };
    case "jobs.diff":
      return { kind: spec.name, jobId: target as string, changedOnly: flag(values, "changed"), output };
    case "jobs.list": {
      const limit = integer("limit", str(values, "limit")) ?? 20;
      if (limit < 1 || limit > 1000) throw new ParseError("`--limit` must be between 1 and 1000.");
      return { kind: spec.name, limit, output };
    }
    case "executions.input":
      return { kind: spec.name, execId: target, mode: inputMode(target, values, output, options), output };
    case "flows.run":
      return {
        kind: spec.name,
        flow: target as string,
        args: jsonObject("args", str(values, "args"), '{"topic": "AI"}', options) ?? {},
        wait: flag(values, "wait"),
        requestId: str(values, "request-id"),
        output,
      };
  }
}

/** The options that make `executions replay` a replay job. */
const SELECTION_OPTIONS = ["flow", "status", "since", "until", "label", "ids", "limit"] as const;

/**
 * A time option: an ISO 8601 time, or a duration before `now` (`30m`, `2h`,
 * `7d`), as in "everything that failed in the last hour" (`--since 1h`).
 */
function time(flagName: string, text: string | undefined, now: Date): Date | undefined {
  if (text === undefined) return undefined;
  const ago = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (ago) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as "s" | "m" | "h" | "d"];
    return new Date(now.getTime() - Number(ago[1]) * unit);
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new ParseError(`\`--${flagName}\` must be an ISO 8601 time (2026-12-07T10:00:00Z) or a duration before now (30m, 2h, 7d); got '${text}'.`);
  }
  return date;
}

function selection(values: Values, now: Date): ReplaySelection | undefined {
  if (!SELECTION_OPTIONS.some((name) => values[name] !== undefined)) return undefined;
  const labels: Record<string, string> = {};
  for (const label of list(values, "label")) {
    const at = label.indexOf("=");
    if (at <= 0) throw new ParseError(`\`--label\` takes KEY=VALUE; got '${label}'.`);
    labels[label.slice(0, at)] = label.slice(at + 1);
  }
  const execIds = list(values, "ids");
  const flow = str(values, "flow");
  if (flow === undefined && execIds.length === 0) throw new ParseError("Select the executions to replay with `--flow NAME` or `--ids ID,...`.");
  const limit = integer("limit", str(values, "limit"));
  if (limit !== undefined && (limit < 1 || limit > 10_000)) throw new ParseError("`--limit` must be between 1 and 10000.");
  const since = time("since", str(values, "since"), now);
  const until = time("until", str(values, "until"), now);
  if (since !== undefined && until !== undefined && since >= until) throw new ParseError("`--since` must be before `--until`.");
  return { flow, statuses: list(values, "status"), since, until, labels, execIds, limit };
}

function buildReplay(execId: string | undefined, values: Values, output: OutputFormat, options: ParseOptions): Command {
  const chosen = selection(values, options.now?.() ?? new Date());
  if (execId !== undefined && chosen !== undefined) {
    throw new ParseError("Give one execution ID, or select executions with `--flow`/`--ids` (a replay job), not both.");
  }
  if (execId === undefined && chosen === undefined) {
    throw new ParseError("Missing execution ID. Give one, or select executions with `--flow NAME` or `--ids ID,...` to replay them all.");
  }
  const concurrency = integer("concurrency", str(values, "concurrency"));
  if (concurrency !== undefined && (concurrency < 1 || concurrency > 64)) throw new ParseError("`--concurrency` must be between 1 and 64.");
  if (chosen === undefined && concurrency !== undefined) {
    throw new ParseError("`--concurrency` applies to a replay job: select executions with `--flow` or `--ids`.");
  }
  const from = str(values, "from");
  if (from === undefined) {
    throw new ParseError("`--from` is required: a checkpoint name, invocation ID or call ID to replay from.");
  }
  const plan = flag(values, "plan");
  if (plan && flag(values, "wait")) throw new ParseError("`--wait` cannot be used with `--plan`.");
  if (plan && str(values, "request-id") !== undefined) {
    throw new ParseError("`--request-id` cannot be used with `--plan` (a plan creates nothing).");
  }
  return {
    kind: "executions.replay",
    execId,
    selection: chosen,
    concurrency,
    from,
    args: jsonObject("args", str(values, "args"), '{"topic": "AI"}', options),
    overrides: jsonObject("overrides", str(values, "overrides"), '{"checkpoint.research": "Edited notes"}', options),
    allowOverrideTypeChange: flag(values, "allow-override-type-change"),
    answerWaitsFromSource: waitNames(values["answer-waits-from-source"]),
    plan,
    wait: flag(values, "wait"),
    requestId: str(values, "request-id"),
    output,
  };
}

/** `--answer-waits-from-source approve,review` (the option repeatable): wait names, none blank. */
function waitNames(given: Values[string]): string[] {
  const texts = Array.isArray(given) ? given.filter((v): v is string => typeof v === "string") : typeof given === "string" ? [given] : [];
  return texts.flatMap((text) => {
    const names = text.split(",");
    if (names.some((name) => name.trim() === "")) {
      throw new ParseError(`\`--answer-waits-from-source\` takes wait names separated by commas, none blank, e.g. approve,review. Received: '${text}'.`);
    }
    return names;
  });
}

function buildVerify(execIds: readonly string[], values: Values, output: OutputFormat): Command {
  const flow = str(values, "flow");
  const status = str(values, "status");
  const given = integer("limit", str(values, "limit"));
  if (given !== undefined && (given < 1 || given > 1000)) throw new ParseError("`--limit` must be between 1 and 1000.");
  if (execIds.length > 0 && (flow !== undefined || status !== undefined || given !== undefined)) {
    throw new ParseError("Give execution IDs or `--flow`/`--status`/`--limit`, not both.");
  }
  const flowsModule = str(values, "flows");
  const flowVersion = str(values, "flow-version");
  if (flowVersion !== undefined && flowsModule === undefined) {
    throw new ParseError("`--flow-version` names the version of `--flows`; give the flows module too (without it, the runner's own code is checked).");
  }
  return { kind: "executions.verify", execIds, flow, status, limit: given ?? 20, flowsModule, flowVersion, output };
}

/** Kitaru's rules for `executions input`, in its order: interactive conflicts first. */
function inputMode(execId: string | undefined, values: Values, output: OutputFormat, options: ParseOptions): InputMode {
  const value = str(values, "value");
  const abort = flag(values, "abort");
  if (flag(values, "interactive")) {
    if (value !== undefined) throw new ParseError("`--value` cannot be used with `--interactive`.");
    if (abort) throw new ParseError("`--abort` cannot be used with `--interactive`.");
    if (output === "json") throw new ParseError("`--output json` cannot be used with `--interactive`.");
    return { kind: "interactive" };
  }
  if (execId === undefined) {
    throw new ParseError("Execution ID is required in non-interactive mode. Use `--interactive` to sweep all waiting executions.");
  }
  if (abort) {
    if (value !== undefined) throw new ParseError("`--value` cannot be used with `--abort`.");
    return { kind: "abort" };
  }
  if (value === undefined) throw new ParseError("`--value` is required (or use `--abort` / `--interactive`).");
  return { kind: "value", value: json("value", value, options) as JsonValue };
}

/**
 * Kitaru's spellings (its CLI is built with cyclopts): every boolean flag
 * also as `--no-<flag>` (the default, off), and a command's execution ID
 * also as `--exec-id ID`. Returns the arguments without the `--no-` forms.
 */
function kitaruSpellings(args: readonly string[], options: Readonly<Record<string, OptionSpec>>): string[] {
  const out: string[] = [];
  for (const [index, arg] of args.entries()) {
    if (arg === "--") {
      out.push(...args.slice(index));
      break;
    }
    const negated = /^--no-(.+)$/.exec(arg)?.[1];
    if (negated !== undefined && options[negated]?.type === "boolean" && negated !== "help") {
      // The last of `--x` and `--no-x` wins, as in Kitaru.
      for (let at = out.indexOf(`--${negated}`); at >= 0; at = out.indexOf(`--${negated}`)) out.splice(at, 1);
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** The positionals with `--exec-id` in front, when given; it and an execution ID argument must agree. */
function withExecIdOption(spec: CommandSpec, values: Values, positionals: readonly string[]): string[] {
  const execId = str(values, "exec-id");
  if (execId === undefined) return [...positionals];
  const [first] = positionals;
  if (first !== undefined && first !== execId) {
    throw new ParseError(`Give the execution ID once: as an argument ('${first}') or with \`--exec-id\` ('${execId}'). Usage: ${spec.usage}`);
  }
  return [execId, ...positionals.slice(first === undefined ? 0 : 1)];
}

function parseCommand(spec: CommandSpec, args: readonly string[], parseOptions: ParseOptions): ParseResult {
  const takesExecId = spec.positionals[0]?.startsWith("exec_id") === true;
  const options: Record<string, OptionSpec> = { ...common, ...spec.options, ...(takesExecId ? { "exec-id": { type: "string" } } : {}) };
  const fallbackOutput = scanOutput(args);
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseNodeArgs({
      args: joinStringValues(kitaruSpellings(args, options), options),
      options,
      allowPositionals: true,
      strict: true,
    }) as { values: Values; positionals: string[] });
  } catch (error) {
    return { ok: false, errorMessage: nodeParseMessage(error, spec), commandName: spec.name, output: fallbackOutput };
  }
  if (values["help"] === true) return { ok: true, command: { kind: "help", topic: spec.name } };
  try {
    if (takesExecId) positionals = withExecIdOption(spec, values, positionals);
    const output = readOutput(str(values, "output"));
    const required = spec.positionals.filter((p) => !p.endsWith("?") && !p.endsWith("*"));
    if (positionals.length < required.length) {
      const name = required[positionals.length];
      const missing = name === "flow" ? "flow name" : name === "job_id" ? "job ID" : "execution ID";
      throw new ParseError(`Missing ${missing}. Usage: ${spec.usage}`);
    }
    const extra = spec.positionals.at(-1)?.endsWith("*") ? undefined : positionals[spec.positionals.length];
    if (extra !== undefined) throw new ParseError(`Unexpected argument '${extra}'. Usage: ${spec.usage}`);
    return { ok: true, command: build(spec, values, positionals, output, parseOptions) };
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return { ok: false, errorMessage: error.message, commandName: spec.name, output: fallbackOutput };
  }
}

const isHelp = (arg: string | undefined): boolean => arg === "--help" || arg === "-h" || arg === "help";

/**
 * Parses a `kitaru` command line (without `node` and the script).
 *
 * `runner`/`planner`/`console` take the rest of the line unparsed. No arguments, `-h`
 * or `--help` anywhere before a command asks for help.
 */
export function parseArgs(argv: readonly string[], parseOptions: ParseOptions = {}): ParseResult {
  const [group, sub, ...rest] = argv;
  if (group === undefined || isHelp(group)) return { ok: true, command: { kind: "help", topic: "kitaru" } };
  if (group === "--version" || group === "-V" || group === "version") return { ok: true, command: { kind: "version" } };
  if (group === "runner" || group === "planner" || group === "console") {
    return { ok: true, command: { kind: "service", service: group, argv: argv.slice(1) } };
  }
  const subcommands = groups[group];
  if (subcommands === undefined) {
    return {
      ok: false,
      errorMessage: `Unknown command '${group}'. Expected one of: flows, executions, jobs, runner, planner, console. Run \`kitaru --help\`.`,
      output: scanOutput(argv),
    };
  }
  if (sub === undefined || isHelp(sub)) return { ok: true, command: { kind: "help", topic: group as HelpTopic } };
  if (!subcommands.includes(sub)) {
    return {
      ok: false,
      errorMessage: `Unknown ${group} subcommand '${sub}'. Expected one of: ${subcommands.join(", ")}.`,
      output: scanOutput(argv),
    };
  }
  return parseCommand(specs[`${group}.${sub}` as CommandName], rest, parseOptions);
}

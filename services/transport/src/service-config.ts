import { parseArgs } from "node:util";
import type { z } from "zod";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { formatViolations } from "#contract/errors/kitaru-error.ts";

/**
 * Builds a service configuration from flags (which win) and environment
 * variables, validated by `schema`. A bad value is a usage error naming the
 * flag, the variable and what is wrong.
 */
/** Where a setting comes from: a `--flag value` (or a bare `--flag` when `boolean`) and an environment variable. */
export interface SettingSource {
  readonly flag: string;
  readonly env: string;
  /** A switch: `--flag` alone means "true" (the variable takes true/false). */
  readonly boolean?: boolean;
}

function resolveConfig<S extends z.ZodType>(
  schema: S,
  settings: Readonly<Record<string, SettingSource>>,
  flags: Readonly<Record<string, string | boolean | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
): z.output<S> {
  const raw: Record<string, string> = {};
  for (const [key, source] of Object.entries(settings)) {
    const flag = flags[source.flag];
    const value = flag === true ? "true" : flag === false ? undefined : (flag ?? env[source.env]);
    if (value !== undefined && value !== "") raw[key] = value;
  }
  // A setting given neither way is "required", not zod's "expected string, received undefined" (a schema's own message wins).
  const parsed = schema.safeParse(raw, { error: (issue) => (issue.code === "invalid_type" && issue.input === undefined ? "is required" : undefined) });
  if (parsed.success) return parsed.data;
  const violations = parsed.error.issues.map((issue) => {
    const key = issue.path.map(String).join(".");
    const source = settings[key];
    return { field: source ? `--${source.flag} / ${source.env}` : key, description: issue.message };
  });
  throw new KitaruUsageError(`Invalid configuration: ${formatViolations(violations)}.`, { violations });
}

/** What a service's command line asked for. */
export type ServiceCommand<T> = { readonly kind: "help"; readonly text: string } | { readonly kind: "serve"; readonly config: T };

/**
 * Parses a service's command line (`--flag value` per setting, `-h/--help`)
 * and resolves its configuration with {@link resolveConfig}. An unknown flag
 * or a bad value is a usage error whose message ends with the help text for
 * unknown flags.
 */
export function parseServiceCommand<S extends z.ZodType>(
  argv: readonly string[],
  command: {
    readonly schema: S;
    readonly settings: Readonly<Record<string, SettingSource>>;
    readonly help: string;
    readonly env: Readonly<Record<string, string | undefined>>;
  },
): ServiceCommand<z.output<S>> {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(Object.values(command.settings).map((s) => [s.flag, { type: s.boolean ? ("boolean" as const) : ("string" as const) }])),
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new KitaruUsageError(`${(error as Error).message}\n\n${command.help}`);
  }
  if (flags["help"] === true) return { kind: "help", text: command.help };
  return { kind: "serve", config: resolveConfig(command.schema, command.settings, flags, command.env) };
}

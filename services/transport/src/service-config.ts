import type { z } from "zod";
import { KitaruUsageError } from "../../../clients/ts/src/errors/index.ts";

/**
 * Builds a service configuration from flags (which win) and environment
 * variables, validated by `schema`. A bad value is a usage error naming the
 * flag, the variable and what is wrong.
 */
export function resolveConfig<S extends z.ZodType>(
  schema: S,
  settings: Readonly<Record<string, { readonly flag: string; readonly env: string }>>,
  flags: Readonly<Record<string, string | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
): z.output<S> {
  const raw: Record<string, string> = {};
  for (const [key, source] of Object.entries(settings)) {
    const value = flags[source.flag] ?? env[source.env];
    if (value !== undefined && value !== "") raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const violations = parsed.error.issues.map((issue) => {
    const key = issue.path.map(String).join(".");
    const source = settings[key];
    return { field: source ? `--${source.flag} / ${source.env}` : key, description: issue.message };
  });
  throw new KitaruUsageError(`Invalid configuration: ${violations.map((v) => `${v.field}: ${v.description}`).join("; ")}.`, { violations });
}

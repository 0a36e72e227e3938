/**
 * One table of a service's settings: name, flag, environment variable,
 * default, schema and documentation, from which its zod schema, its
 * `--help` text and the tables of docs/deployment.md are all produced, so a
 * setting is added (or its default changed) in one place.
 *
 * @module
 */
import { z } from "zod";
import type { SettingSource } from "./service-config.ts";

/** One setting of a service. */
export interface Setting {
  readonly flag: string;
  readonly env: string;
  /** Validates (and coerces) the text from the flag or variable; give it its default with `.default(...)`. */
  readonly schema: z.ZodType;
  /** The argument placeholder in `--help`, e.g. `<ms>`; empty for a switch. */
  readonly arg: string;
  /** The default as a person reads it, e.g. `15000` or `unset: the embedded store`. */
  readonly shown: string;
  /** One line: what it does. */
  readonly doc: string;
  /** A switch: `--flag` alone means true. */
  readonly boolean?: boolean;
}

/** The settings of a service, by key (the name in its configuration object). */
export type SettingsTable = Readonly<Record<string, Setting>>;

/** A service's settings with what is derived from them. */
export interface ServiceSettings<T extends SettingsTable> {
  readonly table: T;
  /** Where each setting is read from, for `parseServiceCommand`. */
  readonly sources: { readonly [K in keyof T]: SettingSource };
  /** The object schema of the configuration. */
  readonly shape: { readonly [K in keyof T]: T[K]["schema"] };
  /** The `Options` part of `--help`. */
  helpOptions(): string;
  /** The Markdown table of docs/deployment.md: setting, variable, default, what it does. */
  markdown(): string;
}

/** Builds what a service derives from its settings table. */
export function defineSettings<T extends SettingsTable>(table: T): ServiceSettings<T> {
  const entries = Object.entries(table) as [keyof T & string, Setting][];
  const sources = Object.fromEntries(entries.map(([key, s]) => [key, { flag: s.flag, env: s.env, ...(s.boolean ? { boolean: true } : {}) }])) as {
    [K in keyof T]: SettingSource;
  };
  const shape = Object.fromEntries(entries.map(([key, s]) => [key, s.schema])) as { [K in keyof T]: T[K]["schema"] };
  return {
    table,
    sources,
    shape,
    helpOptions() {
      const rows = entries.map(([, s]) => ({
        flag: `--${s.flag}${s.arg ? ` ${s.arg}` : ""}`,
        env: s.env,
        doc: s.shown ? `${s.doc} (default: ${s.shown})` : s.doc,
      }));
      const flagWidth = Math.max(...rows.map((r) => r.flag.length));
      const envWidth = Math.max(...rows.map((r) => r.env.length));
      const lines = rows.map(({ flag, env, doc }) => `  ${flag.padEnd(flagWidth)}  ${env.padEnd(envWidth)}  ${doc}`);
      return `Options (flag, environment variable, what it does):\n${lines.join("\n")}\n  -h, --help`;
    },
    markdown() {
      const rows = entries.map(([, s]) => `| \`--${s.flag}\` | \`${s.env}\` | ${s.shown ? `\`${s.shown}\`` : "–"} | ${s.doc} |`);
      return ["| flag | environment | default | what it does |", "|---|---|---|---|", ...rows].join("\n");
    },
  };
}

/** A port number. */
export const portSchema = z.coerce.number().int().min(0).max(65535);
/** A positive number of milliseconds. */
export const positiveMsSchema = z.coerce.number().int().positive();

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
  /** Validates (and coerces) the text from the flag or variable; its default goes in `default`, not here. */
  readonly schema: z.ZodType;
  /** The value when neither the flag nor the variable is set; the schema, `--help` and the docs all take it from here. */
  readonly default?: string | number;
  /** The argument placeholder in `--help`, e.g. `<ms>`; empty for a switch. */
  readonly arg: string;
  /** One line: what it does. */
  readonly doc: string;
  /** A switch: `--flag` alone means true. */
  readonly boolean?: boolean;
}

/** The settings of a service, by key (the name in its configuration object). */
export type SettingsTable = Readonly<Record<string, Setting>>;

/** A setting's schema with its default, if it has one. */
type SchemaOf<S extends Setting> = S extends { readonly default: string | number } ? z.ZodDefault<S["schema"]> : S["schema"];

/** A service's settings with what is derived from them. */
export interface ServiceSettings<T extends SettingsTable> {
  readonly table: T;
  /** Where each setting is read from, for `parseServiceCommand`. */
  readonly sources: { readonly [K in keyof T]: SettingSource };
  /** The object schema of the configuration: each setting's schema, with its default. */
  readonly shape: { readonly [K in keyof T]: SchemaOf<T[K]> };
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
  const shape = Object.fromEntries(entries.map(([key, s]) => [key, s.default === undefined ? s.schema : s.schema.default(s.default)])) as {
    [K in keyof T]: SchemaOf<T[K]>;
  };
  // The default as a person reads it in `--help` and the docs ("" when there is none to show).
  const shown = (s: Setting) => (s.default === undefined ? "" : String(s.default));
  return {
    table,
    sources,
    shape,
    helpOptions() {
      const rows = entries.map(([, s]) => ({
        flag: `--${s.flag}${s.arg ? ` ${s.arg}` : ""}`,
        env: s.env,
        doc: shown(s) ? `${s.doc} (default: ${shown(s)})` : s.doc,
      }));
      const flagWidth = Math.max(...rows.map((r) => r.flag.length));
      const envWidth = Math.max(...rows.map((r) => r.env.length));
      const lines = rows.map(({ flag, env, doc }) => `  ${flag.padEnd(flagWidth)}  ${env.padEnd(envWidth)}  ${doc}`);
      return `Options (flag, environment variable, what it does):\n${lines.join("\n")}\n  -h, --help`;
    },
    markdown() {
      const rows = entries.map(([, s]) => `| \`--${s.flag}\` | \`${s.env}\` | ${shown(s) ? `\`${shown(s)}\`` : "–"} | ${s.doc} |`);
      return ["| flag | environment | default | what it does |", "|---|---|---|---|", ...rows].join("\n");
    },
  };
}

/** A port number. */
export const portSchema = z.coerce.number().int().min(0).max(65535);
/** An http:// or https:// URL of a kitaru service; the message shows `example`. */
export function serviceUrlSchema(example: string) {
  return z.url({ protocol: /^https?$/, error: `must be an http:// or https:// URL such as ${example}` });
}

/** A positive number of milliseconds. */
export const positiveMsSchema = z.coerce.number().int().positive();

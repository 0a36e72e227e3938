/**
 * A purpose-built reader for the YAML subset docker-compose.yml is written in
 * (no YAML dependency): block maps and block lists by indentation (spaces
 * only), one `key: value` per line, `- value` list items holding scalars,
 * full-line and trailing ` #` comments. Scalars are strings: plain, "double"
 * or 'single' quoted; a value starting with `[` or `{` is read as JSON (the
 * one-line command and health check arrays). Anything else (anchors, flow
 * maps that are not JSON, multi-line strings, maps inside lists) is an error
 * with its line number, so the file can never be half-understood.
 */

export type ComposeValue = string | null | ComposeValue[] | { [key: string]: ComposeValue };

interface Line {
  readonly number: number;
  readonly indent: number;
  readonly text: string;
}

/** Parses the compose subset described above. */
export function parseComposeYaml(source: string): { [key: string]: ComposeValue } {
  const lines: Line[] = [];
  source.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*\t/.test(raw)) throw new Error(`line ${i + 1}: tabs are not allowed for indentation`);
    const text = stripComment(raw, i + 1).trimEnd();
    if (text.trim() === "") return;
    lines.push({ number: i + 1, indent: text.length - text.trimStart().length, text: text.trim() });
  });
  if (lines.length === 0) return {};
  if (lines[0]!.indent !== 0) throw new Error(`line ${lines[0]!.number}: the document must start at column 0`);
  const [value, next] = parseBlock(lines, 0, 0);
  if (next !== lines.length) throw new Error(`line ${lines[next]!.number}: unexpected indentation`);
  if (value === null || Array.isArray(value) || typeof value !== "object") throw new Error("the document must be a map");
  return value;
}

function stripComment(raw: string, lineNumber: number): string {
  let quote: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(raw[i - 1]!))) return raw.slice(0, i);
  }
  if (quote) throw new Error(`line ${lineNumber}: unterminated ${quote} string`);
  return raw;
}

/** Parses the block starting at `lines[start]` (at `indent`); returns it and the index after it. */
function parseBlock(lines: readonly Line[], start: number, indent: number): [ComposeValue, number] {
  const first = lines[start]!;
  if (first.text === "-" || first.text.startsWith("- ")) {
    const items: ComposeValue[] = [];
    let i = start;
    while (i < lines.length && lines[i]!.indent === indent && (lines[i]!.text === "-" || lines[i]!.text.startsWith("- "))) {
      const line = lines[i]!;
      const item = line.text.slice(1).trim();
      if (item === "" || /^[^"'[{][^:]*:(\s|$)/.test(item)) throw new Error(`line ${line.number}: only scalar list items are supported`);
      items.push(parseScalar(item, line.number));
      i++;
    }
    return [items, i];
  }
  const map: { [key: string]: ComposeValue } = {};
  let i = start;
  while (i < lines.length && lines[i]!.indent === indent) {
    const line = lines[i]!;
    const m = /^([A-Za-z0-9_.\-/]+):(?:\s+(.*))?$/.exec(line.text);
    if (!m) throw new Error(`line ${line.number}: expected 'key: value' or 'key:', got '${line.text}'`);
    const key = m[1]!;
    if (Object.hasOwn(map, key)) throw new Error(`line ${line.number}: duplicate key '${key}'`);
    const rest = m[2]?.trim() ?? "";
    i++;
    if (rest !== "") {
      map[key] = parseScalar(rest, line.number);
    } else if (i < lines.length && lines[i]!.indent > indent) {
      [map[key], i] = parseBlock(lines, i, lines[i]!.indent);
    } else {
      map[key] = null;
    }
  }
  if (i < lines.length && lines[i]!.indent > indent) throw new Error(`line ${lines[i]!.number}: unexpected indentation`);
  return [map, i];
}

function parseScalar(text: string, lineNumber: number): ComposeValue {
  if (/^[&*!|>]/.test(text)) throw new Error(`line ${lineNumber}: anchors, aliases, tags and block scalars are not supported`);
  if (text.startsWith("[") || text.startsWith("{") || text.startsWith('"')) {
    try {
      return JSON.parse(text) as ComposeValue;
    } catch (error) {
      throw new Error(`line ${lineNumber}: not valid JSON: ${(error as Error).message}`);
    }
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) throw new Error(`line ${lineNumber}: unterminated ' string`);
    return text.slice(1, -1).replaceAll("''", "'");
  }
  return text;
}

/** A compose service as this project writes them. */
export interface ComposeService {
  readonly image?: string;
  readonly build?: string;
  readonly command?: string[];
  readonly environment: Record<string, string>;
  readonly ports: string[];
  readonly dependsOn: Record<string, string>;
  readonly healthcheck?: string[];
}

/** The services of a parsed compose file, with the fields the tests use, type-checked. */
export function composeServices(doc: { [key: string]: ComposeValue }): Record<string, ComposeService> {
  const services = asMap(doc.services, "services");
  const out: Record<string, ComposeService> = {};
  for (const [name, raw] of Object.entries(services)) {
    const s = asMap(raw, `services.${name}`);
    const env = s.environment === undefined ? {} : asMap(s.environment, `services.${name}.environment`);
    const dependsOn = s.depends_on === undefined ? {} : asMap(s.depends_on, `services.${name}.depends_on`);
    const health = s.healthcheck === undefined ? undefined : asMap(s.healthcheck, `services.${name}.healthcheck`);
    out[name] = {
      ...(s.image !== undefined && { image: asString(s.image, `services.${name}.image`) }),
      ...(s.build !== undefined && { build: asString(s.build, `services.${name}.build`) }),
      ...(s.command !== undefined && { command: asStrings(s.command, `services.${name}.command`) }),
      environment: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, asString(v, `services.${name}.environment.${k}`)])),
      ports: s.ports === undefined ? [] : asStrings(s.ports, `services.${name}.ports`),
      dependsOn: Object.fromEntries(
        Object.entries(dependsOn).map(([k, v]) => [
          k,
          asString(asMap(v, `services.${name}.depends_on.${k}`).condition, `services.${name}.depends_on.${k}.condition`),
        ]),
      ),
      ...(health && { healthcheck: asStrings(health.test, `services.${name}.healthcheck.test`) }),
    };
  }
  return out;
}

function asMap(value: ComposeValue | undefined, where: string): { [key: string]: ComposeValue } {
  if (value === null || value === undefined || typeof value !== "object" || Array.isArray(value)) throw new Error(`${where} must be a map`);
  return value;
}

function asString(value: ComposeValue | undefined, where: string): string {
  if (typeof value !== "string") throw new Error(`${where} must be a string`);
  return value;
}

function asStrings(value: ComposeValue | undefined, where: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new Error(`${where} must be a list of strings`);
  return value as string[];
}

/**
 * Compose's variable interpolation of one value: `${NAME}`, `${NAME:-default}`
 * and `${NAME:?message}` (which fails, as compose does, when NAME is unset or empty).
 */
export function interpolate(value: string, variables: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g, (_all, name: string, op: string | undefined, arg: string | undefined) => {
    const found = variables[name];
    if (found !== undefined && found !== "") return found;
    if (op === ":-") return arg ?? "";
    if (op === ":?") throw new Error(`required variable ${name} is missing a value: ${arg ?? ""}`);
    return "";
  });
}

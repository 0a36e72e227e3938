/** A running local FerretDB server. */
export interface LocalFerretDB {
  /** `mongodb://127.0.0.1:<port>/?directConnection=true` (no database in the path). */
  readonly uri: string;
  readonly port: number;
  readonly dataDir: string;
  readonly pid: number;
  stop(): Promise<void>;
  /** Sends `signal` (SIGKILL: a crash) and resolves once the server has exited; its data dir is kept. */
  kill(signal: NodeJS.Signals): Promise<void>;
}
/** Starts FerretDB (building it first if needed); a temp data dir unless `dataDir` is given; `extraArgs` are more FerretDB flags. */
export function startFerretDB(options?: { dataDir?: string; port?: number; extraArgs?: readonly string[] }): Promise<LocalFerretDB>;
/** Builds the binary if it is not cached yet. */
export function ensureFerretDB(): string;
/** Path of the cached binary. */
export function ferretdbBinaryPath(): string;
export const FERRETDB_VERSION: string;

import type { LogPosition } from "./execution-store.ts";

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/**
 * The listing key of a log chunk: its position zero-padded, so that the
 * string order of keys is the (sequence, generation, attempt, chunk) order.
 * Both stores index log chunks by it.
 */
export function logOrderKey(position: LogPosition): string {
  return `${pad(position.sequence, 12)}:${pad(position.generation, 6)}:${pad(position.attempt, 6)}:${pad(position.chunk, 9)}`;
}

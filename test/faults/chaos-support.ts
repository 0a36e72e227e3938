/**
 * Helpers of the chaos scenarios: the flows module their runner processes
 * load (test/support/killable-runners.ts starts them, crash points armed or
 * not), and a seeded random source so a failing run can be repeated.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The flows module the chaos children load. */
export const CHAOS_FLOWS = fileURLToPath(new URL("../fixtures/flows/chaos-flows.ts", import.meta.url));

/** A small seeded PRNG (mulberry32): the same seed gives the same kill schedule choices. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Resolves after `ms` without keeping the process alive. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** `promise`, or `fallback` after `ms`. */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  return Promise.race([promise, sleep(ms).then(() => fallback)]);
}

import { createHash } from 'node:crypto';

export type Random = () => number;

/** mulberry32: a small 32-bit PRNG, good enough for test data and identical on every platform. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives a 32-bit seed from text, so each person and night gets its own stream. */
export function hashToSeed(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** Formats the SHA-256 of `text` as a version-4-shaped UUID, stable for the same text. */
export function hashToUuid(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function uniform(random: Random, min: number, max: number): number {
  return min + (max - min) * random();
}

/** Draws from the standard normal distribution (Box-Muller). */
export function standardNormal(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function roundToTenth(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * Returns the mean of values that have one decimal, rounded to one decimal. Summing whole tenths
 * keeps binary fractions out of the sum, so the result matches a by-hand calculation.
 */
export function meanToTenth(values: readonly number[]): number {
  const tenths = values.reduce((sum, value) => sum + Math.round(value * 10), 0);
  return Math.round(tenths / values.length) / 10;
}

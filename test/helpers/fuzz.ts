// fast-check settings for every property test: a fixed seed and a modest count in the suite;
// bench/fuzz-long.sh raises the count (FUZZ_SCALE, a multiplier) and draws new seeds
// (FUZZ_SEED, added to each test's own seed). fast-check prints the seed and path of any
// failure, so a failing long run replays with the same two variables.
export interface FuzzSettings {
  seed: number;
  numRuns: number;
}

const scale = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1) || 1);
const seedOffset = Number(process.env.FUZZ_SEED ?? 0) || 0;

export function fuzzSettings(seed: number, numRuns: number): FuzzSettings {
  return { seed: seed + seedOffset, numRuns: Math.round(numRuns * scale) };
}

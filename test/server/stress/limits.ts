/** Bounds the stress checks hold, shared by the server suite and `npm run soak`. */
/** Heap growth (after GC) allowed over a whole fuzz run; measured: about 1 MiB. */
export const FUZZ_HEAP_GROWTH_LIMIT = 8 * 1024 * 1024;
/** Highest heap (sampled without GC) above the starting heap during a fuzz run; measured: 15-40 MiB. */
export const FUZZ_PEAK_LIMIT = 96 * 1024 * 1024;
/** Heap growth (after GC) allowed over a leak run; measured: 0.8-1.3 MiB whatever the cycle count (no per-cycle growth). */
export const LEAK_HEAP_GROWTH_LIMIT = 3 * 1024 * 1024;

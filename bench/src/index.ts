// The benchmark harness's public surface: option parsing and the run itself (used by bench/run.ts).
export { parseOptions, usage, type BenchOptions } from './options.ts';
export { runBenchmarks } from './run-benchmarks.ts';

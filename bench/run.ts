// Entry point of `npm run bench`: parses options, runs the benchmark, exits non-zero on failures.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOptions, runBenchmarks } from './src/index.ts';

const benchDir = path.dirname(fileURLToPath(import.meta.url));

// Ctrl-C or a kill: exit through process 'exit' handlers, which stop servers and remove temp dirs.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

try {
  const code = await runBenchmarks(parseOptions(process.argv.slice(2)), benchDir);
  process.exit(code);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
}

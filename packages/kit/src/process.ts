// How a DockSphere process starts and stops: one place for the fatal-start exit and the
// SIGTERM/SIGINT shutdown sequence every main (and all-in-one) runs.
import { beginDraining } from './lifecycle.ts';
import type { Logger } from './logger.ts';

/** A step of shutdown, run in order: stop taking requests first, close storage last. */
export type ShutdownStep = () => Promise<unknown> | unknown;

/** On SIGTERM or SIGINT runs the steps once, in order, then exits (1 if a step failed). */
export function closeOnSignal(logger: Logger, name: string, steps: readonly ShutdownStep[]): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    beginDraining();
    logger.info({ signal }, `${name} shutting down`);
    try {
      for (const step of steps) await step();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, `${name} shutdown failed`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** Runs a process's main; a failure to start is printed and exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

// A macrotask boundary for background loops: on embedded PGlite every query resolves on this thread
// without waiting for I/O, so a loop of statements would starve sockets unless it yields between steps.

/** Resolves after pending I/O callbacks (HTTP requests) have had their turn. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

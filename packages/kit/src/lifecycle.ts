// The process's draining flag: set when shutdown begins (SIGTERM), so /readyz answers 503 and
// every reply closes its connection while in-flight requests finish.
let draining = false;

/** Marks the process as draining (idempotent). */
export function beginDraining(): void {
  draining = true;
}

/** Whether shutdown has begun: readiness probes answer 503, load balancers should send no new work. */
export function isDraining(): boolean {
  return draining;
}

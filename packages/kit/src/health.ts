// Health endpoints every DockSphere process serves, for Docker's HEALTHCHECK and Kubernetes probes:
// /healthz answers while the process runs (liveness); /readyz runs the readiness checks (the
// database answers, ...) and answers 503 naming the failing one, so no traffic is sent meanwhile.
import type { FastifyInstance } from 'fastify';

/** A readiness check: resolves when the dependency answers, rejects (or times out) when it does not. */
export type ReadinessCheck = () => Promise<unknown>;

const CHECK_TIMEOUT_MS = 3_000;

export function registerHealthRoutes(app: FastifyInstance, checks: Record<string, ReadinessCheck> = {}): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const failed: Record<string, string> = {};
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([check(), new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS)))]);
        } catch (err) {
          failed[name] = err instanceof Error ? err.message : String(err);
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    if (Object.keys(failed).length === 0) return { status: 'ready' };
    return reply.code(503).send({ error: { code: 'NOT_READY', message: `not ready: ${Object.keys(failed).join(', ')}`, details: failed } });
  });
}

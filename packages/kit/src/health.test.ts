import { describe, expect, it } from 'vitest';
import { registerHealthRoutes } from './health.ts';
import { createHttpServer } from './http.ts';
import { createLogger } from './logger.ts';

describe('health routes', () => {
  it('answers /healthz while running and /readyz only when every readiness check passes', async () => {
    let databaseUp = true;
    const app = createHttpServer({ logger: createLogger({ level: 'silent', name: 'health-test' }) });
    registerHealthRoutes(app, {
      database: async () => {
        if (!databaseUp) throw new Error('connection refused');
      },
      bus: async () => undefined,
    });
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });

    databaseUp = false;
    const notReady = await app.inject('/readyz');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ error: { code: 'NOT_READY', message: 'not ready: database', details: { database: 'connection refused' } } });
    // Liveness does not depend on the database: a restart would not bring it back.
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    await app.close();
  });
});

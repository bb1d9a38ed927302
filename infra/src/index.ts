// Starts the real servers tests need (Postgres, Redis, NATS, NGINX, dockerd) on free loopback ports.
export { freePort } from './free-port.ts';
export { waitForHttp, waitForPort, waitUntil, type WaitOptions } from './wait.ts';
export { hasCommand, requireServer } from './require-server.ts';
export { ServerProcess, makeTempDir, awaitReady, type ServerProcessOptions } from './server-process.ts';
export { startPostgres, postgresBinDir, type RunningPostgres } from './postgres.ts';
export { startRedis, type RunningRedis } from './redis.ts';
export { startNats, type RunningNats, type StartNatsOptions } from './nats.ts';
export { startNginx, renderNginxTemplate, readNginxTemplate, templatePlaceholders, type RunningNginx, type StartNginxOptions } from './nginx.ts';
export { renderFront, ACCEL_PREFIX, type FrontRoutes } from './front.ts';
export { ensureDockerd } from './dockerd.ts';
export { createTestCa, type TestCa, type IssuedCertificate } from './test-ca.ts';

import { defineConfig } from 'vitest/config';

// End-to-end suites: real servers (Postgres, NATS, NGINX, dockerd) and real clients (docker,
// skopeo, podman) against the built bundles. One file at a time: they share the Docker engine and
// the machine's two cores. e2e/conformance has its own suites, run by this same config.
export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    globalSetup: ['e2e/harness/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    sequence: { concurrent: false },
    reporters: ['default'],
  },
});

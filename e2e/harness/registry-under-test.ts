// The shape every e2e test gets, whichever way DockSphere was started.
import type { RegistryAuthFixture } from './auth-fixture.ts';

export interface RegistryUnderTest {
  /** http://127.0.0.1:PORT: where clients talk to (NGINX in the distributed mode). */
  url: string;
  /** 127.0.0.1:PORT, for image references (docker treats loopback registries as insecure). */
  host: string;
  /** Who issues tokens, and the users that exist; undefined when REGISTRY_AUTH=none. */
  auth: RegistryAuthFixture | undefined;
  dataDir: string;
  /** The filesystem driver's root (blobs/ below it). */
  storageDir: string;
  /** Each registry process's own URL, bypassing NGINX (distributed mode only), to check what every replica answers. */
  replicaUrls?: string[];
  /** NGINX's access log (distributed mode only): one line per request, with accel=1 when NGINX sent a blob file. */
  frontAccessLog?: () => string;
  /** Everything the DockSphere processes printed. */
  logs(): string;
  stop(): Promise<void>;
}

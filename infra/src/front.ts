// Renders nginx/nginx.conf for a harness (e2e, bench): each route to the process the harness started
// (or to a closed port, where NGINX answers 502), every registry replica a server of the one upstream.
import path from 'node:path';
import { readNginxTemplate, renderNginxTemplate } from './nginx.ts';

/** Where NGINX serves blob files for X-Accel-Redirect (the registry's STORAGE_ACCEL_PREFIX). */
export const ACCEL_PREFIX = '/_accel/blobs';

export interface FrontRoutes {
  /** NGINX's own port. */
  port: number;
  /** One per replica, round-robin. */
  registryPorts: readonly number[];
  /** host:port of each upstream. */
  auth: string;
  metadata: string;
  hooks: string;
  web: string;
  storageDir: string;
}

export function renderFront(prefix: string, routes: FrontRoutes): string {
  const [first] = routes.registryPorts;
  if (first === undefined) throw new Error('renderFront needs at least one registry replica');
  const rendered = renderNginxTemplate(readNginxTemplate(), {
    DS_LISTEN: `127.0.0.1:${routes.port}`,
    DS_REGISTRY_UPSTREAM: `127.0.0.1:${first}`,
    DS_AUTH_UPSTREAM: routes.auth,
    DS_METADATA_UPSTREAM: routes.metadata,
    DS_HOOKS_UPSTREAM: routes.hooks,
    DS_WEB_UPSTREAM: routes.web,
    DS_STORAGE_DIR: routes.storageDir,
    DS_ACCEL_PREFIX: ACCEL_PREFIX,
    DS_TEMP_DIR: path.join(prefix, 'temp'),
    DS_ACCESS_LOG: path.join(prefix, 'logs', 'access.log'),
    // Workers read blob files the registry wrote into a private temp dir.
    DS_WORKER_USER: process.getuid?.() === 0 ? 'root' : (process.env.USER ?? 'nobody'),
  });
  return rendered.replace(`server 127.0.0.1:${first};`, routes.registryPorts.map((p) => `server 127.0.0.1:${p};`).join(' '));
}

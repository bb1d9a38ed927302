// Serves the web console's static export (apps/web/out) on the all-in-one's one port: hashed
// assets cached for good, HTML revalidated every time, unknown pages answered by the console's
// 404 page, and the API prefixes left to their services (a JSON 404 there, never HTML).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@docksphere/kit';

/** Paths owned by the services: a miss there is an API 404, not a console page. */
const API_PREFIXES = ['/v2/', '/v2', '/api/', '/api', '/auth/', '/internal/', '/internal'];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * Header half of the console's Content-Security-Policy. The script half (script-src 'self' plus
 * the hashes of each page's inline bootstrap scripts) is a <meta> tag the build writes into every
 * HTML file, so NGINX and this server send the same policy. Both policies apply.
 */
export const CONSOLE_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

export function isApiPath(urlPath: string): boolean {
  return API_PREFIXES.some((p) => (p.endsWith('/') ? urlPath.startsWith(p) : urlPath === p));
}

/** Cache policy by path: Next.js puts content hashes in every name under /_next/static/. */
export function cacheControlFor(urlPath: string): string {
  return urlPath.startsWith('/_next/static/') ? 'public, max-age=31536000, immutable' : 'no-cache';
}

interface ResolvedFile {
  file: string;
  size: number;
  mtimeMs: number;
}

async function fileAt(root: string, relative: string): Promise<ResolvedFile | undefined> {
  const file = path.join(root, relative);
  // The joined path must stay inside the console's folder.
  if (file !== root && !file.startsWith(root + path.sep)) return undefined;
  try {
    const s = await stat(file);
    return s.isFile() ? { file, size: s.size, mtimeMs: s.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

type Lookup = { kind: 'file'; found: ResolvedFile } | { kind: 'redirect'; location: string } | { kind: 'missing' };

/** Maps a URL path to a file of the export: "/" and "/x/" to their index.html, "/x" to "/x/". */
export async function lookup(root: string, rawPath: string): Promise<Lookup> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { kind: 'missing' };
  }
  if (!rawPath.startsWith('/') || rawPath.startsWith('//') || decoded.includes('\0') || decoded.split('/').some((seg) => seg === '..')) return { kind: 'missing' };
  if (decoded.endsWith('/')) {
    const found = await fileAt(root, path.join(decoded, 'index.html'));
    return found ? { kind: 'file', found } : { kind: 'missing' };
  }
  const found = await fileAt(root, decoded);
  if (found) return { kind: 'file', found };
  if (await fileAt(root, path.join(decoded, 'index.html'))) return { kind: 'redirect', location: `${rawPath}/` };
  return { kind: 'missing' };
}

function send(request: FastifyRequest, reply: FastifyReply, found: ResolvedFile, urlPath: string, status = 200) {
  const etag = `W/"${found.size.toString(16)}-${Math.floor(found.mtimeMs).toString(16)}"`;
  reply.headers(CONSOLE_SECURITY_HEADERS);
  reply.header('content-type', CONTENT_TYPES[path.extname(found.file)] ?? 'application/octet-stream');
  reply.header('cache-control', status === 200 ? cacheControlFor(urlPath) : 'no-cache');
  if (status === 200) {
    reply.header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  }
  reply.header('content-length', found.size);
  reply.code(status);
  if (request.method === 'HEAD') return reply.send();
  return reply.send(createReadStream(found.file));
}

/**
 * Answers every GET/HEAD no service route matched: a console file, or the console's 404 page.
 * Registered as the root not-found handler, so no service route can be shadowed by it.
 */
export async function serveConsole(app: FastifyInstance, options: { dir: string; logger: Logger }): Promise<void> {
  const root = path.resolve(options.dir);
  const notFoundPage = await fileAt(root, '404.html');
  if (!notFoundPage) options.logger.warn({ dir: root }, 'the web console is not built (run npm run build): / answers 404');

  app.setNotFoundHandler(async (request, reply) => {
    const urlPath = request.url.split('?')[0] ?? '/';
    if ((request.method !== 'GET' && request.method !== 'HEAD') || isApiPath(urlPath) || !notFoundPage) {
      return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${urlPath}` } });
    }
    const found = await lookup(root, urlPath);
    if (found.kind === 'redirect') {
      const query = request.url.slice(urlPath.length);
      return reply.code(308).header('location', found.location + query).send();
    }
    if (found.kind === 'file') return send(request, reply, found.found, urlPath);
    return send(request, reply, notFoundPage, urlPath, 404);
  });
}

// The /v2 API as one encapsulated Fastify plugin: body pass-through, the OCI error handler, and one
// dispatcher per path that finds the resource, checks the caller's access, and calls its route.
import { DEFAULT_CACHE_PERIODS } from './domain/cache-periods.ts';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError, isValidRepositoryName, registryErrorTable, type RegistryErrorCode } from '@docksphere/oci';
import { Authorizer, type Principal, type Requirement } from './auth/authorize.ts';
import type { RegistryContext, RegistryServiceDeps } from './context.ts';
import { BlobLinks } from './domain/blob-links.ts';
import { ManifestService, RegistryErrors } from './domain/manifests.ts';
import { PullEvents } from './domain/pull-events.ts';
import { parseTarget, type Target } from './domain/target.ts';
import { UploadSessions } from './domain/uploads.ts';
import { getBase } from './routes/base.ts';
import { deleteBlob, getBlob } from './routes/blobs.ts';
import { getCatalog } from './routes/catalog.ts';
import { sendErrors, sendInternalError } from './routes/errors.ts';
import { queryValue } from './routes/http.ts';
import { deleteManifest, getManifest, putManifest } from './routes/manifests.ts';
import { getReferrers } from './routes/referrers.ts';
import { getTags } from './routes/tags.ts';
import { deleteUpload, getUploadStatus, patchUpload, postUpload, putUpload } from './routes/uploads.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
type Method = (typeof METHODS)[number];

function unsupported(method: string, target: Target): RegistryError {
  return new RegistryError('UNSUPPORTED', `${method} is not supported on this endpoint`, { endpoint: target.kind });
}

/** A mount's source repository, when the request is a POST that names a valid one. */
function mountSource(request: FastifyRequest): string | undefined {
  if (queryValue(request, 'mount') === undefined) return undefined;
  const from = queryValue(request, 'from');
  return from !== undefined && isValidRepositoryName(from) ? from : undefined;
}

/** What access a request needs: pull to read, push to write (asking "pull,push" as docker does), delete to delete. */
function requirementOf(method: Method, target: Target, request: FastifyRequest): Requirement | undefined {
  if (target.kind === 'base') return undefined;
  if (target.kind === 'catalog') return { type: 'registry', name: 'catalog', actions: ['*'], scopeActions: ['*'] };
  const name = target.name;
  const read = method === 'GET' || method === 'HEAD';
  // Upload status and cancel are steps of a push, whatever their HTTP method.
  const isUpload = target.kind === 'upload' || target.kind === 'uploads';
  if (read && !isUpload) return { type: 'repository', name, actions: ['pull'], scopeActions: ['pull'] };
  if (method === 'DELETE' && !isUpload) return { type: 'repository', name, actions: ['delete'], scopeActions: ['delete'] };
  const push: Requirement = { type: 'repository', name, actions: ['push'], scopeActions: ['pull', 'push'] };
  if (method === 'POST' && target.kind === 'uploads') {
    const from = mountSource(request);
    if (from !== undefined && from !== name) push.optionalScopes = [{ type: 'repository', name: from, actions: ['pull'] }];
  }
  return push;
}

async function route(ctx: RegistryContext, method: Method, target: Target, request: FastifyRequest, reply: FastifyReply, p: Principal): Promise<void> {
  switch (target.kind) {
    case 'base':
      if (method === 'GET' || method === 'HEAD') return getBase(reply);
      break;
    case 'catalog':
      if (method === 'GET') return getCatalog(ctx, request, reply);
      break;
    case 'tags':
      if (method === 'GET') return getTags(ctx, request, reply, target.name);
      break;
    case 'referrers':
      if (method === 'GET') return getReferrers(ctx, request, reply, target.name, target.digest);
      break;
    case 'manifest':
      if (method === 'GET' || method === 'HEAD') return getManifest(ctx, request, reply, target.name, target.reference, p, method === 'HEAD');
      if (method === 'PUT') return putManifest(ctx, request, reply, target.name, target.reference, p);
      if (method === 'DELETE') return deleteManifest(ctx, request, reply, target.name, target.reference, p);
      break;
    case 'blob':
      if (method === 'GET' || method === 'HEAD') return getBlob(ctx, request, reply, target.name, target.digest, method === 'HEAD');
      if (method === 'DELETE') return deleteBlob(ctx, reply, target.name, target.digest);
      break;
    case 'uploads':
      if (method === 'POST') return postUpload(ctx, request, reply, target.name, p);
      break;
    case 'upload':
      if (method === 'PATCH') return patchUpload(ctx, request, reply, target.name, target.id);
      if (method === 'PUT') return putUpload(ctx, request, reply, target.name, target.id);
      if (method === 'GET') return getUploadStatus(ctx, reply, target.name, target.id);
      if (method === 'DELETE') return deleteUpload(ctx, reply, target.name, target.id);
      break;
  }
  throw unsupported(method, target);
}

/** Maps Fastify's own errors (bad headers, aborted bodies...) to the nearest spec code. */
function codeForStatus(status: number): RegistryErrorCode {
  const byStatus: Record<number, RegistryErrorCode> = { 401: 'UNAUTHORIZED', 403: 'DENIED', 404: 'NAME_UNKNOWN', 413: 'SIZE_INVALID', 416: 'RANGE_INVALID', 429: 'TOOMANYREQUESTS' };
  return byStatus[status] ?? 'UNSUPPORTED';
}

export function buildContext(deps: RegistryServiceDeps): RegistryContext {
  const periods = { ...DEFAULT_CACHE_PERIODS, ...deps.cachePeriods };
  const blobs = new BlobLinks(deps.db, deps.cacheInvalidation, periods.blobLinkMs);
  return {
    deps,
    authorizer: new Authorizer(deps.verifier, { realm: deps.config.auth.realm, service: deps.config.auth.service }),
    blobs,
    uploads: new UploadSessions({ db: deps.db, store: deps.store, maxSessionsPerUser: deps.config.maxUploadSessionsPerUser, onLinked: (r, d, s) => blobs.remember(r, d, s) }),
    manifests: new ManifestService({ db: deps.db, maxManifestBytes: deps.config.maxManifestBytes, onEventsWritten: deps.onEventsWritten, crossReplica: deps.cacheInvalidation, periods }),
    pulls: new PullEvents({ db: deps.db, logger: deps.logger, sampleRate: deps.config.pullEventSampleRate, onEventsWritten: deps.onEventsWritten }),
  };
}

export function registryPlugin(deps: RegistryServiceDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    if (!deps.verifier) {
      if (deps.config.auth.mode !== 'none') throw new Error('registryPlugin: a token verifier is required unless REGISTRY_AUTH=none');
      deps.logger.warn('REGISTRY AUTHENTICATION IS OFF (REGISTRY_AUTH=none): anyone who can reach /v2 can pull, push and delete');
    }
    const ctx = buildContext(deps);
    const unsubscribe = deps.invalidations?.subscribe((repository) => {
      ctx.manifests.forgetRepository(repository);
      ctx.blobs.forgetRepository(repository);
    });
    const unlisten = deps.cacheInvalidation?.subscribe((signal) => {
      ctx.manifests.applyRemote(signal);
      ctx.blobs.applyRemote(signal);
    });
    app.addHook('onClose', async () => {
      unsubscribe?.();
      unlisten?.();
      await ctx.pulls.flush();
    });

    // Bodies stay streams: uploads go request -> digester -> store in one pass, manifests are read with a bound.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

    app.setErrorHandler((err: unknown, request, reply) => {
      reply.header('docker-distribution-api-version', 'registry/2.0');
      if (err instanceof RegistryErrors) return sendErrors(reply, err.errors[0]?.status ?? 400, err.errors);
      if (err instanceof RegistryError) return sendErrors(reply, err.status, [err]);
      const status = (err as { statusCode?: unknown }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        const code = codeForStatus(status);
        return sendErrors(reply, status, [new RegistryError(code, (err as Error).message || registryErrorTable[code].message, undefined, { status })]);
      }
      if (request.raw.destroyed || request.raw.readableAborted) {
        request.log.debug({ err }, 'client went away');
      } else {
        request.log.error({ err }, 'registry request failed');
      }
      sendInternalError(reply);
    });

    // Returns the reply: an async handler that resolves to undefined makes Fastify end a reply whose
    // streamed body is still being sent.
    const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      reply.header('docker-distribution-api-version', 'registry/2.0');
      const method = request.method as Method;
      const url = request.raw.url ?? '/';
      const q = url.indexOf('?');
      const target = parseTarget(q === -1 ? url : url.slice(0, q));
      if (!target) throw new RegistryError('UNSUPPORTED', 'no such /v2 endpoint', undefined, { status: 404 });
      const principal = await ctx.authorizer.authorize(request.headers.authorization, requirementOf(method, target, request));
      await route(ctx, method, target, request, reply, principal);
      return reply;
    };
    for (const url of ['/v2', '/v2/*']) {
      // Request logs at warn: the hot paths (manifest GET, blob HEAD) must not log per request.
      app.route({ method: [...METHODS], url, handler, logLevel: 'warn' });
    }
  };
}


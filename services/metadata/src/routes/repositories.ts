// /api/repositories: the repositories a caller may see, create, change, transfer and delete.
// A repository name travels URL-encoded in one path segment ("team%2Fapp%2Fapi").
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '@docksphere/kit';
import type { MetadataContext } from '../context.ts';
import { atLeast } from '../domain/levels.ts';
import { repositoryNameProblem, splitRepositoryName } from '../domain/names.ts';
import { decodeCursor, pageLimit, pageOf } from '@docksphere/kit';
import { notFound, permissionOn, requireRepository, type RepositoryPermission } from '../domain/permissions.ts';
import { createRepository, removeRepository, transferRepository } from '../domain/repositories.ts';
import type { Viewer } from '../domain/viewer.ts';
import { findRepository, listRepositories, updateRepository, type RepositoryRow } from '../store/repositories.ts';
import { ErrorReply, PageOf, PageQuery, inTransaction, iso, requireUser, viewerOf } from './http.ts';
import { NamespaceName } from './organizations.ts';

export const RepositoryName = Type.String({ minLength: 3, maxLength: 255, description: 'full name "<namespace>/<path>", URL-encoded in paths' });
export const RepositoryParams = Type.Object({ repository: RepositoryName });
const Visibility = Type.Union([Type.Literal('public'), Type.Literal('private')]);
const Permission = Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin'), Type.Literal('site-admin'), Type.Null()]);

export const Repository = Type.Object({
  name: Type.String(),
  namespace: Type.String(),
  visibility: Visibility,
  description: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  lastPushedAt: Type.Union([Type.String(), Type.Null()]),
  pullCount: Type.Integer(),
  lastPulledAt: Type.Union([Type.String(), Type.Null()]),
  /** The caller's level (absent in lists). */
  permission: Type.Optional(Permission),
});

export function repositoryJson(row: RepositoryRow, permission?: RepositoryPermission) {
  return {
    name: row.name,
    namespace: row.namespace,
    visibility: row.visibility,
    description: row.description,
    createdBy: row.created_by,
    createdAt: iso(row.created_at) as string,
    updatedAt: iso(row.updated_at) as string,
    lastPushedAt: iso(row.last_pushed_at),
    pullCount: Number(row.pull_count),
    lastPulledAt: iso(row.last_pulled_at),
    ...(permission ? { permission: permission.siteAdmin ? ('site-admin' as const) : (permission.level ?? null) } : {}),
  };
}

export function validRepositoryName(name: string): void {
  const problem = repositoryNameProblem(name);
  if (problem) throw new ApiError('VALIDATION_FAILED', problem, { field: 'repository' });
}

/** The repository the viewer may read at least, validated name first. */
export async function readableRepository(ctx: MetadataContext, viewer: Viewer, name: string, needed: 'read' | 'write' | 'admin' = 'read') {
  validRepositoryName(name);
  return requireRepository(ctx.db, viewer, name, needed);
}

export async function repositoryRoutes(app: FastifyInstance, ctx: MetadataContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const max = ctx.settings.maxPageSize;

  r.get(
    '/api/repositories',
    {
      schema: {
        tags: ['repositories'],
        summary: 'Repositories the caller may read, by name (the catalog); optionally in one namespace',
        querystring: Type.Object({ ...PageQuery, namespace: Type.Optional(NamespaceName) }),
        response: { 200: PageOf(Repository) },
      },
    },
    async (request) => {
      const viewer = await viewerOf(ctx, request);
      const limit = pageLimit(request.query.limit, max);
      const [after] = decodeCursor(request.query.cursor, ['string']) ?? [];
      const rows = await listRepositories(ctx.db, { viewer, namespace: request.query.namespace, after: after as string | undefined, limit });
      return pageOf(rows, limit, (row) => [row.name], (row) => repositoryJson(row));
    },
  );

  r.post(
    '/api/repositories',
    {
      schema: {
        tags: ['repositories'],
        summary: 'Create a repository in a namespace the caller may create in',
        body: Type.Object({ name: RepositoryName, visibility: Visibility, description: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }),
        response: { 201: Repository, 400: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (request, reply) => {
      const viewer = await requireUser(ctx, request);
      const { name, visibility, description } = request.body;
      const problem = repositoryNameProblem(name);
      if (problem) throw new ApiError('VALIDATION_FAILED', problem, { field: 'name' });
      const permission = await permissionOn(ctx.db, viewer, name);
      if (permission.repository) {
        if (atLeast(permission.level, 'read')) throw new ApiError('CONFLICT', `repository ${name} exists`);
        throw new ApiError('FORBIDDEN', `you may not create repositories named ${name}`);
      }
      if (!permission.namespace) throw new ApiError('NOT_FOUND', `namespace ${splitRepositoryName(name)?.namespace} not found`);
      if (!permission.mayCreate) throw new ApiError('FORBIDDEN', `you may not create repositories in ${permission.namespace.name}`);
      const namespace = permission.namespace;
      const created = await inTransaction(ctx, viewer, (trx, events) =>
        createRepository(trx, events, { namespace, name, visibility, description: description ?? '', creator: { userId: viewer.id, name: viewer.username }, via: 'api' }),
      );
      if (!created.created) throw new ApiError('CONFLICT', `repository ${name} exists`);
      reply.code(201);
      return repositoryJson(created.row, await permissionOn(ctx.db, viewer, name));
    },
  );

  r.get(
    '/api/repositories/:repository',
    { schema: { tags: ['repositories'], summary: 'One repository and the caller\'s permission on it', params: RepositoryParams, response: { 200: Repository, 400: ErrorReply, 404: ErrorReply } } },
    async (request) => {
      const viewer = await viewerOf(ctx, request);
      const { repository, permission } = await readableRepository(ctx, viewer, request.params.repository);
      return repositoryJson(repository, permission);
    },
  );

  r.patch(
    '/api/repositories/:repository',
    {
      schema: {
        tags: ['repositories'],
        summary: 'Change visibility or description (admin)',
        params: RepositoryParams,
        body: Type.Object({ visibility: Type.Optional(Visibility), description: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }),
        response: { 200: Repository, 400: ErrorReply, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const { repository } = await readableRepository(ctx, viewer, request.params.repository, 'admin');
      const changes = Object.keys(request.body).filter((k) => (request.body as Record<string, unknown>)[k] !== undefined);
      await inTransaction(ctx, viewer, async (trx, events) => {
        await updateRepository(trx, repository.id, request.body);
        if (changes.length > 0) events.add('metadata.repository.updated', { repository: repository.name, changes });
      });
      return repositoryJson((await findRepository(ctx.db, repository.name)) as RepositoryRow, await permissionOn(ctx.db, viewer, repository.name));
    },
  );

  r.delete(
    '/api/repositories/:repository',
    {
      schema: {
        tags: ['repositories'],
        summary: 'Delete a repository: its tags and manifests go, its blobs become reclaimable (admin); ?confirm= repeats the name',
        params: RepositoryParams,
        querystring: Type.Object({ confirm: Type.String({ maxLength: 255 }) }),
        response: { 204: Type.Null(), 400: ErrorReply, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      const viewer = await requireUser(ctx, request);
      const { repository } = await readableRepository(ctx, viewer, request.params.repository, 'admin');
      if (request.query.confirm !== repository.name) throw new ApiError('VALIDATION_FAILED', 'confirm must repeat the repository name', { field: 'confirm' });
      await inTransaction(ctx, viewer, (trx, events) => removeRepository(trx, events, repository));
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/repositories/:repository/transfer',
    {
      schema: {
        tags: ['repositories'],
        summary: 'Move a repository to another namespace (admin here, and may create there); team grants stay behind',
        params: RepositoryParams,
        body: Type.Object({ namespace: NamespaceName, confirm: Type.String({ maxLength: 255 }) }, { additionalProperties: false }),
        response: { 200: Repository, 400: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const { repository } = await readableRepository(ctx, viewer, request.params.repository, 'admin');
      if (request.body.confirm !== repository.name) throw new ApiError('VALIDATION_FAILED', 'confirm must repeat the repository name', { field: 'confirm' });
      const split = splitRepositoryName(repository.name);
      const newName = `${request.body.namespace}/${split?.path}`;
      if (request.body.namespace === repository.namespace) throw new ApiError('VALIDATION_FAILED', 'the repository is already in that namespace', { field: 'namespace' });
      const target = await permissionOn(ctx.db, viewer, newName);
      if (!target.namespace) throw new ApiError('NOT_FOUND', `namespace ${request.body.namespace} not found`);
      if (target.repository) throw new ApiError('CONFLICT', `repository ${newName} exists`);
      if (!target.mayCreate) throw new ApiError('FORBIDDEN', `you may not create repositories in ${request.body.namespace}`);
      const targetNamespace = target.namespace;
      await inTransaction(ctx, viewer, (trx, events) => transferRepository(trx, events, repository, targetNamespace, newName));
      const moved = await findRepository(ctx.db, newName);
      if (!moved) throw notFound(newName);
      return repositoryJson(moved, await permissionOn(ctx.db, viewer, newName));
    },
  );
}

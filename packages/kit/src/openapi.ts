// The platform API's one OpenAPI 3.1 document: collected from the route schemas of every service
// mounted after registerOpenApi (auth, metadata, hooks), and served with a rendered reference.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { Type } from 'typebox';
import { apiErrorStatus, type ApiErrorCode } from './errors.ts';
import { createRequire } from 'node:module';

const errorBody = {
  error: Type.Object({
    code: Type.Union(
      (Object.keys(apiErrorStatus) as ApiErrorCode[]).map((code) => Type.Literal(code)),
      { description: 'stable and machine-readable; the status follows from it (docs/api.md)' },
    ),
    message: Type.String({ description: 'for people: what is wrong and what to do' }),
    details: Type.Optional(Type.Unknown()),
  }),
};

/** The body of every platform API error (see errors.ts), as a route's response schema. */
export const ErrorBody = Type.Object(errorBody);

/** The same, named: the document's components/schemas/ErrorReply, which every route's 4XX and 5XX answer. */
export const ErrorReply = Type.Object(errorBody, { $id: 'ErrorReply', title: 'ErrorReply', examples: [{ error: { code: 'NOT_FOUND', message: 'no such repository' } }] });

const ERROR_REF = { $ref: 'ErrorReply#' };

/** Which routes the public document describes: the platform API and the token service, not /v2 or /internal. */
export function isDocumentedRoute(url: string): boolean {
  return url.startsWith('/api/') || url.startsWith('/auth/');
}

export const API_TAGS = [
  { name: 'sessions', description: 'Console login, 2FA step, refresh, logout' },
  { name: 'accounts', description: 'Sign-up, the caller\'s profile and password, password reset' },
  { name: 'two-factor', description: 'TOTP enrolment, backup codes' },
  { name: 'access tokens', description: 'Personal access tokens for docker login and scripts' },
  { name: 'robots', description: 'Robot accounts of a namespace (CI credentials)' },
  { name: 'site admin', description: 'User management, invites, signing keys, statistics (site admins)' },
  { name: 'token service', description: 'Docker registry token service and its public keys' },
  { name: 'namespaces', description: 'Users and organizations' },
  { name: 'organizations', description: 'Organizations and their members' },
  { name: 'teams', description: 'Teams of an organization' },
  { name: 'repositories', description: 'Repositories, their settings, transfer and deletion' },
  { name: 'permissions', description: 'Grants on repositories and repository patterns' },
  { name: 'tags', description: 'Tags of a repository and their history' },
  { name: 'docs', description: 'Repository READMEs and site pages' },
  { name: 'profiles', description: 'User profiles and avatars' },
  { name: 'dashboard', description: 'The caller\'s dashboard and search' },
  { name: 'audit', description: 'The audit trail, its export and chain verification, admin alerts' },
  { name: 'webhooks', description: 'Webhook subscriptions and their deliveries' },
];

const DESCRIPTION = `The DockSphere platform API: identities and sessions (/api/auth), namespaces, teams,
repositories and permissions (/api), the audit trail (/api/audit) and webhooks (/api/webhooks).
The registry itself speaks the OCI Distribution API at /v2 (see docs/api.md).

Errors answer \`{"error":{"code","message","details"}}\` with the matching status.

Lists are paginated with \`?limit=&cursor=\`: a page is \`{"items":[…],"nextCursor":"…"}\`, and
\`nextCursor\` (absent on the last page) is an opaque string to pass back as \`cursor\`.`;

/**
 * Registers @fastify/swagger on `app`: every route registered after this call, in any child plugin,
 * is collected. Call it on the root instance before mounting the services.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  app.addSchema(ErrorReply);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'DockSphere platform API', version: '1', description: DESCRIPTION },
      tags: API_TAGS,
      components: {
        securitySchemes: {
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'ds_access',
            description: 'The console session, set by POST /api/auth/login. State-changing requests must also send the x-csrf-token header with the value of the ds_csrf cookie.',
          },
          bearer: { type: 'http', scheme: 'bearer', description: 'A token in the Authorization header (see docs/scripting.md).' },
          basic: { type: 'http', scheme: 'basic', description: 'username and password, personal access token or robot token (the token service only)' },
        },
      },
      security: [{ session: [] }, { bearer: [] }],
    },
    // Shared schemas keep their $id as their name under components/schemas.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transform: ({ schema, url }) => {
      if (!isDocumentedRoute(url)) return { schema: { ...schema, hide: true }, url };
      // Every platform route may fail with the error body; the token service has its own shape.
      if (url.startsWith('/auth/')) return { schema, url };
      const response = { '4xx': ERROR_REF, '5xx': ERROR_REF, ...(schema?.response as object | undefined) };
      return { schema: { ...schema, response }, url };
    },
  });
}

const ASSETS = new Map([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['favicon-32x32.png', 'image/png'],
]);

const REFERENCE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>DockSphere API reference</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/reference.js"></script>
</body>
</html>
`;

const REFERENCE_SCRIPT = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true, withCredentials: true });\n`;

/**
 * GET /api/openapi.json (the merged document) and GET /api/docs (Swagger UI, served from the
 * swagger-ui-dist package: no CDN).
 */
export async function apiReferenceRoutes(app: FastifyInstance, options: { document: () => unknown }): Promise<void> {
  const assetDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const hide = { schema: { hide: true } };
  app.get('/api/openapi.json', hide, async (_request, reply) => reply.header('cache-control', 'no-cache').send(options.document()));
  app.get('/api/docs', hide, async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(REFERENCE_PAGE));
  app.get('/api/docs/reference.js', hide, async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(REFERENCE_SCRIPT));
  app.get<{ Params: { asset: string } }>('/api/docs/:asset', hide, async (request, reply) => {
    const type = ASSETS.get(request.params.asset);
    if (!type) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'no such file' } });
    const bytes = await readFile(path.join(assetDir, request.params.asset));
    return reply.type(type).header('cache-control', 'public, max-age=3600').send(bytes);
  });
}

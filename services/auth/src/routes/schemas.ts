// What the auth routes answer, as TypeBox schemas: they serialize the replies and document them in
// the platform's OpenAPI document.
import { Type } from '@fastify/type-provider-typebox';

/** What a personal access token or robot may do in the registry. */
export const Scope = Type.Union([Type.Literal('pull'), Type.Literal('push'), Type.Literal('delete')]);

const Time = Type.String({ format: 'date-time' });
const MaybeTime = Type.Union([Time, Type.Null()]);
const MaybeString = Type.Union([Type.String(), Type.Null()]);

/** No body (204). */
export const NoContent = Type.Null({ description: 'No content' });

export const User = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    email: Type.String(),
    displayName: Type.String(),
    source: Type.Union([Type.Literal('local'), Type.Literal('ldap')]),
    admin: Type.Boolean(),
    disabled: Type.Boolean(),
    twoFactorEnabled: Type.Boolean(),
    createdAt: Time,
  },
  {
    examples: [
      { id: '0b9f3c1e-2a52-4f5e-9a55-0d6f1f1b2c3d', username: 'alice', email: 'alice@example.com', displayName: 'Alice', source: 'local', admin: false, disabled: false, twoFactorEnabled: false, createdAt: '2026-01-02T03:04:05.000Z' },
    ],
  },
);
export const UserReply = Type.Object({ user: User });

export const SessionStarted = Type.Object({
  user: User,
  accessToken: Type.String({ description: 'the console access token (also set as the HttpOnly access cookie); usable as Bearer until it expires' }),
  expiresIn: Type.Integer({ description: 'seconds the access token is valid' }),
  csrfToken: Type.String({ description: 'echo it in the x-csrf-token header on state-changing requests made with the cookies' }),
});
export const TwoFactorChallenge = Type.Object({
  twoFactorRequired: Type.Literal(true),
  challenge: Type.String({ description: 'send back to POST /api/auth/login/2fa with a code' }),
  expiresIn: Type.Integer(),
});

export const ConsoleSession = Type.Object({
  id: Type.String(),
  current: Type.Boolean(),
  ip: MaybeString,
  userAgent: MaybeString,
  createdAt: Time,
  lastUsedAt: Time,
});

export const AccessToken = Type.Object({
  id: Type.String(),
  name: Type.String(),
  hint: Type.String({ description: 'the first and last characters of the secret, to recognise it' }),
  scopes: Type.Array(Scope),
  expiresAt: MaybeTime,
  lastUsedAt: MaybeTime,
  lastUsedIp: MaybeString,
  createdAt: Time,
  revokedAt: MaybeTime,
});

export const Robot = Type.Object({
  id: Type.String(),
  namespace: Type.String(),
  name: Type.String(),
  login: Type.String({ description: 'the username of docker login: "<namespace>+<name>"' }),
  description: Type.String(),
  hint: Type.String(),
  repositories: Type.Array(Type.String()),
  actions: Type.Array(Scope),
  expiresAt: MaybeTime,
  lastUsedAt: MaybeTime,
  lastUsedIp: MaybeString,
  createdAt: Time,
});

/** The token endpoint's errors: Docker's client reads `errors`, OAuth2 clients `error` and `error_description`. */
export const TokenErrorReply = Type.Object({
  errors: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })),
  error: Type.String(),
  error_description: Type.String(),
});

export const RegistryToken = Type.Object({
  token: Type.String({ description: 'a JWT for the registry (/v2)' }),
  access_token: Type.String({ description: 'the same token, for OAuth2 clients' }),
  expires_in: Type.Integer(),
  issued_at: Time,
  scope: Type.Optional(Type.String({ description: 'the granted scopes, space separated (POST only)' })),
  refresh_token: Type.Optional(Type.String({ description: 'with offline_token=true or access_type=offline' })),
});

export const KeySet = Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }, { description: 'JSON Web Key Set (RFC 7517)' });

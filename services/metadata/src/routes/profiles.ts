// Profiles: /api/me (the caller's own: name, bio, avatar) and /api/users/:username (anyone's public profile).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '@docksphere/kit';
import type { MetadataContext } from '../context.ts';
import { imageTypeOf } from '../domain/avatars.ts';
import { findUserByUsername, getAvatar, setAvatar, updateProfile, type UserRow } from '../store/users.ts';
import { ErrorReply, iso, requireUser, viewerOf } from './http.ts';
import { NamespaceName } from './organizations.ts';

const Profile = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  bio: Type.String(),
  /** Where the avatar is served, or null without one. */
  avatarUrl: Type.Union([Type.String(), Type.Null()]),
  siteAdmin: Type.Boolean(),
  memberSince: Type.String(),
});
const Me = Type.Object({ ...Profile.properties, id: Type.String(), organizations: Type.Array(Type.Object({ name: Type.String(), role: Type.String() })) });

function profileJson(user: UserRow) {
  return {
    username: user.username,
    displayName: user.display_name,
    bio: user.bio,
    avatarUrl: user.avatar_type ? `/api/users/${user.username}/avatar?v=${new Date(user.avatar_updated_at as Date).getTime()}` : null,
    siteAdmin: user.admin,
    memberSince: iso(user.created_at) as string,
  };
}

/** The avatar formats (the plugin parses these bodies as raw bytes). */
export const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

export async function profileRoutes(app: FastifyInstance, ctx: MetadataContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  async function me(username: string, id: string, orgRoles: ReadonlyMap<string, string>) {
    const user = (await findUserByUsername(ctx.db, username)) as UserRow;
    return { ...profileJson(user), id, organizations: [...orgRoles].map(([name, role]) => ({ name, role })).sort((a, b) => a.name.localeCompare(b.name)) };
  }

  r.get('/api/me', { schema: { tags: ['profiles'], summary: 'The caller\'s profile and organizations', response: { 200: Me, 401: ErrorReply } } }, async (request) => {
    const viewer = await requireUser(ctx, request);
    return me(viewer.username, viewer.id, viewer.orgRoles);
  });

  r.patch(
    '/api/me',
    {
      schema: {
        tags: ['profiles'],
        summary: 'Change the caller\'s display name or bio',
        body: Type.Object({ displayName: Type.Optional(Type.String({ maxLength: 100 })), bio: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
        response: { 200: Me, 400: ErrorReply, 401: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      await updateProfile(ctx.db, viewer.id, request.body);
      return me(viewer.username, viewer.id, viewer.orgRoles);
    },
  );

  r.put(
    '/api/me/avatar',
    {
      schema: {
        tags: ['profiles'],
        summary: 'Upload an avatar: the raw image as the body, Content-Type image/png, image/jpeg, image/gif or image/webp (size bounded by METADATA_MAX_AVATAR_BYTES)',
        consumes: AVATAR_TYPES,
        // Any bytes pass the schema: the route checks them against the declared type.
        body: Type.Unsafe<Buffer>({ description: 'the image file' }),
        response: { 200: Me, 400: ErrorReply, 413: ErrorReply, 415: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const declared = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      const body = request.body;
      if (!Buffer.isBuffer(body) || body.length === 0) throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'send the image itself as image/png, image/jpeg, image/gif or image/webp');
      const actual = imageTypeOf(body);
      if (actual === undefined) throw new ApiError('VALIDATION_FAILED', 'the body is not a PNG, JPEG, GIF or WebP image');
      if (actual !== declared) throw new ApiError('VALIDATION_FAILED', `the body is ${actual}, not ${declared}`);
      await setAvatar(ctx.db, viewer.id, { bytes: body, type: actual });
      return me(viewer.username, viewer.id, viewer.orgRoles);
    },
  );

  r.delete('/api/me/avatar', { schema: { tags: ['profiles'], summary: 'Remove the caller\'s avatar', response: { 204: Type.Null() } } }, async (request, reply) => {
    const viewer = await requireUser(ctx, request);
    await setAvatar(ctx.db, viewer.id, undefined);
    return reply.code(204).send(null);
  });

  r.get('/api/users/:username', { schema: { tags: ['profiles'], summary: 'A user\'s public profile', params: Type.Object({ username: NamespaceName }), response: { 200: Profile, 404: ErrorReply } } }, async (request) => {
    await viewerOf(ctx, request);
    const user = await findUserByUsername(ctx.db, request.params.username);
    if (!user) throw new ApiError('NOT_FOUND', `user ${request.params.username} not found`);
    return profileJson(user);
  });

  r.get('/api/users/:username/avatar', { schema: { tags: ['profiles'], summary: 'A user\'s avatar image', params: Type.Object({ username: NamespaceName }), produces: AVATAR_TYPES, response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'the image, with its type in Content-Type' }) } } }, async (request, reply) => {
    const avatar = await getAvatar(ctx.db, request.params.username);
    if (!avatar) throw new ApiError('NOT_FOUND', 'no avatar');
    // The type was checked against the bytes on upload; nosniff keeps browsers from guessing otherwise.
    return reply
      .header('content-type', avatar.type)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'")
      .header('cache-control', 'public, max-age=300')
      .send(Buffer.from(avatar.bytes));
  });
}

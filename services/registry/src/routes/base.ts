// GET /v2/: the API version check.
import type { FastifyReply } from 'fastify';
import { JSON_CONTENT_TYPE } from './http.ts';

export async function getBase(reply: FastifyReply): Promise<void> {
  reply.status(200).header('content-type', JSON_CONTENT_TYPE).send('{}');
}

// GET /v2/: the API version check.
import type { FastifyReply } from 'fastify';

export async function getBase(reply: FastifyReply): Promise<void> {
  reply.status(200).header('content-type', 'application/json').send('{}');
}

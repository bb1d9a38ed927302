// Fastify's router errors (malformed percent-encoding, over-long path parameters) answered in the
// /v2 error format: they happen before any route, so the registry plugin's error handler never sees them.
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError } from '@docksphere/oci';
import { sendErrors, sendInternalError } from './routes/errors.ts';

/** The shape of Fastify's `frameworkErrors` server option (pass it to createHttpServer). */
export type FrameworkErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void;

function isRegistryPath(url: string): boolean {
  return url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?');
}

/**
 * A server-wide `frameworkErrors` handler: /v2 paths get an OCI error body; every other path gets
 * the same JSON Fastify sends without the option, so passing it changes nothing for other services.
 */
export const registryFrameworkErrors: FrameworkErrorHandler = (error, request, reply) => {
  const url = request.raw.url ?? '/';
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (!isRegistryPath(url)) {
    reply.status(status).send({ error: STATUS_CODES[status] ?? 'Error', code: error.code, message: error.message, statusCode: status });
    return;
  }
  reply.header('docker-distribution-api-version', 'registry/2.0');
  if (error.code === 'FST_ERR_BAD_URL') {
    sendErrors(reply, 400, [new RegistryError('NAME_INVALID', 'malformed percent-encoding in the request path')]);
  } else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    sendErrors(reply, 414, [new RegistryError('NAME_INVALID', 'the request path is too long', undefined, { status: 414 })]);
  } else if (status >= 400 && status < 500) {
    sendErrors(reply, status, [new RegistryError('UNSUPPORTED', error.message, undefined, { status })]);
  } else {
    request.log.error({ err: error }, 'router failed before the registry could answer');
    sendInternalError(reply);
  }
};

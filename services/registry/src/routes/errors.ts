// How every /v2 error is written: the spec's {"errors": [...]} envelope, its headers and status.
import type { FastifyReply } from 'fastify';
import { registryErrorBody, type RegistryError } from '@docksphere/oci';
import { JSON_CONTENT_TYPE } from './http.ts';

export function sendErrors(reply: FastifyReply, status: number, errors: readonly RegistryError[]): void {
  for (const e of errors) for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  reply.status(status).header('content-type', JSON_CONTENT_TYPE).send(JSON.stringify(registryErrorBody(errors)));
}

/** The body of a 500: nothing about the failure leaves the process. */
export function sendInternalError(reply: FastifyReply): void {
  reply.status(500).header('content-type', JSON_CONTENT_TYPE).send(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'internal server error' }] }));
}

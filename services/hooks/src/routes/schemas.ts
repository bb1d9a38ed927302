// What the hooks routes answer, as TypeBox schemas: they serialize the replies and document them in
// the platform's OpenAPI document.
import { Type } from '@fastify/type-provider-typebox';

const Time = Type.String({ format: 'date-time' });
const MaybeTime = Type.Union([Time, Type.Null()]);
const MaybeString = Type.Union([Type.String(), Type.Null()]);
const MaybeInteger = Type.Union([Type.Integer(), Type.Null()]);
const Anything = Type.Object({}, { additionalProperties: true });

export const NoContent = Type.Null({ description: 'No content' });

export const AuditEntry = Type.Object(
  {
    seq: Type.Integer({ description: 'position in the hash chain' }),
    id: Type.String({ description: 'the event id' }),
    action: Type.String(),
    occurredAt: Time,
    recordedAt: Time,
    actor: Type.Object({ subject: Type.String(), name: MaybeString, ip: MaybeString, userAgent: MaybeString }),
    repository: MaybeString,
    namespace: MaybeString,
    target: MaybeString,
    details: Anything,
    prevHash: Type.String(),
    hash: Type.String(),
  },
  {
    examples: [
      {
        seq: 42,
        id: '7d1c2f7e-0d0c-4f43-9d5e-6a1c1d2e3f40',
        action: 'registry.manifest.pushed',
        occurredAt: '2026-01-02T03:04:05.000Z',
        recordedAt: '2026-01-02T03:04:05.120Z',
        actor: { subject: 'user:0b9f3c1e-2a52-4f5e-9a55-0d6f1f1b2c3d', name: 'alice', ip: '203.0.113.7', userAgent: 'docker/27.0' },
        repository: 'alice/app',
        namespace: 'alice',
        target: 'alice/app:1.0',
        details: { repository: 'alice/app', tag: '1.0', digest: 'sha256:…' },
        prevHash: '…',
        hash: '…',
      },
    ],
  },
);

export const ChainVerification = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer(),
  firstSeq: MaybeInteger,
  head: Type.Union([Type.Object({ seq: Type.Integer(), hash: Type.String() }), Type.Null()]),
  breaks: Type.Array(Type.Object({ seq: Type.Integer(), id: Type.String(), kind: Type.Union([Type.Literal('hash'), Type.Literal('link')]), message: Type.String() })),
});

export const Alert = Type.Object({
  id: Type.String(),
  rule: Type.String(),
  severity: Type.Union([Type.Literal('warning'), Type.Literal('critical')]),
  summary: Type.String(),
  subject: MaybeString,
  eventIds: Type.Array(Type.String()),
  createdAt: Time,
  acknowledgedAt: MaybeTime,
  acknowledgedBy: MaybeString,
});

export const Webhook = Type.Object({
  id: Type.String(),
  scope: Type.Union([Type.Literal('repository'), Type.Literal('namespace'), Type.Literal('site')]),
  target: MaybeString,
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Type.String(),
  active: Type.Boolean(),
  consecutiveFailures: Type.Integer(),
  disabledAt: MaybeTime,
  disabledReason: MaybeString,
  lastDeliveryAt: MaybeTime,
  lastSuccessAt: MaybeTime,
  createdBy: Type.String(),
  createdAt: Time,
  updatedAt: Time,
});

export const Delivery = Type.Object({
  id: Type.String(),
  subscriptionId: Type.String(),
  eventId: Type.String(),
  eventType: Type.String(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  nextAttemptAt: MaybeTime,
  lastStatus: MaybeInteger,
  lastError: MaybeString,
  redeliveryOf: MaybeString,
  createdAt: Time,
  completedAt: MaybeTime,
});

export const DeliveryAttempt = Type.Object({
  attempt: Type.Integer(),
  startedAt: Time,
  durationMs: MaybeInteger,
  url: Type.String(),
  remoteAddress: MaybeString,
  requestHeaders: Type.Record(Type.String(), Type.String()),
  status: MaybeInteger,
  responseHeaders: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
  responseBody: MaybeString,
  error: MaybeString,
});

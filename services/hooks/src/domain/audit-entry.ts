// What the audit trail records for an event: who (actor, IP, user agent), what (action = event type),
// on what (repository, namespace, target) and when; and the hash that chains each entry to the one before.
import { createHash } from 'node:crypto';
import { pullCountOf, type DomainEvent } from '@docksphere/events';
import { canonicalJson } from './canonical-json.ts';

/** prev_hash of the first entry ever recorded. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  /** The event id: one entry per event. */
  id: string;
  action: string;
  occurredAt: string;
  recordedAt: string;
  actor: { subject: string; name: string | null; ip: string | null; userAgent: string | null };
  repository: string | null;
  namespace: string | null;
  target: string | null;
  /** The event payload as recorded. */
  details: Record<string, unknown>;
}

export interface ChainedAuditEntry extends AuditEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

const MAX_FIELD = 512;

/** Strips NUL (Postgres text cannot hold it) and bounds the length of what a client sent us. */
function clean(value: unknown, max = MAX_FIELD): string | null {
  if (typeof value !== 'string' || value.length === 0) return null;
  // eslint-disable-next-line no-control-regex
  return value.replace(/\u0000/g, '').slice(0, max);
}

function str(payload: Record<string, unknown>, key: string): string | undefined {
  const v = payload[key];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Where an event happened, read defensively: a payload from a newer or broken publisher may lack fields. */
export function locate(type: string, payload: Record<string, unknown>): { repository: string | null; namespace: string | null; target: string | null } {
  const repository = str(payload, 'repository');
  const namespace = str(payload, 'namespace') ?? (repository?.includes('/') ? repository.slice(0, repository.indexOf('/')) : undefined);
  let target: string | undefined;
  if (type.startsWith('registry.')) {
    // A pull names what was asked for (reference: a tag or a digest); a push names its tag if any.
    const reference = str(payload, 'reference');
    const tag = str(payload, 'tag') ?? (reference && !reference.includes(':') ? reference : undefined);
    const digest = str(payload, 'digest');
    target = repository && tag ? `${repository}:${tag}` : repository && digest ? `${repository}@${digest}` : repository;
  } else if (type === 'auth.token.created' || type === 'auth.token.revoked') {
    const name = str(payload, 'name');
    target = name ? `${str(payload, 'kind') ?? 'token'}:${name}` : undefined;
  } else if (type.startsWith('hooks.webhook.')) {
    const id = str(payload, 'subscriptionId');
    target = id ? `webhook:${id}` : undefined;
  } else if (type === 'hooks.alert.raised') {
    const rule = str(payload, 'rule');
    target = rule ? `alert:${rule}` : undefined;
  } else {
    const username = str(payload, 'username');
    target = username ? `user:${username}` : (repository ?? str(payload, 'name') ?? str(payload, 'id'));
  }
  const webhookScope = type.startsWith('hooks.webhook.') ? str(payload, 'scope') : undefined;
  const webhookTarget = str(payload, 'target');
  return {
    repository: clean(repository ?? (webhookScope === 'repository' ? webhookTarget : undefined)),
    namespace: clean(namespace ?? (webhookScope === 'namespace' ? webhookTarget : webhookScope === 'repository' ? webhookTarget?.split('/')[0] : undefined)),
    target: clean(target),
  };
}

/** The entry an event becomes; recordedAt is when the audit trail saw it. */
export function auditEntryOf(event: DomainEvent, recordedAt: Date): AuditEntry {
  let payload = (typeof event.payload === 'object' && event.payload !== null ? event.payload : {}) as Record<string, unknown>;
  // A pull entry always says how many pulls it stands for (coalesced by the registry; absent means 1).
  if (event.type === 'registry.image.pulled') payload = { ...payload, count: pullCountOf(payload) };
  const occurred = new Date(event.occurredAt);
  return {
    id: clean(event.id, 200) ?? '',
    action: clean(event.type, 200) ?? '',
    occurredAt: (Number.isNaN(occurred.getTime()) ? recordedAt : occurred).toISOString(),
    recordedAt: recordedAt.toISOString(),
    actor: {
      subject: clean(event.actor?.subject) ?? 'unknown',
      name: clean(event.actor?.name),
      ip: clean(event.actor?.ip, 64),
      userAgent: clean(event.actor?.userAgent),
    },
    ...locate(event.type, payload),
    // Round-tripped through canonical JSON so what is stored is exactly what is hashed.
    details: JSON.parse(canonicalJson(payload)) as Record<string, unknown>,
  };
}

/** The bytes hashed for an entry: every field except seq and the hashes, in canonical JSON. */
export function canonicalEntry(entry: AuditEntry): string {
  return canonicalJson({
    id: entry.id,
    action: entry.action,
    occurredAt: entry.occurredAt,
    recordedAt: entry.recordedAt,
    actor: entry.actor,
    repository: entry.repository,
    namespace: entry.namespace,
    target: entry.target,
    details: entry.details,
  });
}

/** hash = SHA-256(prev hash || "\n" || canonical entry), hex. */
export function chainHash(prevHash: string, entry: AuditEntry): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalEntry(entry)).digest('hex');
}

// The event bus interface, and the in-process bus all-in-one uses in place of NATS JetStream.
import type { DomainEvent } from './catalogue.ts';
import { yieldToEventLoop } from './yield.ts';

export type EventHandler = (event: DomainEvent) => Promise<void>;

export interface Subscription {
  close(): Promise<void>;
}

export interface EventBus {
  /** Publishes one event; resolves once the transport has accepted it (JetStream: stored). */
  publish(event: DomainEvent): Promise<void>;
  /**
   * Delivers events whose type matches pattern ("registry.*.*", "registry.manifest.pushed", ">")
   * to handler, under a durable consumer name: an event is acknowledged only after the handler
   * resolves, so a failing handler sees it again.
   */
  subscribe(pattern: string, durable: string, handler: EventHandler): Promise<Subscription>;
  close(): Promise<void>;
}

/** Matches NATS-style subject patterns: "*" is one token, ">" the rest. */
export function matchesPattern(pattern: string, type: string): boolean {
  const p = pattern.split('.');
  const t = type.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i;
    if (i >= t.length) return false;
    if (p[i] !== '*' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

export class InMemoryBus implements EventBus {
  private readonly subscribers = new Set<{ pattern: string; handler: EventHandler }>();

  async publish(event: DomainEvent): Promise<void> {
    for (const s of this.subscribers) {
      if (!matchesPattern(s.pattern, event.type)) continue;
      // Each handler runs its own transaction; on PGlite that never waits for I/O, so let requests in first.
      await yieldToEventLoop();
      // Retried a few times like a redelivery; the outbox has already made the event durable.
      for (let attempt = 1; ; attempt++) {
        try {
          await s.handler(event);
          break;
        } catch (err) {
          if (attempt >= 3) {
            process.emitWarning(`event ${event.id} (${event.type}) handler failed: ${(err as Error).message}`);
            break;
          }
        }
      }
    }
  }

  async subscribe(pattern: string, _durable: string, handler: EventHandler): Promise<Subscription> {
    const entry = { pattern, handler };
    this.subscribers.add(entry);
    return { close: async () => void this.subscribers.delete(entry) };
  }

  async close(): Promise<void> {
    this.subscribers.clear();
  }
}

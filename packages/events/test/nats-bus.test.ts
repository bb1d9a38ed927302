// NatsJetStreamBus against a real nats-server with JetStream: delivery, de-duplication, durable
// consumers, malformed messages, handler failures.
import { connect, type NatsConnection } from 'nats';
import { waitUntil } from '@docksphere/infra';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectNatsBus, type DomainEvent, type NatsJetStreamBus } from '../src/index.ts';
import { natsInstalled, pushed, recordingLogger, restartableNats, sleep, type RestartableNats } from './servers.ts';

function tagOf(event: DomainEvent): string {
  return event.type === 'registry.manifest.pushed' ? ((event as DomainEvent<'registry.manifest.pushed'>).payload.tag ?? '') : '';
}

describe.skipIf(!natsInstalled)('NatsJetStreamBus', () => {
  let nats: RestartableNats;
  const cleanup: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    nats = await restartableNats();
  });

  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
    await nats.destroy();
  });

  async function bus(options: Partial<Parameters<typeof connectNatsBus>[0]> = {}): Promise<NatsJetStreamBus> {
    const b = await connectNatsBus({ servers: nats.url, publishTimeoutMs: 2_000, ...options });
    cleanup.push(() => b.close());
    return b;
  }

  async function rawConnection(): Promise<NatsConnection> {
    const nc = await connect({ servers: nats.url });
    cleanup.push(() => nc.close());
    return nc;
  }

  it('creates one file-backed stream for ds.> with a duplicate window', async () => {
    await bus({ duplicateWindowMs: 90_000 });
    const jsm = await (await rawConnection()).jetstreamManager();
    const info = await jsm.streams.info('DOCKSPHERE');
    expect(info.config.subjects).toEqual(['ds.>']);
    expect(info.config.storage).toBe('file');
    expect(info.config.duplicate_window).toBe(90_000 * 1_000_000);
  });

  it('delivers a published event to a matching subscriber, under the ds.<type> subject, and not to others', async () => {
    const b = await bus();
    const got: DomainEvent[] = [];
    const other: DomainEvent[] = [];
    await b.subscribe('registry.manifest.*', 'manifests', async (e) => void got.push(e));
    await b.subscribe('auth.>', 'auth-only', async (e) => void other.push(e));
    const event = pushed('v1');
    await b.publish(event);
    await waitUntil('delivery', async () => got.length === 1, { timeoutMs: 10_000 });
    expect(got[0]).toEqual(event);
    const jsm = await (await rawConnection()).jetstreamManager();
    const stored = await jsm.streams.getMessage('DOCKSPHERE', { last_by_subj: 'ds.registry.manifest.pushed' });
    expect(stored.json<DomainEvent>().id).toBe(event.id);
    await sleep(300);
    expect(other).toEqual([]);
  });

  it('stores and delivers an event published twice (same id) only once', async () => {
    const b = await bus();
    const got: string[] = [];
    await b.subscribe('>', 'dedup', async (e) => void got.push(e.id));
    const event = pushed('v1');
    const marker = pushed('after');
    await b.publish(event);
    await b.publish(event);
    await b.publish(marker);
    await waitUntil('marker delivered', async () => got.includes(marker.id), { timeoutMs: 10_000 });
    await sleep(300);
    expect(got).toEqual([event.id, marker.id]);
    const jsm = await (await rawConnection()).jetstreamManager();
    expect((await jsm.streams.info('DOCKSPHERE')).state.messages).toBe(2);
  });

  it('a durable consumer resumes after its subscriber restarts: events published meanwhile arrive, acked ones do not return', async () => {
    const publisher = await bus();
    const first = await bus();
    const got: string[] = [];
    const sub = await first.subscribe('registry.>', 'audit', async (e) => void got.push(tagOf(e)));
    const e1 = pushed('one');
    await publisher.publish(e1);
    await waitUntil('first delivery', async () => got.length === 1, { timeoutMs: 10_000 });
    await sub.close();
    await first.close();

    await publisher.publish(pushed('two'));
    await publisher.publish(pushed('three'));

    const second = await bus();
    const later: string[] = [];
    await second.subscribe('registry.>', 'audit', async (e) => void later.push(tagOf(e)));
    await waitUntil('missed events delivered', async () => later.length === 2, { timeoutMs: 10_000 });
    await sleep(300);
    expect(got).toEqual(['one']);
    expect(later).toEqual(['two', 'three']);
  });

  it('terminates malformed messages (not JSON, not an event, wrong subject) and keeps delivering the ones after', async () => {
    const logger = recordingLogger();
    const b = await bus({ logger });
    const got: string[] = [];
    await b.subscribe('>', 'robust', async (e) => void got.push(e.id));
    const js = (await rawConnection()).jetstream();
    await js.publish('ds.registry.manifest.pushed', new TextEncoder().encode('{not json'));
    await js.publish('ds.registry.manifest.pushed', new TextEncoder().encode(JSON.stringify({ hello: 'world' })));
    const mislabelled = pushed('mislabelled');
    await js.publish('ds.registry.tag.deleted', new TextEncoder().encode(JSON.stringify(mislabelled)));
    const good = pushed('good');
    await b.publish(good);
    await waitUntil('good event delivered', async () => got.includes(good.id), { timeoutMs: 10_000 });
    expect(got).toEqual([good.id]);
    const terminated = logger.lines.filter((l) => l.msg === 'malformed event message terminated');
    expect(terminated).toHaveLength(3);
    const jsm = await (await rawConnection()).jetstreamManager();
    await waitUntil('nothing pending', async () => {
      const info = await jsm.consumers.info('DOCKSPHERE', 'robust');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, { timeoutMs: 10_000 });
  });

  it('redelivers an event whose handler failed, after the retry delay, and acks it once the handler succeeds', async () => {
    const logger = recordingLogger();
    const b = await bus({ logger, retryDelaysMs: [200] });
    const attempts: string[] = [];
    await b.subscribe('registry.>', 'flaky', async (e) => {
      attempts.push(e.id);
      if (attempts.length <= 2) throw new Error('database unavailable');
    });
    const event = pushed('v1');
    await b.publish(event);
    await waitUntil('third attempt', async () => attempts.length >= 3, { timeoutMs: 10_000 });
    await sleep(800);
    expect(attempts).toEqual([event.id, event.id, event.id]);
    expect(logger.lines.filter((l) => l.msg === 'event handler failed; will redeliver')).toHaveLength(2);
    const jsm = await (await rawConnection()).jetstreamManager();
    const info = await jsm.consumers.info('DOCKSPHERE', 'flaky');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
  });

  it('gives up on an event after maxDeliver failed attempts and goes on with the next ones', async () => {
    const logger = recordingLogger();
    const b = await bus({ logger, retryDelaysMs: [100], maxDeliver: 3 });
    const poison = pushed('poison');
    const after = pushed('after');
    const attempts: string[] = [];
    const handled: string[] = [];
    await b.subscribe('registry.>', 'poisoned', async (e) => {
      attempts.push(e.id);
      if (e.id === poison.id) throw new Error('cannot handle');
      handled.push(e.id);
    });
    await b.publish(poison);
    await b.publish(after);
    await waitUntil('give up logged', async () => logger.lines.some((l) => l.msg.includes('giving up')), { timeoutMs: 10_000 });
    await sleep(500);
    expect(attempts.filter((id) => id === poison.id)).toHaveLength(3);
    expect(handled).toEqual([after.id]);
  });

  it('refuses a durable name NATS cannot hold and a pattern that is not a subject pattern', async () => {
    const b = await bus();
    await expect(b.subscribe('>', 'bad.name', async () => {})).rejects.toThrow(/invalid durable/);
    await expect(b.subscribe('registry..x', 'ok', async () => {})).rejects.toThrow(/invalid event pattern/);
  });

  it('publish fails within the publish timeout while NATS is down, and works again once it is back', async () => {
    const b = await bus({ publishTimeoutMs: 1_000, logger: recordingLogger() });
    await nats.stop();
    const started = Date.now();
    await expect(b.publish(pushed('lost?'))).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    await nats.start();
    const got: string[] = [];
    await waitUntil('publish after restart', async () => {
      await b.publish(pushed('back'));
      return true;
    }, { timeoutMs: 20_000, intervalMs: 300 });
    await b.subscribe('registry.>', 'after-restart', async (e) => void got.push(tagOf(e)));
    await waitUntil('delivered', async () => got.includes('back'), { timeoutMs: 10_000 });
  });
});

// Subject patterns and event validation: pure rules both transports rely on.
import { describe, expect, it } from 'vitest';
import { InMemoryBus, MalformedEventError, matchesPattern, parseDomainEvent, type DomainEvent } from '../src/index.ts';
import { pushed } from './servers.ts';

describe('matchesPattern', () => {
  it.each([
    ['registry.manifest.pushed', 'registry.manifest.pushed', true],
    ['registry.manifest.pushed', 'registry.manifest.deleted', false],
    ['registry.*.*', 'registry.tag.deleted', true],
    ['registry.*.*', 'auth.user.login', false],
    ['registry.*', 'registry.tag.deleted', false],
    ['*.user.*', 'auth.user.login', true],
    ['*.user.*', 'auth.token.created', false],
    ['registry.>', 'registry.manifest.pushed', true],
    ['registry.>', 'registry', false],
    ['>', 'auth.login.failed', true],
    ['registry.manifest', 'registry.manifest.pushed', false],
    ['registry.manifest.pushed.extra', 'registry.manifest.pushed', false],
  ])('%s against %s is %s', (pattern, type, expected) => {
    expect(matchesPattern(pattern, type)).toBe(expected);
  });
});

describe('parseDomainEvent', () => {
  it('accepts an event as newEvent builds it, after a JSON round trip', () => {
    const event = pushed('v1');
    expect(parseDomainEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it.each([
    ['a string', 'hello'],
    ['an array', [1, 2]],
    ['null', null],
    ['an object without id', { type: 'registry.tag.deleted', occurredAt: new Date().toISOString(), actor: { subject: 'system' }, payload: {} }],
    ['a type that is not <service>.<entity>.<verb>', { id: 'x', type: 'pushed', occurredAt: new Date().toISOString(), actor: { subject: 'system' }, payload: {} }],
    ['a bad time', { id: 'x', type: 'registry.tag.deleted', occurredAt: 'yesterday', actor: { subject: 'system' }, payload: {} }],
    ['no actor', { id: 'x', type: 'registry.tag.deleted', occurredAt: new Date().toISOString(), payload: {} }],
    ['a payload that is not an object', { id: 'x', type: 'registry.tag.deleted', occurredAt: new Date().toISOString(), actor: { subject: 'system' }, payload: 3 }],
  ])('rejects %s', (_what, value) => {
    expect(() => parseDomainEvent(value)).toThrow(MalformedEventError);
  });
});

describe('InMemoryBus', () => {
  it('delivers only to subscribers whose pattern matches, and retries a failing handler', async () => {
    const bus = new InMemoryBus();
    const seen: string[] = [];
    let failures = 0;
    await bus.subscribe('registry.>', 'registry-watch', async (e: DomainEvent) => {
      if (failures++ < 2) throw new Error('transient');
      seen.push(e.type);
    });
    await bus.subscribe('auth.*.*', 'auth-watch', async (e) => void seen.push(`auth:${e.type}`));
    await bus.publish(pushed('v1'));
    expect(seen).toEqual(['registry.manifest.pushed']);
    await bus.close();
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDigester, digestOf, parseDigest } from './digest.ts';

const hex64 = 'a'.repeat(64);
const hex128 = '0123456789abcdef'.repeat(8);

describe('parseDigest', () => {
  it('accepts sha256 with 64 lowercase hex characters', () => {
    expect(parseDigest(`sha256:${hex64}`)).toEqual({ algorithm: 'sha256', hex: hex64, digest: `sha256:${hex64}` });
  });

  it('accepts sha512 with 128 lowercase hex characters', () => {
    expect(parseDigest(`sha512:${hex128}`)?.algorithm).toBe('sha512');
  });

  it.each([
    ['sha384', `sha384:${'a'.repeat(96)}`],
    ['md5', `md5:${'a'.repeat(32)}`],
    ['uppercase hex', `sha256:${'A'.repeat(64)}`],
    ['uppercase algorithm', `SHA256:${hex64}`],
    ['short hex', `sha256:${'a'.repeat(63)}`],
    ['long hex', `sha256:${'a'.repeat(65)}`],
    ['sha512 with sha256 length', `sha512:${hex64}`],
    ['non-hex characters', `sha256:${'g'.repeat(64)}`],
    ['path traversal', `sha256:../${'a'.repeat(61)}`],
    ['a slash inside', `sha256:${'a'.repeat(32)}/${'a'.repeat(31)}`],
    ['no algorithm', hex64],
    ['empty hex', 'sha256:'],
    ['trailing newline', `sha256:${hex64}\n`],
    ['leading space', ` sha256:${hex64}`],
    ['empty string', ''],
  ])('rejects %s', (_label, input) => {
    expect(parseDigest(input)).toBeUndefined();
  });
});

describe('digesting content', () => {
  it('digestOf matches node:crypto sha256 by default', () => {
    const bytes = new TextEncoder().encode('a small string');
    expect(digestOf(bytes)).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  });

  it('digestOf of empty content is the well-known empty sha256', () => {
    expect(digestOf(new Uint8Array())).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('createDigester over chunks equals digestOf over the whole, for sha512 too', () => {
    const whole = new Uint8Array(10_000).map((_, i) => i % 251);
    for (const algorithm of ['sha256', 'sha512'] as const) {
      const d = createDigester(algorithm);
      for (let i = 0; i < whole.length; i += 777) d.update(whole.subarray(i, i + 777));
      const result = d.digest();
      expect(result).toBe(digestOf(whole, algorithm));
      expect(parseDigest(result)?.algorithm).toBe(algorithm);
    }
  });

  it('refuses an algorithm outside the supported set', () => {
    expect(() => createDigester('md5' as never)).toThrow(/unsupported digest algorithm/);
  });
});

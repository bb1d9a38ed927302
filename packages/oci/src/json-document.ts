// Decodes a bounded JSON document strictly: UTF-8 only, no BOM, bounded nesting, no duplicate object keys.

/** Deeper than any real manifest (about 5 levels) by a wide margin; deep nesting only costs parse time. */
export const MAX_JSON_DEPTH = 32;

export type JsonDocument = { ok: true; value: unknown } | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses bytes as one JSON value. Duplicate keys are refused because JSON.parse keeps the last
 * one while other parsers keep the first: two readers of the same manifest could see different
 * media types or layers (the ambiguity behind CVE-2021-41190).
 */
export function parseJsonDocument(bytes: Uint8Array): JsonDocument {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'body is not valid UTF-8' };
  }
  if (text.trim().length === 0) return { ok: false, reason: 'body is empty' };
  if (text.charCodeAt(0) === 0xfeff) return { ok: false, reason: 'body starts with a byte order mark' };
  const structure = scanStructure(text);
  if (structure.depthExceeded) return { ok: false, reason: `JSON nesting is deeper than ${MAX_JSON_DEPTH} levels` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `body is not valid JSON (${(err as Error).message})` };
  }
  if (structure.duplicateKey !== undefined) {
    return { ok: false, reason: `JSON object has a duplicate key ${JSON.stringify(structure.duplicateKey)}` };
  }
  return { ok: true, value };
}

interface Frame {
  keys: Set<string> | undefined; // undefined for arrays
  expectKey: boolean;
}

/** One linear pass over the text: nesting depth and the first duplicate key, ignoring anything inside strings. */
function scanStructure(text: string): { depthExceeded: boolean; duplicateKey?: string } {
  const stack: Frame[] = [];
  let duplicateKey: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey && duplicateKey === undefined) {
        const key = decodeStringLiteral(text.slice(i, j + 1));
        if (key !== undefined) {
          if (top.keys.has(key)) duplicateKey = key;
          top.keys.add(key);
        }
        top.expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= MAX_JSON_DEPTH) return { depthExceeded: true };
      stack.push({ keys: c === 0x7b ? new Set() : undefined, expectKey: c === 0x7b });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
  }
  return duplicateKey === undefined ? { depthExceeded: false } : { depthExceeded: false, duplicateKey };
}

function decodeStringLiteral(literal: string): string | undefined {
  try {
    const v: unknown = JSON.parse(literal);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined; // the full parse reports the syntax error
  }
}

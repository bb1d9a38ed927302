// After `next build`: writes the script half of the console's Content-Security-Policy into every
// exported HTML file, as a <meta> tag that allows 'self' plus the SHA-256 of each inline script of
// that very file (Next.js bootstraps a page with inline scripts), so no 'unsafe-inline' is needed.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const INLINE_SCRIPT = /<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g;

function htmlFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) found.push(...htmlFiles(full));
    else if (name.endsWith('.html')) found.push(full);
  }
  return found;
}

export function policyFor(html) {
  const hashes = new Set();
  for (const match of html.matchAll(INLINE_SCRIPT)) {
    hashes.add(`'sha256-${createHash('sha256').update(match[1], 'utf8').digest('base64')}'`);
  }
  return [
    "default-src 'self'",
    `script-src 'self' ${[...hashes].join(' ')}`.trim(),
    // Radix positions popovers with inline style attributes.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ].join('; ');
}

export function finishExport(outDir) {
  const files = htmlFiles(outDir);
  for (const file of files) {
    const html = readFileSync(file, 'utf8');
    if (html.includes('http-equiv="Content-Security-Policy"')) continue;
    const meta = `<meta http-equiv="Content-Security-Policy" content="${policyFor(html)}">`;
    // Right after the charset (which must stay in the first 1024 bytes), before every script.
    const withMeta = html.includes('<meta charSet="utf-8"/>')
      ? html.replace('<meta charSet="utf-8"/>', (charset) => `${charset}${meta}`)
      : html.replace(/<head([^>]*)>/, (head) => `${head}${meta}`);
    if (withMeta === html) throw new Error(`no <head> in ${file}`);
    writeFileSync(file, withMeta);
  }
  return files.length;
}

// Writes the platform API's merged OpenAPI document to packages/client/openapi.json and the client's
// TypeScript types generated from it to packages/client/src/api-types.ts (both committed, so a fresh
// clone type-checks before it builds). Run by scripts/build.mjs; `--check` only reports staleness.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { buildPlatformDocument } from '../apps/all-in-one/src/api-document.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DOCUMENT_FILE = path.join(root, 'packages/client/openapi.json');
export const TYPES_FILE = path.join(root, 'packages/client/src/api-types.ts');

const TYPES_BANNER = '// Generated from packages/client/openapi.json by scripts/openapi.ts (openapi-typescript): do not edit.\n';

/** The two generated files, keyed by absolute path. */
export async function generatedFiles(): Promise<Map<string, string>> {
  const document = await buildPlatformDocument();
  const types = astToString(await openapiTS(document as unknown as Parameters<typeof openapiTS>[0]));
  return new Map([
    [DOCUMENT_FILE, `${JSON.stringify(document, null, 2)}\n`],
    [TYPES_FILE, TYPES_BANNER + types],
  ]);
}

async function current(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch(() => undefined);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const [file, text] of await generatedFiles()) {
    if ((await current(file)) === text) continue;
    stale.push(path.relative(root, file));
    if (!check) await writeFile(file, text);
  }
  if (check && stale.length > 0) {
    console.error(`[docksphere] out of date: ${stale.join(', ')} (run node scripts/build.mjs and commit them)`);
    process.exit(1);
  }
  console.log(stale.length ? `[docksphere] ${check ? 'stale' : 'wrote'} ${stale.join(', ')}` : '[docksphere] OpenAPI document and client types up to date');
}

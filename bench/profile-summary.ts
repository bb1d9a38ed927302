// Summarises a V8 .cpuprofile (from `npm run bench -- --profile DIR`): the functions with the most
// self time and the most inclusive time, so a slow scenario's hot spots can be read in a terminal.
// Usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile [TOP] [--from SECONDS]
// --from skips the first SECONDS of the profile (start-up: the bench prints when the server was ready).
// --callers NAME: for samples inside a function whose label contains NAME, which DockSphere
// functions (frames of the bundle) called it: the nearest ones and every one on the stack.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
const fromIndex = args.indexOf('--from');
const fromSeconds = fromIndex === -1 ? 0 : Number(args.splice(fromIndex, 2)[1]);
const callersIndex = args.indexOf('--callers');
const callersOf = callersIndex === -1 ? undefined : args.splice(callersIndex, 2)[1];
// One file per thread: node --cpu-prof writes the main thread's and each worker's profile.
const files = args.filter((a) => a.endsWith('.cpuprofile'));
const topArg = args.find((a) => /^\d+$/.test(a));
if (files.length === 0 || !Number.isFinite(fromSeconds)) {
  console.error('usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile... [TOP] [--from SECONDS] [--callers NAME]');
  process.exit(2);
}
const top = Number(topArg ?? 30);
// Piped into head: stop quietly when the reader goes away.
process.stdout.on('error', () => process.exit(0));
for (const file of files) summarise(file);

function summarise(file: string): void {
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
console.log(`\n### ${file}`);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

function label(n: ProfileNode): string {
  const f = n.callFrame;
  const where = f.url ? `${f.url.replace(/^.*\/node_modules\//, '~/').replace(/^file:\/\/\/work\/main\//, '')}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
}

const ownCode = /dist\/main\.mjs:/;
const nearestCaller = new Map<string, number>();
const anyCaller = new Map<string, number>();
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
let elapsed = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  elapsed += dt;
  if (elapsed < fromSeconds * 1e6) return;
  total += dt;
  const node = byId.get(id);
  if (!node) return;
  self.set(label(node), (self.get(label(node)) ?? 0) + dt);
  if (callersOf !== undefined) attributeCaller(id, dt);
  // Count each function once per sample even when it recurses.
  const seen = new Set<string>();
  for (let cur: number | undefined = id, depth = 0; cur !== undefined && depth < 500; cur = parent.get(cur), depth++) {
    const n = byId.get(cur);
    if (!n) break;
    const l = label(n);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
  }
});

function attributeCaller(id: number, dt: number): void {
  const stack: string[] = [];
  for (let cur: number | undefined = id, depth = 0; cur !== undefined && depth < 500; cur = parent.get(cur), depth++) {
    const n = byId.get(cur);
    if (n) stack.push(label(n));
  }
  const at = stack.findIndex((l) => l.includes(callersOf ?? ''));
  if (at === -1) return;
  const own = stack.slice(at + 1).filter((l) => ownCode.test(l));
  const first = own[0] ?? '(no DockSphere frame)';
  nearestCaller.set(first, (nearestCaller.get(first) ?? 0) + dt);
  for (const l of new Set(own)) anyCaller.set(l, (anyCaller.get(l) ?? 0) + dt);
}

function print(title: string, m: Map<string, number>, total: number): void {
  console.log(`\n${title} (of ${(total / 1e6).toFixed(2)} s sampled)`);
  for (const [name, us] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(6)}%  ${(us / 1e6).toFixed(2).padStart(7)} s  ${name}`);
  }
}
print('Self time', self, total);
print('Inclusive time', inclusive, total);
if (callersOf !== undefined) {
  print(`Nearest DockSphere caller of "${callersOf}"`, nearestCaller, total);
  print(`DockSphere frames on the stack of "${callersOf}"`, anyCaller, total);
}
}

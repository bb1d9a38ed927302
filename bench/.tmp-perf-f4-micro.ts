// TEMPORARY (not committed): interleaved A/B of in-thread vs worker hashing on real HTTP pushes via curl.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startRegistry } from '../services/registry/test/helpers.ts';

const run = promisify(execFile);
const hex = readFileSync('/tmp/perf-f4/blob64.sha', 'utf8').trim();
const h = await startRegistry({ authMode: 'none' });
await h.app.listen({ port: 0, host: '127.0.0.1' });
const port = (h.app.server.address() as { port: number }).port;
const mainCpu = () => {
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
let n = 0;
async function round(mode: 'A' | 'B', conc: number) {
  process.env.TMP_AB_IN_THREAD = mode === 'A' ? '1' : '0';
  const eld = monitorEventLoopDelay({ resolution: 5 }); eld.enable(); const c0 = mainCpu(); const p0 = process.cpuUsage(); const t0 = performance.now();
  await Promise.all(Array.from({ length: conc }, async () => {
    const repo = `bench/r${n++}`; // distinct repos; same bytes are fine: each upload is hashed and written anyway
    const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', '-H', 'content-type: application/octet-stream', '--data-binary', '@/tmp/perf-f4/blob64', `http://127.0.0.1:${port}/v2/${repo}/blobs/uploads/?digest=sha256:${hex}`]);
    if (stdout !== '201') throw new Error(`status ${stdout}`);
  }));
  const secs = (performance.now() - t0) / 1000; const p = process.cpuUsage(p0); const gib = (64 * conc) / 1024;
  eld.disable(); return { loopP99ms: +(eld.percentile(99) / 1e6).toFixed(1), loopMaxMs: +(eld.max / 1e6).toFixed(1), mode, conc, mibs: (64 * conc) / secs, mainCpuPerGiB: (mainCpu() - c0) / gib, procCpuPerGiB: (p.user + p.system) / 1e6 / gib };
}
const out: Record<string, { mibs: number[]; main: number[]; proc: number[]; p99: number[] }> = {};
for (let i = 0; i < Number(process.argv[2] ?? 3); i++) {
  for (const conc of [1, 4]) for (const mode of (i % 2 ? ['B', 'A'] : ['A', 'B']) as ('A' | 'B')[]) {
    const r = await round(mode, conc);
    const k = `${mode} c${conc}`;
    (out[k] ??= { mibs: [], main: [], proc: [], p99: [] }).mibs.push(+r.mibs.toFixed(1)); out[k].p99.push(r.loopP99ms);
    out[k].main.push(+r.mainCpuPerGiB.toFixed(2)); out[k].proc.push(+r.procCpuPerGiB.toFixed(2));
    console.log(JSON.stringify(r), (await import('node:os')).loadavg()[0].toFixed(1));
  }
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const [k, v] of Object.entries(out)) console.log(k, 'MiB/s', v.mibs, 'median', med(v.mibs), '| main-thread CPU-s/GiB median', med(v.main), '| process CPU-s/GiB median', med(v.proc), '| event-loop delay p99 ms', v.p99, 'median', med(v.p99));
await h.close();

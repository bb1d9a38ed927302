// Runs the reference registry and then DockSphere through the same scenarios on this machine,
// prints DockSphere/reference ratios against the targets, and writes the results to
// bench/results/latest.json and docs/benchmarks.md.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fullSettings, quickSettings } from './context.ts';
import type { BenchOptions, TargetName } from './options.ts';
import { createPayload } from './payload.ts';
import { sha256MiBps } from './report/calibration.ts';
import { machineInfo } from './report/machine.ts';
import { buildRows, metricSpecs } from './report/metrics.ts';
import { consoleTable, markdownSection, spliceDoc } from './report/render.ts';
import { TargetRun, type TargetResult } from './run-target.ts';
import { docksphereAvailable, startDocksphere } from './server/docksphere.ts';
import { referenceAvailable, referenceVersion, startReference } from './server/reference-registry.ts';
import { MiB } from './stats.ts';

const DOC_INTRO = `# Benchmarks

DockSphere's data plane measured against the reference registry, Debian's \`docker-registry\`
(CNCF Distribution 2.8), on the same machine in the same run. Run it with:

    npm run bench                      # full run, both registries, rewrites the table below
    npm run bench -- --quick           # small sizes, for working on the harness
    npm run bench -- --only push,pull  # some scenarios (push, chunked, pull, manifest, head, tags, rss)
    npm run bench -- --targets docksphere --profile /tmp/prof   # CPU profile of DockSphere

Both registries are started, then take turns scenario by scenario (who goes first alternates,
the one not being measured is frozen with SIGSTOP, and dirty pages are flushed before each
scenario), so load from other processes on a shared machine drifts over both alike. Both run without auth (\`REGISTRY_AUTH=none\`), with filesystem storage in a temporary
directory, at log level warn (no access log). The client is a node process on the same machine
(keep-alive sockets, bodies streamed from a pre-generated random file with 4 MiB reads, digests
computed before timing; autocannon for the request-rate rows), so both registries share the
cores with it. Throughputs are the median of 3 trials; CPU is the registry process's utime+stime
from /proc divided by the GiB moved; peak RSS is VmHWM (reset before, VmRSS sampled during)
of the registry process. Every pushed blob is distinct, so no registry can skip work for content
it already holds. Machines here are shared: compare the ratios, which come from one run, rather
than absolute numbers across runs. The raw numbers of the latest run are in
\`bench/results/latest.json\`.

## Reading the numbers

- The targets are DockSphere/reference ratios from the issue: monolithic and chunked push >= 2x the
  reference's throughput, pull >= 1x at <= 0.5x its CPU per GiB, manifest GET and blob HEAD at 64
  connections >= 2.5x its request rate, and peak RSS under 300 MiB during 32 concurrent uploads.
- Every registry hashes a pushed blob with SHA-256 as it arrives. The run prints the single-core
  SHA-256 speed of node on the machine (no SHA-NI on these CPUs), which bounds one push stream.
- Node has no sendfile for HTTP responses: a blob GET served by node pays the page-cache-to-user and
  user-to-socket copies, as Distribution does. The distributed mode serves blob bytes from NGINX
  (X-Accel-Redirect) or S3 redirects instead.
- All-in-one DockSphere embeds PGlite (PostgreSQL compiled to WebAssembly) in the registry process:
  its ~300 MiB is part of the measured RSS, and its statements run on the same thread as requests.
- Profiling: \`npm run bench -- --targets docksphere --only manifest --profile /tmp/prof\`, then
  \`node --import tsx bench/profile-summary.ts /tmp/prof/*.cpuprofile 40 --from <ready seconds>\`
  (\`--callers NAME\` shows which DockSphere frames lead into a hot function). \`--env KEY=VALUE\`
  starts DockSphere with an extra setting, for one-change experiments.

## Latest results

`;

function repoRootFrom(benchDir: string): string {
  return path.resolve(benchDir, '..');
}

export async function runBenchmarks(opts: BenchOptions, benchDir: string): Promise<number> {
  const repoRoot = repoRootFrom(benchDir);
  const settings = opts.quick ? quickSettings : fullSettings;
  const machine = machineInfo(repoRoot);
  const notes: string[] = [];
  console.log(`DockSphere benchmark (${opts.quick ? 'quick' : 'full'}): ${opts.only.join(', ')}`);
  console.log(`machine: ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}, load ${machine.loadAverage.join(' ')}`);

  const targets: TargetName[] = [];
  for (const t of opts.targets) {
    if (t === 'reference' && !referenceAvailable()) notes.push('Reference not run: /usr/bin/docker-registry is not installed (infra/install-system-deps.sh installs it).');
    else if (t === 'docksphere' && !docksphereAvailable(repoRoot)) notes.push('DockSphere not run: apps/all-in-one/dist/main.mjs does not exist (node scripts/build.mjs builds it).');
    else targets.push(t);
  }
  notes.forEach((n) => console.log(n));
  const sha256Before = sha256MiBps();

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'docksphere-bench-'));
  const cleanup = (): void => rmSync(tmp, { recursive: true, force: true });
  process.once('exit', cleanup);
  const results: Partial<Record<TargetName, TargetResult>> = {};
  const runs = new Map<TargetName, TargetRun>();
  try {
    const needsBlobs = opts.only.some((id) => id === 'push' || id === 'chunked' || id === 'pull' || id === 'rss');
    const payload = await createPayload(tmp, needsBlobs ? settings.blobSize : 64 * 1024);
    for (const target of targets) {
      const workDir = path.join(tmp, target);
      mkdirSync(workDir, { recursive: true });
      const start =
        target === 'reference'
          ? () => startReference(workDir)
          : () =>
              startDocksphere(repoRoot, workDir, {
                nodeFlags: opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(opts.profileDir)}`] : [],
                env: opts.docksphereEnv,
              });
      try {
        runs.set(target, await TargetRun.start(start, workDir, payload, settings));
      } catch (err) {
        const message = `${target} could not be started: ${err instanceof Error ? err.message : String(err)}`;
        console.error(message);
        notes.push(message.split('\n')[0] ?? message);
      }
    }
    // The registries take turns per scenario, alternating who goes first, so that load from other
    // processes on this shared machine drifts over both alike; the one not measured is frozen.
    for (const [i, id] of opts.only.entries()) {
      const order = i % 2 === 0 ? [...runs.entries()] : [...runs.entries()].reverse();
      for (const [target, run] of order) {
        console.log(`\n== ${id}: ${target} ==`);
        for (const [other, r] of runs) if (other !== target) r.pause();
        run.resume();
        await run.run(id);
      }
    }
  } finally {
    for (const [target, run] of runs) {
      try {
        results[target] = await run.stop();
      } catch (err) {
        notes.push(`${target} did not stop cleanly: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    cleanup();
  }

  const rows = buildRows(metricSpecs(settings), results.docksphere?.metrics, results.reference?.metrics);
  const loadAfter = machineInfo(repoRoot).loadAverage;
  const sha256After = sha256MiBps();
  notes.push(
    `Single-core SHA-256 in node on this machine: ${sha256Before.toFixed(0)} MiB/s before the run, ${sha256After.toFixed(0)} MiB/s after ` +
      '(every registry hashes blobs as they arrive, so this bounds single-stream push throughput).',
  );
  for (const [name, r] of Object.entries(results)) {
    for (const e of r.errors) notes.push(`${name} failed ${e.split('\n')[0]}`);
  }
  for (const [name, r] of Object.entries(results)) {
    if (r.details.tagsPageSizeHonoured === false) {
      notes.push(`${name} ignores n on tags/list (Distribution 2.8 does not paginate tags): its n=${settings.tagPageSize} row is a full list of ${settings.tagCount} tags.`);
    }
  }
  for (const [name, r] of Object.entries(results)) {
    notes.push(
      `${name}: ${r.wallSeconds.toFixed(0)} s of scenarios, registry ${r.serverCpuSeconds.toFixed(1)} CPU-s, benchmark client ${r.clientCpuSeconds.toFixed(1)} CPU-s, ` +
        `other processes on the machine ${r.otherProcessesCores.toFixed(2)} cores on average (noise; the machine is shared).`,
    );
  }
  if (Object.keys(opts.docksphereEnv).length > 0) notes.push(`DockSphere ran with extra environment ${JSON.stringify(opts.docksphereEnv)}.`);
  if (opts.profileDir) notes.push('DockSphere ran under node --cpu-prof: its numbers include profiling overhead.');
  if (opts.quick) notes.push(`Quick run (${settings.blobSize / MiB} MiB blobs, short load runs): targets are only indicative.`);

  console.log(`\n${consoleTable(rows)}\n`);
  notes.forEach((n) => console.log(`note: ${n}`));

  const refVersion = referenceVersion();
  const report = {
    machine,
    loadAverageAfter: loadAfter,
    sha256MiBps: { before: sha256Before, after: sha256After },
    mode: opts.quick ? 'quick' : 'full',
    scenarios: opts.only,
    settings,
    referenceVersion: refVersion,
    rows,
    targets: results,
    notes,
  };
  // Only a full run of every scenario on both registries replaces the committed results and doc table.
  const complete = !opts.quick && opts.only.length === metricSpecs(settings).reduce((s, m) => s.add(m.scenario), new Set<string>()).size && results.reference && results.docksphere;
  const resultsDir = path.join(benchDir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = path.join(resultsDir, complete ? 'latest.json' : 'partial.json');
  writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${path.relative(repoRoot, resultsFile)}`);

  if (complete || opts.forceDocs) {
    const docPath = path.join(repoRoot, 'docs/benchmarks.md');
    const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : DOC_INTRO;
    const section = markdownSection({ rows, machine, loadAfter, referenceVersion: refVersion, mode: opts.quick ? 'quick' : 'full', notes });
    writeFileSync(docPath, spliceDoc(doc, section));
    console.log('wrote docs/benchmarks.md');
  } else {
    console.log('docs/benchmarks.md left unchanged (only a full run of both registries rewrites it; --docs forces it)');
  }
  const failed = Object.values(results).some((r) => r.errors.length > 0) || targets.length !== Object.keys(results).length;
  return failed ? 1 : 0;
}

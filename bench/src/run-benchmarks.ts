// Runs the reference registry and DockSphere's targets (all-in-one, and the registry service behind
// NGINX) through the same scenarios on this machine, taking turns, prints each DockSphere target's
// ratios to the reference against the issue's targets, and writes bench/results/*.json and docs/benchmarks.md.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fullSettings, quickSettings } from './context.ts';
import { targetLabels, targetNames, type BenchOptions, type DocksphereTarget, type TargetName } from './options.ts';
import { createPayload } from './payload.ts';
import { sha256MiBps } from './report/calibration.ts';
import { machineInfo } from './report/machine.ts';
import { buildRows, metricSpecs } from './report/metrics.ts';
import { consoleTable, markdownSection, spliceDoc } from './report/render.ts';
import { TargetRun, type TargetResult } from './run-target.ts';
import type { RunningServer } from './server/server-process.ts';
import { docksphereAvailable, startDocksphere, type DocksphereStartOptions } from './server/docksphere.ts';
import { docksphereNginxMissing, startDocksphereNginx } from './server/docksphere-nginx.ts';
import { referenceAvailable, referenceVersion, startReference } from './server/reference-registry.ts';
import { MiB } from './stats.ts';

// Used only when docs/benchmarks.md is missing: the method text lives in that file, written by hand.
const DOC_INTRO = '# Benchmarks\n\nHow the benchmark works: bench/src/run-benchmarks.ts and `npm run bench -- --help`.\n\n## Latest results\n';

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

  // A target that cannot run here fails the run, loudly, with the reason; the others still run.
  const targets: TargetName[] = [];
  const unavailable: string[] = [];
  for (const t of opts.targets) {
    const reason = missingFor(t, repoRoot);
    if (reason) unavailable.push(`${t} could not be run: ${reason}.`);
    else targets.push(t);
  }
  unavailable.forEach((n) => console.error(`ERROR: ${n}`));
  notes.push(...unavailable);
  const sha256Before = sha256MiBps();

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'docksphere-bench-'));
  const cleanup = (): void => rmSync(tmp, { recursive: true, force: true });
  process.once('exit', cleanup);
  const results: Partial<Record<TargetName, TargetResult>> = {};
  const runs = new Map<TargetName, TargetRun>();
  try {
    const needsBlobs = opts.only.some((id) => id === 'push' || id === 'chunked' || id === 'pull' || id === 'rss');
    const payload = createPayload(needsBlobs ? settings.blobSize : 64 * 1024);
    for (const target of targets) {
      const workDir = path.join(tmp, target);
      mkdirSync(workDir, { recursive: true });
      const dsOpts: DocksphereStartOptions = {
        nodeFlags: opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(opts.profileDir)}`] : [],
        env: opts.docksphereEnv,
      };
      const starters: Record<TargetName, () => Promise<RunningServer>> = {
        reference: () => startReference(workDir),
        docksphere: () => startDocksphere(repoRoot, workDir, dsOpts),
        'docksphere-nginx': () => startDocksphereNginx(repoRoot, workDir, dsOpts),
      };
      const start = starters[target];
      try {
        runs.set(target, await TargetRun.start(start, workDir, payload, settings));
      } catch (err) {
        const message = `${target} could not be started: ${err instanceof Error ? err.message : String(err)}`;
        console.error(`ERROR: ${message}`);
        notes.push(message.split('\n')[0] ?? message);
      }
    }
    // The targets take turns per scenario, rotating who goes first, so that load from other
    // processes on this shared machine drifts over all alike; the ones not measured are frozen.
    for (const [i, id] of opts.only.entries()) {
      const entries = [...runs.entries()];
      const shift = entries.length > 0 ? i % entries.length : 0;
      const order = [...entries.slice(shift), ...entries.slice(0, shift)];
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

  // Every requested DockSphere target gets its columns, also one that failed (then empty, with the reason in the notes).
  const dsTargets = opts.targets.filter((t): t is DocksphereTarget => t !== 'reference');
  const rows = buildRows(
    metricSpecs(settings),
    results.reference?.metrics,
    dsTargets.map((t) => ({ target: t, metrics: results[t]?.metrics })),
  );
  const loadAfter = machineInfo(repoRoot).loadAverage;
  const sha256After = sha256MiBps();
  notes.push(
    `Single-core SHA-256 in node on this machine: ${sha256Before.toFixed(0)} MiB/s before the run, ${sha256After.toFixed(0)} MiB/s after ` +
      '(every registry hashes blobs as they arrive, so this bounds single-stream push throughput).',
  );
  // SHA-256 cannot be split across cores for one stream: a push target above that speed cannot be met here by anyone.
  const hashCeiling = Math.max(sha256Before, sha256After);
  for (const key of ['push', 'chunked'] as const) {
    const reference = results.reference?.metrics[`${key}.mibps`];
    if (reference !== undefined && 2 * reference > hashCeiling) {
      notes.push(
        `${key === 'push' ? 'Monolithic' : 'Chunked'} push >= 2x needs ${(2 * reference).toFixed(0)} MiB/s for one blob, above the ${hashCeiling.toFixed(0)} MiB/s ` +
          'at which one core hashes it: no registry that verifies the digest can reach it on this machine.',
      );
    }
  }
  for (const [name, r] of Object.entries(results)) {
    for (const e of r.errors) notes.push(`${name} failed ${e.split('\n')[0]}`);
  }
  for (const [name, r] of Object.entries(results)) {
    if (r.details.tagsPageSizeHonoured === false) {
      notes.push(`${name} ignores n on tags/list (Distribution 2.8 does not paginate tags): its n=${settings.tagPageSize} row is a full list of ${settings.tagCount} tags.`);
    }
  }
  for (const [name, r] of Object.entries(results)) {
    const byProcess = Object.entries(r.serverCpuSecondsByProcess);
    const split = byProcess.length > 1 ? ` (${byProcess.map(([role, sec]) => `${role} ${sec.toFixed(1)}`).join(', ')})` : '';
    notes.push(
      `${name}: ${r.wallSeconds.toFixed(0)} s of scenarios, server processes ${r.serverCpuSeconds.toFixed(1)} CPU-s${split}, benchmark client ${r.clientCpuSeconds.toFixed(1)} CPU-s, ` +
        `other processes on the machine ${r.otherProcessesCores.toFixed(2)} cores on average (noise; the machine is shared).`,
    );
  }
  if (Object.keys(opts.docksphereEnv).length > 0) notes.push(`DockSphere ran with extra environment ${JSON.stringify(opts.docksphereEnv)}.`);
  if (opts.profileDir) notes.push('DockSphere ran under node --cpu-prof: its numbers include profiling overhead.');
  if (opts.quick) notes.push(`Quick run (${settings.blobSize / MiB} MiB blobs, short load runs): targets are only indicative.`);

  console.log(`\n${consoleTable(rows, targetLabels)}\n`);
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
  // Only a full run of every scenario on every target replaces the committed results and doc table.
  const complete = !opts.quick && opts.only.length === metricSpecs(settings).reduce((s, m) => s.add(m.scenario), new Set<string>()).size && targetNames.every((t) => results[t]);
  const resultsDir = path.join(benchDir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = path.join(resultsDir, complete ? 'latest.json' : 'partial.json');
  writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${path.relative(repoRoot, resultsFile)}`);

  if (complete || opts.forceDocs) {
    const docPath = path.join(repoRoot, 'docs/benchmarks.md');
    const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : DOC_INTRO;
    const section = markdownSection({ rows, labels: targetLabels, machine, loadAfter, referenceVersion: refVersion, mode: opts.quick ? 'quick' : 'full', notes });
    writeFileSync(docPath, spliceDoc(doc, section));
    console.log('wrote docs/benchmarks.md');
  } else {
    console.log('docs/benchmarks.md left unchanged (only a full run of every target rewrites it; --docs forces it)');
  }
  const failed = unavailable.length > 0 || Object.values(results).some((r) => r.errors.length > 0) || targets.length !== Object.keys(results).length;
  if (failed) console.error('\nERROR: the run is incomplete (see the notes above); exit code 1.');
  return failed ? 1 : 0;
}

/** Why a target cannot run on this machine or checkout, or undefined. */
function missingFor(target: TargetName, repoRoot: string): string | undefined {
  if (target === 'reference') return referenceAvailable() ? undefined : '/usr/bin/docker-registry is not installed (infra/install-system-deps.sh installs it)';
  if (target === 'docksphere') return docksphereAvailable(repoRoot) ? undefined : 'apps/all-in-one/dist/main.mjs does not exist (node scripts/build.mjs builds it)';
  return docksphereNginxMissing(repoRoot);
}

// Command-line options of `npm run bench`: --only, --quick, --targets, --docs, --profile.
import { scenarioIds, type ScenarioId } from './report/metrics.ts';

/** reference: Distribution; docksphere: the all-in-one process; docksphere-nginx: the registry service behind NGINX on Postgres. */
export const targetNames = ['reference', 'docksphere', 'docksphere-nginx'] as const;
export type TargetName = (typeof targetNames)[number];
export type DocksphereTarget = Exclude<TargetName, 'reference'>;

/** Column headings of the results table. */
export const targetLabels: Record<TargetName, string> = {
  reference: 'Reference',
  docksphere: 'DockSphere all-in-one',
  'docksphere-nginx': 'DockSphere + NGINX',
};

export interface BenchOptions {
  only: ScenarioId[];
  quick: boolean;
  targets: TargetName[];
  /** Write docs/benchmarks.md even for a quick or partial run. */
  forceDocs: boolean;
  /** Directory for DockSphere CPU profiles (node --cpu-prof); unset = no profiling. */
  profileDir: string | undefined;
  /** Extra environment for DockSphere (--env KEY=VALUE), for experiments such as PULL_EVENT_SAMPLE_RATE=0. */
  docksphereEnv: Record<string, string>;
}

const aliases: Record<string, ScenarioId[]> = {
  cpu: ['push', 'pull'],
  load: ['manifest', 'head'],
  memory: ['rss'],
  monolithic: ['push'],
};

export const usage = `usage: npm run bench -- [--quick] [--only ${scenarioIds.join(',')}] [--targets ${targetNames.join(',')}] [--docs] [--profile DIR]
  --quick      32 MiB blobs, 3 s load runs, 300 tags, 8 concurrent uploads (for development)
  --only       scenarios to run (aliases: cpu = push,pull; load = manifest,head; memory = rss)
  --targets    which registries to run (default all): reference (Distribution), docksphere (all-in-one),
               docksphere-nginx (registry service + Postgres + NATS behind NGINX); one that cannot
               start (missing bundle or server) fails the run
  --docs       also write docs/benchmarks.md for a quick or partial run
  --profile    run DockSphere's registry processes under node --cpu-prof, writing .cpuprofile files to DIR
               (summarise with: node --import tsx bench/profile-summary.ts FILE --from READY_SECONDS)
  --env        extra environment for DockSphere's registry processes, e.g. --env PULL_EVENT_SAMPLE_RATE=0 (repeatable)`;

export function parseOptions(argv: string[]): BenchOptions {
  const opts: BenchOptions = { only: [...scenarioIds], quick: false, targets: [...targetNames], forceDocs: false, profileDir: undefined, docksphereEnv: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value\n${usage}`);
      return v;
    };
    switch (flag) {
      case '--quick':
        opts.quick = true;
        break;
      case '--docs':
        opts.forceDocs = true;
        break;
      case '--only': {
        const picked = new Set<ScenarioId>();
        for (const name of value().split(',').map((s) => s.trim()).filter(Boolean)) {
          const ids = aliases[name] ?? ((scenarioIds as readonly string[]).includes(name) ? [name as ScenarioId] : undefined);
          if (!ids) throw new Error(`unknown scenario "${name}"\n${usage}`);
          ids.forEach((id) => picked.add(id));
        }
        opts.only = scenarioIds.filter((id) => picked.has(id));
        break;
      }
      case '--targets': {
        const names = value().split(',').map((s) => s.trim()).filter(Boolean);
        for (const n of names) if (!(targetNames as readonly string[]).includes(n)) throw new Error(`unknown target "${n}"\n${usage}`);
        // Canonical order, no duplicates: the reference first, so the table's columns do not depend on how the list was typed.
        opts.targets = targetNames.filter((t) => names.includes(t));
        if (opts.targets.length === 0) throw new Error(`--targets needs at least one target\n${usage}`);
        break;
      }
      case '--profile':
        opts.profileDir = value();
        break;
      case '--env': {
        const pair = value();
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new Error(`--env needs KEY=VALUE, got "${pair}"\n${usage}`);
        opts.docksphereEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
        break;
      }
      case '--help':
      case '-h':
        console.log(usage);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option "${arg}"\n${usage}`);
    }
  }
  return opts;
}

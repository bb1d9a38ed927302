// Everything a target runs on the server side, as groups of process trees: its CPU (all of them,
// children included), its memory (the registry process apart, every other group beside it), and
// freezing it all while another target is measured.
import { childPids, cpuTimes, processTree, resetPeakRss, peakRssMiB, rssMiB, sumRssMiB, treeCpuTimes, type CpuTimes } from './proc-stats.ts';

export type ProcessRole = 'registry' | 'nginx' | 'postgres' | 'nats';

/** One started server: its root pid stands for the root and every descendant. */
export interface ProcessGroup {
  role: ProcessRole;
  pid: number;
}

/** The groups of a target, the registry's first. */
export type ServerProcesses = readonly ProcessGroup[];

export function registryPid(groups: ServerProcesses): number {
  const registry = groups.find((g) => g.role === 'registry');
  if (!registry) throw new Error('a target without a registry process');
  return registry.pid;
}

/** How CPU is split in reports: the registry process apart from its children (the all-in-one's embedded database). */
export type CpuGroup = ProcessRole | 'registry-children';

/** CPU seconds so far per group; the registry's tree is split into the process itself and its descendants. */
export function serverCpuByGroup(groups: ServerProcesses): Partial<Record<CpuGroup, CpuTimes>> {
  const out: Partial<Record<CpuGroup, CpuTimes>> = {};
  for (const g of groups) {
    const tree = treeCpuTimes(g.pid);
    if (g.role !== 'registry') {
      out[g.role] = tree;
      continue;
    }
    let own: CpuTimes = { user: 0, system: 0 };
    try {
      own = cpuTimes(g.pid);
    } catch {
      // gone: the tree reading was empty as well
    }
    out.registry = own;
    out['registry-children'] = { user: Math.max(0, tree.user - own.user), system: Math.max(0, tree.system - own.system) };
  }
  return out;
}

/** Adds up the target's CPU over measured stretches (start..stop, repeatable), per group and in total. */
export class CpuMeter {
  readonly byGroup: Partial<Record<CpuGroup, CpuTimes>> = {};
  private before: Partial<Record<CpuGroup, CpuTimes>> | undefined;

  constructor(private readonly groups: ServerProcesses) {}

  start(): void {
    this.before = serverCpuByGroup(this.groups);
  }

  /** Ends a stretch; a group that has gone (the registry died) adds nothing, and its requests say why. */
  stop(): void {
    if (!this.before) throw new Error('CpuMeter.stop without start');
    const after = serverCpuByGroup(this.groups);
    for (const [group, b] of Object.entries(this.before) as [CpuGroup, CpuTimes][]) {
      const a = after[group];
      const sum = (this.byGroup[group] ??= { user: 0, system: 0 });
      sum.user += Math.max(0, (a?.user ?? b.user) - b.user);
      sum.system += Math.max(0, (a?.system ?? b.system) - b.system);
    }
    this.before = undefined;
  }

  total(): CpuTimes {
    const t: CpuTimes = { user: 0, system: 0 };
    for (const c of Object.values(this.byGroup)) {
      t.user += c.user;
      t.system += c.system;
    }
    return t;
  }

  /** CPU seconds of each group, divided by `per` (e.g. GiB moved), rounded for reports; registry children only when they used any. */
  secondsByGroup(per = 1): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.byGroup)
        .filter(([group, t]) => group !== 'registry-children' || t.user + t.system > 0)
        .map(([group, t]) => [group, Math.round(((t.user + t.system) / per) * 100) / 100]),
    );
  }

  totalSeconds(): number {
    const t = this.total();
    return t.user + t.system;
  }
}

/**
 * SIGSTOP on every process, the registry's group first (so it sends nothing to a frozen database),
 * each tree from its root down: a stopped parent cannot start a child that would escape the list.
 */
export function freeze(groups: ServerProcesses): void {
  for (const g of groups) {
    const queue = [g.pid];
    for (let i = 0; i < queue.length; i++) {
      signal(queue[i]!, 'SIGSTOP');
      queue.push(...childPids(queue[i]!));
    }
  }
}

/** SIGCONT on every process, the registry's group last, so what it depends on runs before it does. */
export function thaw(groups: ServerProcesses): void {
  for (const g of [...groups].reverse()) {
    for (const pid of processTree(g.pid).reverse()) signal(pid, 'SIGCONT');
  }
}

function signal(pid: number, sig: 'SIGSTOP' | 'SIGCONT'): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone: the next request to the target reports that.
  }
}

export interface ServerRss {
  /** Peak RSS of the registry process itself (VmHWM after a reset, and sampled VmRSS). */
  registryMiB: number;
  /** Whether VmHWM could be reset; without it only the samples count. */
  hwmReset: boolean;
  /** Peak of the summed RSS of the registry's child processes; undefined when it had none. */
  registryChildrenMiB: number | undefined;
  /** Peak summed RSS per other group (NGINX master + workers, Postgres processes, NATS). */
  groupsMiB: Partial<Record<Exclude<ProcessRole, 'registry'>, number>>;
  /** Peak of the sum over every process of the target at one sample. */
  totalMiB: number;
  samples: number;
}

const TREE_REFRESH_SAMPLES = 5;

/** Samples the RSS of every process of a target on an interval (trees re-read every few samples). */
export class ServerRssSampler {
  private readonly registry: number;
  private readonly hwmReset: boolean;
  private trees = new Map<ProcessGroup, number[]>();
  private registryMax = 0;
  private childrenMax: number | undefined;
  private readonly groupMax = new Map<ProcessRole, number>();
  private totalMax = 0;
  private samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly groups: ServerProcesses, intervalMs = 50) {
    this.registry = registryPid(groups);
    this.hwmReset = resetPeakRss(this.registry);
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    if (this.samples % TREE_REFRESH_SAMPLES === 0) this.trees = new Map(this.groups.map((g) => [g, processTree(g.pid)]));
    let total = 0;
    for (const [g, tree] of this.trees) {
      if (g.role === 'registry') {
        const own = sumRssMiB([g.pid]);
        this.registryMax = Math.max(this.registryMax, own);
        if (tree.length > 1) {
          const children = sumRssMiB(tree.slice(1));
          this.childrenMax = Math.max(this.childrenMax ?? 0, children);
          total += children;
        }
        total += own;
      } else {
        const sum = sumRssMiB(tree);
        this.groupMax.set(g.role, Math.max(this.groupMax.get(g.role) ?? 0, sum));
        total += sum;
      }
    }
    this.totalMax = Math.max(this.totalMax, total);
    this.samples++;
  }

  stop(): ServerRss {
    clearInterval(this.timer);
    this.sample();
    let hwm = 0;
    try {
      hwm = peakRssMiB(this.registry);
    } catch {
      // The registry is gone: its requests failed and say so.
    }
    // Without a reset, VmHWM may hold an earlier scenario's peak: then only the samples count.
    const registryMiB = this.hwmReset ? Math.max(hwm, this.registryMax) : this.registryMax;
    return {
      registryMiB,
      hwmReset: this.hwmReset,
      registryChildrenMiB: this.childrenMax,
      groupsMiB: Object.fromEntries(this.groupMax),
      totalMiB: Math.max(this.totalMax, registryMiB),
      samples: this.samples,
    };
  }
}

/** The registry process's RSS now, for the startup reading. */
export function registryRssMiB(groups: ServerProcesses): number {
  return rssMiB(registryPid(groups));
}

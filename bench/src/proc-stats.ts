// Reads server processes' CPU time and memory from /proc, the way the issue defines them: for one
// process, or for a process and all its descendants (a tree), or for several such trees.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream kernel build.
const CLOCK_TICKS_PER_SECOND = 100;

export interface CpuTimes {
  user: number;
  system: number;
}

/** User plus system CPU seconds the process (all its threads) has used so far. */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

/** User and system CPU seconds, apart: system time is the kernel copying bytes for the process. */
export function cpuTimes(pid: number): CpuTimes {
  const f = statFields(pid);
  return { user: f.utime / CLOCK_TICKS_PER_SECOND, system: f.stime / CLOCK_TICKS_PER_SECOND };
}

interface StatFields {
  ppid: number;
  utime: number;
  stime: number;
  /** CPU of the process's children that exited and were waited for (they are gone from /proc). */
  cutime: number;
  cstime: number;
}

function statFields(pid: number): StatFields {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) may contain spaces and parentheses: split after its closing ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After comm, field 3 (state) is index 0: ppid (4) is index 1, utime (14) index 11, stime 12, cutime 13, cstime 14.
  const [ppid, utime, stime, cutime, cstime] = [1, 11, 12, 13, 14].map((i) => Number(fields[i]));
  if (![ppid, utime, stime, cutime, cstime].every((n) => Number.isFinite(n))) throw new Error(`cannot parse /proc/${pid}/stat`);
  return { ppid: ppid!, utime: utime!, stime: stime!, cutime: cutime!, cstime: cstime! };
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/** The direct children of pid: from /proc/PID/task/TID/children (every thread's), else by scanning every process's ppid. */
export function childPids(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch (err) {
    if (isGone(err)) return [];
    throw err;
  }
  const children: number[] = [];
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch (err) {
      if (isGone(err) && tid !== String(pid)) continue; // a thread that just ended
      // Kernels without CONFIG_PROC_CHILDREN have no such file.
      return childPidsByScan(pid);
    }
    for (const word of text.split(' ')) if (word.trim() !== '') children.push(Number(word));
  }
  return children;
}

function childPidsByScan(pid: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (statFields(Number(name)).ppid === pid) children.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** pid and all its descendants, each parent before its children; [] when pid is gone. */
export function processTree(pid: number): number[] {
  if (!processAlive(pid)) return [];
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...childPids(tree[i]!));
  return tree;
}

export function processAlive(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/stat`);
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU seconds used by a whole process tree so far: every live member's own time plus the time of
 * the children it has waited for (cutime/cstime), so a child that ended between two readings is
 * still counted, in its parent. A member that disappears while being read counts as nothing.
 */
export function treeCpuTimes(rootPid: number): CpuTimes {
  const total: CpuTimes = { user: 0, system: 0 };
  for (const pid of processTree(rootPid)) {
    try {
      const f = statFields(pid);
      total.user += (f.utime + f.cutime) / CLOCK_TICKS_PER_SECOND;
      total.system += (f.stime + f.cstime) / CLOCK_TICKS_PER_SECOND;
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }
  return total;
}

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match?.[1]) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}

export function rssMiB(pid: number): number {
  return statusKiB(pid, 'VmRSS') / 1024;
}

/** Sum of VmRSS over pids (gone ones count 0). Pages shared between them count once per process: an upper bound. */
export function sumRssMiB(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += rssMiB(pid);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** Peak resident set size since start or since the last resetPeakRss. */
export function peakRssMiB(pid: number): number {
  return statusKiB(pid, 'VmHWM') / 1024;
}

/** Resets VmHWM to the current RSS (clear_refs "5", Linux >= 4.0); false when not permitted. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds the whole machine has spent busy (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS_PER_SECOND;
}

// The processes of a command `svipc run` runs, followed while it runs, and the POSIX objects
// they were seen holding. svipc is a child subreaper, so a descendant whose parent exits is
// re-parented to svipc, not to init: every process whose chain of parents reaches svipc is the
// command's. Every look (each WATCH_INTERVAL_MS) also reads the fds and maps of the tree's
// processes for files of /dev/shm (shared memory, semaphores) and queues (an mqueue fd's link is
// "/NAME"), kept by identity (device, inode). A process that lived and died between two looks
// is not seen, nor is an object a process opened and closed between two looks: neither is then
// proven the command's.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { identityOf } from '../ipc/posix-common.js';
import { parseMapsFiles } from '../proc/holders.js';

export const WATCH_INTERVAL_MS = 50;

/** Every process's parent, from /proc/PID/stat. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  return map;
}

/**
 * Whether an fd link may be a POSIX object: a /dev/shm file, or a queue (mq_open's descriptor
 * shows "/NAME"; a queue opened as a file, "/dev/mqueue/NAME"). The stat that follows decides.
 */
const posixLink = (link: string) =>
  !link.endsWith(' (deleted)') &&
  (link.startsWith('/dev/shm/') || link.startsWith('/dev/mqueue/') || /^\/[^/]+$/.test(link));

export class ProcessTree {
  readonly pids = new Set<number>();
  /** "DEV:INODE" of every /dev/shm file or queue a process of the tree was seen holding. */
  readonly posixSeen = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  /** followPosix: also note the POSIX objects the tree holds (run --cleanup). */
  constructor(private readonly followPosix = false) {}

  start(): void {
    this.#timer = setInterval(() => this.look(), WATCH_INTERVAL_MS);
  }

  look(): void {
    const ppid = parents();
    for (const pid of ppid.keys()) {
      const chain: number[] = [];
      let p: number | undefined = pid;
      while (p !== undefined && p > 1 && p !== process.pid && !this.pids.has(p) && chain.length < 4096) {
        chain.push(p);
        p = ppid.get(p);
      }
      if (p === process.pid || (p !== undefined && this.pids.has(p))) for (const c of chain) this.pids.add(c);
    }
    if (this.followPosix) for (const pid of this.pids) if (ppid.has(pid)) this.#lookPosix(pid);
  }

  #lookPosix(pid: number): void {
    try {
      for (const f of parseMapsFiles(readFileSync(`/proc/${pid}/maps`, 'utf8')))
        if (f.path.startsWith('/dev/shm/')) this.posixSeen.add(f.id);
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        let link: string;
        try {
          link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue; // closed meanwhile
        }
        const id = posixLink(link) ? identityOf(`/proc/${pid}/fd/${fd}`) : null;
        if (id !== null) this.posixSeen.add(id);
      }
    } catch {
      // gone meanwhile (or not readable: then what it holds is not proven the command's)
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.look();
  }
}

/**
 * Whether a running process is one a state folder started, and whether it is what answers on a port: the stack
 * manager adopts (runs its setup on) and stops only its own services, never a server that merely answers at the
 * same address (another clone's stack, a test's isolated stack, a Docker container). Reads Linux's /proc; where
 * there is none, both answer true and the pid file alone decides, as before.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * True when the process runs in `dir` or below it. The manager starts every service with the state folder as
 * its working directory (MariaDB then moves into its data folder, inside it), so a pid file's pid that another
 * process took over after ours exited does not pass.
 */
export function startedIn(pid: number, dir: string): boolean {
  let cwd: string;
  try {
    cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    // No /proc at all: nothing to check with. A process we may not inspect is not ours.
    return !fs.existsSync('/proc/self');
  }
  let root: string;
  try {
    root = fs.realpathSync(dir);
  } catch {
    return false;
  }
  return cwd === root || cwd.startsWith(`${root}${path.sep}`);
}

/** Inodes of the TCP sockets listening on `port` (IPv4 and IPv6), or null without /proc/net. */
function listeningInodes(port: number): Set<string> | null {
  const inodes = new Set<string>();
  let readable = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    readable = true;
    // Columns: sl local_address rem_address st ... inode; state 0A is LISTEN, the port is hex after the colon.
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue;
      if (Number.parseInt(cols[1].split(':')[1], 16) === port) inodes.add(cols[9]);
    }
  }
  return readable ? inodes : null;
}

/** The process and every other member of its process group (the manager starts each service as a group leader). */
function groupOf(pid: number): number[] {
  const members = [pid];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After "pid (comm) ": state, ppid, pgrp.
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp === pid) members.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return members;
}

/** True when the process (or its process group) holds the socket listening on `port`. */
export function listensOn(pid: number, port: number): boolean {
  const inodes = listeningInodes(port);
  if (inodes === null) return true;
  if (inodes.size === 0) return false;
  for (const member of groupOf(pid)) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${member}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const socket = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${member}/fd/${fd}`));
        if (socket && inodes.has(socket[1])) return true;
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return false;
}

/**
 * The stack manager's ownership checks on real processes and sockets: which process listens on a port (itself or
 * a member of its process group) and which state folder a process was started in.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listensOn, startedIn } from '../../tools/stack/ownership';

const LISTEN =
  "const s = require('net').createServer().listen(0, '127.0.0.1', () => console.log(s.address().port))";

/** A shell (the process group's leader) whose child node process listens on a port the OS picks. */
function listenerGroup(cwd: string): Promise<{ shell: ChildProcess; port: number }> {
  // `; :` keeps the shell alive as the parent rather than letting it exec node.
  const shell = spawn('sh', ['-c', `"${process.execPath}" -e "$LISTEN"; :`], {
    cwd,
    env: { ...process.env, LISTEN },
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    shell.stdout?.once('data', (d) => resolve({ shell, port: Number(String(d).trim()) }));
    shell.once('exit', () => reject(new Error('the listener exited')));
  });
}

describe('stack ownership', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-own-'));
  const started: ChildProcess[] = [];
  afterAll(() => {
    for (const c of started) if (c.pid && c.exitCode === null) process.kill(-c.pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a process listens on the port of its own socket, not on others', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expect(listensOn(process.pid, port)).toBe(true);
      expect(listensOn(process.ppid, port), 'another process').toBe(false);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(listensOn(process.pid, port), 'once closed').toBe(false);
  });

  it("a group leader listens through its child, and the child's port is not this process's", async () => {
    const { shell, port } = await listenerGroup(dir);
    started.push(shell);
    expect(listensOn(shell.pid!, port)).toBe(true);
    expect(listensOn(process.pid, port)).toBe(false);
  });

  it('a process was started in its working directory and the folders above it, not beside them', async () => {
    const state = path.join(dir, 'state');
    fs.mkdirSync(path.join(state, 'mysql'), { recursive: true });
    fs.mkdirSync(`${state}-other`);
    const { shell } = await listenerGroup(path.join(state, 'mysql'));
    started.push(shell);
    expect(startedIn(shell.pid!, state)).toBe(true);
    expect(startedIn(shell.pid!, path.join(state, 'mysql'))).toBe(true);
    expect(startedIn(shell.pid!, `${state}-other`)).toBe(false);
    expect(startedIn(process.pid, state)).toBe(false);
    expect(startedIn(shell.pid!, path.join(dir, 'gone'))).toBe(false);
  });
});

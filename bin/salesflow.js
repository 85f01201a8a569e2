#!/usr/bin/env node
// Entry point for `npx salesflow`: runs the compiled CLI (built by `npm install` via the prepare script).
// salesflow runs on Node 24 LTS, which the project brings as a pinned dev dependency (the `node` package):
// npm scripts and npx put it first on PATH. Started by an older `node` directly (`node bin/salesflow.js` on a
// machine whose own Node is 20), it runs itself again under the project's Node, forwarding signals and the exit code.
const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);
if (major >= REQUIRED_MAJOR) {
  startWorkerWithItsHeap(process.argv.slice(2));
  // kafkajs's timer warning on Node 24 (src/node-warnings.ts) would break the one-line errors on stderr.
  require('../dist/src/node-warnings.js').quietKafkajsTimeoutWarning();
  require('../dist/cli/main.js').main(process.argv.slice(2));
} else {
  const path = require('node:path');
  const fs = require('node:fs');
  const projectNode = path.join(__dirname, '..', 'node_modules', 'node', 'bin', 'node');
  if (!fs.existsSync(projectNode)) {
    console.error(
      `salesflow: needs Node ${REQUIRED_MAJOR} or newer (this is ${process.version}); run 'npm install' in ${path.dirname(__dirname)} to bring it`,
    );
    process.exit(1);
  }
  const { spawn } = require('node:child_process');
  const child = spawn(projectNode, [__filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}

/**
 * `salesflow worker` runs with a young generation of WORKER_SEMI_SPACE_MB (16) per semi-space. Node 24's V8 sizes
 * it from the machine's memory (64 MB semi-spaces here, 134 MB of new space against Node 20's 34), which cost the
 * worker about 100 MB of peak RSS for no measured gain; V8 reads the size only at start, so the process replaces
 * itself (execve: the same PID, for whoever started it) with the flag set, unless the flag was given.
 */
function startWorkerWithItsHeap(args) {
  if (args[0] !== 'worker' || process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) return;
  let mb;
  try {
    mb = require('../dist/src/config.js').loadConfig().workerSemiSpaceMb;
  } catch {
    return; // a bad setting: the worker's own start reports it, naming the variable
  }
  const flags = [`--max-semi-space-size=${mb}`, ...process.execArgv];
  process.execve(process.execPath, [process.execPath, ...flags, __filename, ...args], process.env);
}

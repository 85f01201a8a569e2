/**
 * kafkajs 2.2.4 (its last release) arms a timer with a negative delay when its request queue is not throttled
 * (network/requestQueue scheduleCheckPendingRequests). Node 24 clamps it to 1 ms, as older Nodes did silently,
 * but also prints a TimeoutNegativeWarning on stderr, which breaks the CLI's one-line errors. Node's own printer
 * is the 'warning' listener installed at start-up: it is kept for every other warning. Called once by the
 * process entry point (bin/salesflow.js: every command, the worker included).
 */
export function quietKafkajsTimeoutWarning(): void {
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    for (const print of printers) print(warning);
  });
}

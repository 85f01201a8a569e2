/**
 * What the bench must undo when it is stopped mid-run (Ctrl-C, SIGTERM): its consumer processes, the throw-away
 * pipelines' workflows (a stream left running showed in the Temporal UI beside the real one) and the pipelines
 * themselves (topic, database, keyspace). Each run registers its undo steps as it creates things and withdraws
 * them once its own `finally` has undone them; a signal runs whatever is still registered, newest first (the
 * consumers stop before their pipeline is dropped), then exits 128 + the signal's number. A second signal while
 * cleaning up leaves at once.
 */

type Undo = () => Promise<unknown>;

const pending: Array<{ what: string; undo: Undo }> = [];
/** Workflow starts in flight: a start that lands after its pipeline's terminate would leave a workflow running. */
const starting = new Set<Promise<unknown>>();

let stopping = false;

/**
 * Starts something the undo steps must know of (a workflow): once the bench is stopping it is not started at
 * all, and the undo steps wait for starts in flight, so none lands after its pipeline's terminate.
 */
export function starts<T>(begin: () => Promise<T>): Promise<T> {
  if (stopping) return Promise.reject(new Error('the bench is stopping'));
  const start = begin();
  starting.add(start);
  const done = () => starting.delete(start);
  start.then(done, done);
  return start;
}

/** Registers `undo` (described by `what` in the log); the returned function withdraws it. */
export function onInterrupt(what: string, undo: Undo): () => void {
  const entry = { what, undo };
  pending.push(entry);
  return () => {
    const i = pending.indexOf(entry);
    if (i >= 0) pending.splice(i, 1);
  };
}

/**
 * An undo step that the run itself also takes on its normal path: whichever comes first runs it, the other waits
 * for the same run, and it stays registered until it is done, so a signal during the run's own clean-up waits
 * for it instead of exiting half-way.
 */
export function undoable(what: string, undo: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  const once = () => {
    running ??= undo();
    return running;
  };
  const withdraw = onInterrupt(what, once);
  return () => once().finally(withdraw);
}

/** Runs every registered undo step, newest first; a failing step is reported and the next one still runs. */
export async function undoAll(log: (line: string) => void = (l) => console.error(l)): Promise<void> {
  stopping = true;
  await Promise.allSettled([...starting]);
  while (pending.length) {
    const { what, undo } = pending.pop()!;
    log(`bench: cleaning up ${what}`);
    await undo().catch((e) => log(`bench: cleaning up ${what} failed: ${(e as Error).message}`));
  }
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;

/** While the bench runs: a signal undoes what is registered, then exits. Returns the uninstaller. */
export function cleanUpOnSignals(): () => void {
  let signalled = false;
  const handlers = Object.entries(SIGNAL_NUMBERS).map(([signal, n]) => {
    const handler = () => {
      const code = 128 + n;
      if (signalled) process.exit(code);
      signalled = true;
      console.error(`bench: ${signal}: stopping the runs and removing their pipelines (again to leave now)`);
      void undoAll().finally(() => process.exit(code));
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

import { describe, expect, it } from 'vitest';
import { onInterrupt, starts, undoAll, undoable } from '../../tools/bench/interrupt';

describe("the bench's undo steps", () => {
  it('run newest first, skip withdrawn ones, go on past a failure, wait for starts in flight, then refuse starts', async () => {
    const done: string[] = [];
    onInterrupt('pipeline', async () => done.push('pipeline'));
    const withdraw = onInterrupt('finished run', async () => done.push('finished run'));
    onInterrupt('broken', async () => {
      throw new Error('gone already');
    });
    onInterrupt('consumer', async () => done.push('consumer'));
    withdraw();
    let release!: () => void;
    const inFlight = starts(() => new Promise<void>((r) => (release = r)).then(() => done.push('started')));
    const log: string[] = [];
    const undoing = undoAll((l) => log.push(l));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toEqual([]); // waiting for the start in flight
    release();
    await undoing;
    await inFlight;
    expect(done).toEqual(['started', 'consumer', 'pipeline']);
    expect(log).toContain('bench: cleaning up broken failed: gone already');
    await expect(starts(async () => 'late')).rejects.toThrow('the bench is stopping');
  });

  it("wait for a run's own clean-up in progress instead of running it again or leaving before it ends", async () => {
    let runs = 0;
    let finish!: () => void;
    const cleanup = undoable('pipeline', () => {
      runs += 1;
      return new Promise<void>((r) => (finish = r));
    });
    const ownPath = cleanup(); // the run's finally started it
    let undone = false;
    const undoing = undoAll(() => undefined).then(() => (undone = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(undone).toBe(false); // the signal's clean-up waits for the one in progress
    finish();
    await Promise.all([ownPath, undoing]);
    expect(runs).toBe(1);
    await cleanup(); // done: nothing runs again
    expect(runs).toBe(1);
  });
});

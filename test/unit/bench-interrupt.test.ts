import { describe, expect, it } from 'vitest';
import { onInterrupt, starts, undoAll } from '../../tools/bench/interrupt';

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
});

import { describe, expect, it } from 'vitest';
import { BatchSender } from '../../activities/replay';

const batch = (id: number) => ({
  orders: [{ key: String(id), value: '{}' }],
  bad: [],
  badBytes: 0,
  lastOrderId: id,
});

describe('BatchSender', () => {
  it('sends batches one at a time, in order, each while the next is built', async () => {
    const events: string[] = [];
    let release: Array<() => void> = [];
    const sender = new BatchSender(async (b) => {
      events.push(`send ${b.lastOrderId}`);
      await new Promise<void>((r) => release.push(r));
      events.push(`sent ${b.lastOrderId}`);
    });
    await sender.push(batch(1)); // returns at once: batch 1 is in flight
    events.push('read 2');
    const second = sender.push(batch(2)); // waits for batch 1
    await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual(['send 1', 'read 2']);
    release.shift()!();
    await second;
    release.shift()!();
    await sender.drain();
    expect(events).toEqual(['send 1', 'read 2', 'sent 1', 'send 2', 'sent 2']);
    release = [];
  });

  it('skips empty batches and reports a failed send at the next push or drain, not as an unhandled rejection', async () => {
    const sent: number[] = [];
    const sender = new BatchSender(async (b) => {
      if (b.lastOrderId === 2) throw new Error('broker gone');
      sent.push(b.lastOrderId!);
    });
    await sender.push({ orders: [], bad: [], badBytes: 0, lastOrderId: null });
    await sender.push(batch(1));
    await sender.push(batch(2));
    await new Promise((r) => setTimeout(r, 5)); // the failure happens here, with nobody awaiting it yet
    await expect(sender.push(batch(3))).rejects.toThrow('broker gone');
    expect(sent).toEqual([1]);
  });
});

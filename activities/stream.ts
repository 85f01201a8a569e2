/**
 * The stream's activities: startStream (where a new stream begins), flushUnit (one unit of a window, part by part:
 * read, plan, write raw orders, dead-letter, commit; flush-unit.ts and flush-part.ts) and logEnd (what a stalled
 * stream's lag is measured against). They reach the services through flushIo and Temporal through `context`:
 * Context.current() in a worker, the bench's own in its plain loop.
 */
import type { FlushUnitInput, FlushUnitResult, Offsets, StreamStart } from '../src/contract';
import { windowStartFor } from '../src/core/time';
import { highWatermarks } from '../src/io/kafka';
import { type ActivityContext, temporalContext } from './context';
import type { ActivityDeps } from './deps';
import { flushIo } from './flush-io';
import { type FlushEnv, startOffsets } from './flush-part';
import { flushUnit } from './flush-unit';

export function streamActivities(deps: ActivityDeps, context: () => ActivityContext = temporalContext) {
  const io = flushIo(deps);
  const env = (): FlushEnv => ({ io, ctx: context(), config: deps.config, faults: deps.faults });
  return {
    /** The first window that can hold data for this stream. */
    async startStream(input: {
      streamId: string;
      topic: string;
      windowSeconds: number;
    }): Promise<StreamStart> {
      await io.topics();
      const { offsets, partitions } = await startOffsets(io, input.streamId, input.topic);
      let first: number | null = null;
      for (const [p, o] of Object.entries(offsets)) {
        const r = await io.readRange(input.topic, Number(p), o, { untilTimestampMs: 0, maxRecords: 1 });
        if (r.nextRecordTimestampMs !== undefined)
          first = Math.min(first ?? Infinity, r.nextRecordTimestampMs);
      }
      const from = first ?? Date.now();
      return { firstWindowStartMs: windowStartFor(from, input.windowSeconds), offsets, partitions };
    },

    /** Flushes one unit of a window (flush-unit.ts); returns the unit's stats. */
    flushUnit: (input: FlushUnitInput): Promise<FlushUnitResult> => flushUnit(env(), input),

    /**
     * The log end of every partition (the offset the next record will get). While a window cannot be flushed the
     * workflow measures its lag against this, so a stalled stream never reports "lag 0" with orders waiting.
     */
    async logEnd(input: { topic: string }): Promise<Offsets> {
      return Object.fromEntries(await highWatermarks(deps.kafka, input.topic));
    },
  };
}

// The pure chunk arithmetic of the S3 driver: which chunks a commit reads, and when S3 can join them itself.
import { describe, expect, it } from 'vitest';
import { contiguousEnd, covering, MAX_COPY, MIN_PART, partCopyPlan, type StagedChunk } from './s3-chunks.ts';

const MiB = 1024 * 1024;
const chunk = (offset: number, size: number): StagedChunk => ({ key: `c${offset}`, offset, size });

describe('covering', () => {
  it('takes whole chunks and cuts the last one at size', () => {
    expect(covering('u', [chunk(0, 10), chunk(10, 5), chunk(15, 7)], 18)).toEqual([
      { key: 'c0', size: 10, length: 10 },
      { key: 'c10', size: 5, length: 5 },
      { key: 'c15', size: 7, length: 3 },
    ]);
  });

  it('skips empty chunks and stops at a gap', () => {
    expect(covering('u', [chunk(0, 4), chunk(4, 0), chunk(4, 4)], 8).map((p) => p.key)).toEqual(['c0', 'c4']);
    expect(() => covering('u', [chunk(0, 4), chunk(6, 4)], 8)).toThrow(expect.objectContaining({ name: 'InvalidOffsetError', staged: 4 }));
  });

  it('needs no chunk for size 0 and refuses a size past the staged bytes', () => {
    expect(covering('u', [], 0)).toEqual([]);
    expect(() => covering('u', [chunk(0, 4)], 5)).toThrow(expect.objectContaining({ name: 'InvalidOffsetError', requested: 5 }));
  });
});

describe('contiguousEnd', () => {
  it('is where the run from 0 ends', () => {
    expect(contiguousEnd([])).toBe(0);
    expect(contiguousEnd([chunk(0, 3), chunk(3, 2)])).toBe(5);
    expect(contiguousEnd([chunk(0, 3), chunk(4, 2)])).toBe(3);
  });
});

describe('partCopyPlan', () => {
  it('copies each chunk as one part when every non-final chunk is at least 5 MiB', () => {
    const plan = partCopyPlan([
      { key: 'a', size: 8 * MiB, length: 8 * MiB },
      { key: 'b', size: MIN_PART, length: MIN_PART },
      { key: 'c', size: 10, length: 3 },
    ]);
    expect(plan).toEqual([
      { key: 'a', start: 0, end: 8 * MiB - 1 },
      { key: 'b', start: 0, end: MIN_PART - 1 },
      { key: 'c', start: 0, end: 2 },
    ]);
  });

  it('refuses when a non-final chunk is under 5 MiB', () => {
    expect(partCopyPlan([{ key: 'a', size: MIN_PART - 1, length: MIN_PART - 1 }, { key: 'b', size: 8 * MiB, length: 8 * MiB }])).toBeUndefined();
  });

  it('splits a chunk over 5 GiB into equal ranges that stay above the 5 MiB floor', () => {
    const length = MAX_COPY + 1;
    const plan = partCopyPlan([{ key: 'big', size: length, length }, { key: 'tail', size: 1, length: 1 }]) ?? [];
    expect(plan.map((p) => p.end - p.start + 1)).toEqual([Math.ceil(length / 2), Math.floor(length / 2), 1]);
    expect(plan[1]?.end).toBe(length - 1);
  });

  it('refuses more than 10,000 parts', () => {
    const pieces = Array.from({ length: 10_001 }, (_, i) => ({ key: `p${i}`, size: MIN_PART, length: MIN_PART }));
    expect(partCopyPlan(pieces)).toBeUndefined();
  });
});

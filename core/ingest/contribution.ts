/**
 * Folds the upload facts of one log object into per-key states and the UTC
 * hours each key was active in: what the store merges for that object.
 */
import { createHash } from 'node:crypto';
import type { UploadFact } from '../model/facts.ts';
import { keyId, StateIndex } from '../model/state.ts';
import type { LogObjectRef, ObjectContribution } from '../ports.ts';

const HOUR = 3_600_000;

export class ContributionBuilder {
  readonly index = new StateIndex();
  readonly hours = new Map<string, Set<number>>();
  /** Newest record time seen, for the ingest lag metric. */
  newest: number | null = null;
  /** Facts folded in so far. */
  facts = 0;

  add(f: UploadFact): void {
    this.facts++;
    this.index.add(f);
    const id = keyId(f.bucket, f.key);
    let h = this.hours.get(id);
    if (h === undefined) {
      h = new Set();
      this.hours.set(id, h);
    }
    h.add(Math.floor(f.time / HOUR));
    if (this.newest === null || f.time > this.newest) this.newest = f.time;
  }

  /** Folds another builder's facts in (the merge is the same algebra). */
  absorb(other: ContributionBuilder): void {
    this.facts += other.facts;
    for (const state of other.index.keys.values()) this.index.merge(state);
    for (const [id, hours] of other.hours) {
      let h = this.hours.get(id);
      if (h === undefined) {
        h = new Set();
        this.hours.set(id, h);
      }
      for (const x of hours) h.add(x);
    }
    if (
      other.newest !== null &&
      (this.newest === null || other.newest > this.newest)
    ) {
      this.newest = other.newest;
    }
  }

  build(source: LogObjectRef): ObjectContribution {
    return {
      source,
      sourceId: sourceId(source),
      states: [...this.index.keys.values()],
      hours: this.hours,
    };
  }
}

/** A short, stable id of a log object: 16 URL-safe characters. */
export function sourceId(ref: LogObjectRef): string {
  return createHash('sha256')
    .update(`${ref.bucket}\u0000${ref.key}`)
    .digest('base64url')
    .slice(0, 16);
}

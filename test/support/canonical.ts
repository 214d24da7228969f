/** A canonical text of key states, to compare them regardless of Set/Map order. */
import type { KeyState, StateIndex } from '../../core/model/state.ts';

export function canonicalState(s: KeyState): string {
  const uploads = [...s.uploads.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, u]) => ({
      id,
      ...u,
      partsOk: [...u.partsOk].sort((a, b) => a - b),
      partsFailed: [...u.partsFailed].sort((a, b) => a - b),
      errorCodes: [...u.errorCodes].sort(),
    }));
  const puts = [...s.puts.values()]
    .sort((a, b) => a.time - b.time)
    .map((p) => ({ ...p, errorCodes: [...p.errorCodes].sort() }));
  return JSON.stringify({
    bucket: s.bucket,
    key: s.key,
    uploads,
    creates: s.creates,
    lifecycleAborts: s.lifecycleAborts,
    puts,
  });
}

export function canonicalIndex(index: StateIndex): string {
  return [...index.keys.values()].map(canonicalState).sort().join('\n');
}

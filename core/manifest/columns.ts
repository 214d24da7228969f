/**
 * The columns of a manifest (CSV header or NDJSON field names), matched
 * without regard to case or punctuation: `end_time`, `endTime` and
 * `End Time` are one column.
 */

/** A column name reduced to lower-case letters and digits. */
export function normalizeColumn(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** What a column means to the manifest reader. */
export const ManifestField = {
  KEY: 'key',
  CALL_ID: 'callId',
  BUCKET: 'bucket',
  END_TIME: 'endTime',
  SIZE: 'size',
} as const;
export type ManifestField = (typeof ManifestField)[keyof typeof ManifestField];

/** Accepted names of each field, normalised. */
const ALIASES: Record<ManifestField, readonly string[]> = {
  key: ['key', 'objectkey', 's3key', 'uri', 's3uri'],
  callId: ['callid', 'call'],
  bucket: ['bucket'],
  endTime: ['endtime', 'endedat', 'end', 'recordingend'],
  size: ['size', 'bytes', 'sizebytes', 'objectsize'],
};

const FIELD_OF = new Map<string, ManifestField>();
for (const [field, names] of Object.entries(ALIASES) as [
  ManifestField,
  readonly string[],
][])
  for (const n of names) FIELD_OF.set(n, field);

/** The field a (normalised) column name stands for, if any. */
export function fieldOf(normalized: string): ManifestField | undefined {
  return FIELD_OF.get(normalized);
}

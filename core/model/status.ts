/** Status of an upload or a recording key (docs/status-rules.md). */
export const UploadStatus = {
  COMPLETED: 'COMPLETED',
  RECOVERED: 'RECOVERED',
  ABORTED: 'ABORTED',
  FAILED: 'FAILED',
  INCOMPLETE: 'INCOMPLETE',
  IN_PROGRESS: 'IN_PROGRESS',
} as const;

export type UploadStatus = (typeof UploadStatus)[keyof typeof UploadStatus];

export const ALL_STATUSES: readonly UploadStatus[] =
  Object.values(UploadStatus);

/** The statuses the digest raises as alarms. */
export const ATTENTION_STATUSES: readonly UploadStatus[] = [
  UploadStatus.FAILED,
  UploadStatus.ABORTED,
  UploadStatus.INCOMPLETE,
];

export function needsAttention(status: UploadStatus): boolean {
  return ATTENTION_STATUSES.includes(status);
}

export function isUploadStatus(value: string): value is UploadStatus {
  return (ALL_STATUSES as readonly string[]).includes(value);
}

/** Default stall window: an open upload idle this long is INCOMPLETE. */
export const DEFAULT_STALL_WINDOW_MS = 6 * 60 * 60 * 1000;

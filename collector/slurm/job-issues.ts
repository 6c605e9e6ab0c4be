import type { RecordIssue } from '../jobs/types.js';

/** Where a record came from, so every issue names source, line and job. */
export interface RecordPlace {
  source: string;
  line: number | null;
}

export function createIssueList(place: RecordPlace) {
  const issues: RecordIssue[] = [];
  let jobId: string | null = null;
  return {
    issues,
    setJobId(id: string | null) {
      jobId = id;
    },
    add(field: string | null, message: string) {
      issues.push({ source: place.source, line: place.line, field, jobId, message });
    },
  };
}

export type IssueList = ReturnType<typeof createIssueList>;

// GraphQL selections shared by pages, so a run reads the same everywhere.
export const RUN_FIELDS = `
  id name status statusReason startedAt endedAt durationMs
  actionCount spanCount costUsd costComplete unpricedActions successRate turns models
  agent { id name }
  tokens { input cached output reasoning total }
  error { type message remediation rawType rawMessage }
`;

export const EVENT_FIELDS = `
  id spanId parentId sequence kind name status outcome startedAt endedAt durationMs costUsd
  redactions redactedKinds binary
  error { type message remediation rawType rawMessage }
  ... on LlmCall { model provider response tokens { input output total } }
  ... on ToolExecution { toolName callId }
`;

/** RunFilter / export parameters of the Runs page URL (see runs_filters.js). */
export const WINDOWS = { "24h": "LAST_24H", "7d": "LAST_7D", "30d": "LAST_30D", all: "ALL" };
export const STATUSES = ["RUNNING", "COMPLETED", "FAILED", "TERMINATED"];

"""The run model: a run's stored spans and log records turned into its events in order, in one
place for every read path (GraphQL queries and subscriptions, the export, the analysis).

- `view`: `RunView`, built from a stored timeline (`view_of`): events in start order with
  their sequences, GenAI log events merged, tool calls linked, output chunks by span, the
  counted LLM calls and each call's previous one (for context `isNew`);
- `live`: `LiveRun`, the same view kept up to date from incremental changes;
- `events`: status, outcome, filters and ids of events; `context`: what an LLM call saw;
  `output`: terminal output and streamed model text.
"""

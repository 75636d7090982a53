"""The pipeline engine: pipeline files (ours and DVC's), the stage graph, stage fingerprints and
status, and outs kept in the content-addressed store. No Qt, no SQL: the pipeline service
records runs in the catalog and launches stages through the job service."""

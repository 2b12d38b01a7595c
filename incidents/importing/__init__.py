"""The import pipeline: parse, validate, stage and upsert partner files, all or nothing."""

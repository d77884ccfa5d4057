-- How far each import got (crates/core/src/import.rs). Each batch of an import writes its row
-- in the batch's own transaction, so that running the import again after an interruption
-- starts after the last committed batch and creates nothing twice.
CREATE TABLE import_runs (
    run         TEXT PRIMARY KEY NOT NULL,
    records     BIGINT NOT NULL,
    created     BIGINT NOT NULL,
    updated     BIGINT NOT NULL,
    skipped     BIGINT NOT NULL,
    rejected    BIGINT NOT NULL,
    finished_at TIMESTAMP,
    updated_at  TIMESTAMP NOT NULL
);

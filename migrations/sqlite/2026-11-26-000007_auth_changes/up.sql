-- Nothing to create: on SQLite the store's watcher (crates/store/src/watch.rs) sees every commit
-- made by another connection through `PRAGMA data_version`. Kept so that both backends have the
-- same migrations.
SELECT 1;

-- 0007: what each ingest item read, so unchanged input need not be validated and written again.
-- content_hash fingerprints the item's input: the publisher's file bytes, the catalogue entry
-- and column it is read with, the release calendar that dates it, and the ingest code itself.
-- NULL for items recorded before this migration (never reused).
ALTER TABLE ingest_run_items ADD COLUMN content_hash VARCHAR;

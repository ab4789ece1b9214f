-- How inference holds a version (contextSize, parallelSlots, gpuLayers; absent: inference's defaults).
ALTER TABLE model_versions ADD COLUMN IF NOT EXISTS serving jsonb NOT NULL DEFAULT '{}';

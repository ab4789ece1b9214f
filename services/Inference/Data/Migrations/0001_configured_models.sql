-- Models loaded through gRPC LoadModel, so a restart loads them again.
CREATE TABLE IF NOT EXISTS configured_models (
    id              text PRIMARY KEY,
    path            text NOT NULL,
    sha256          text NOT NULL,
    gpu_layers      int NOT NULL,
    context_size    int NOT NULL,
    parallel_slots  int NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

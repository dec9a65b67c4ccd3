-- +goose Up
-- Webhook signing secrets are stored only sealed with ONBOARDIQ_SECRET_KEY
-- (envelope encryption, internal/secret), bound to their tenant and endpoint.
-- Migrations run without the key, so the secrets already stored stay in
-- `secret` until `onboardiq serve` starts (it seals them) or `onboardiq
-- secrets rotate` runs; either writes secret_sealed and clears `secret`. A
-- row holds one or the other, never both.
ALTER TABLE webhook_endpoints
    ADD COLUMN secret_sealed bytea,
    ALTER COLUMN secret DROP NOT NULL,
    ADD CONSTRAINT webhook_endpoints_one_secret CHECK ((secret IS NULL) <> (secret_sealed IS NULL));

-- +goose Down
-- Sealed secrets cannot be turned back into plaintext here (migrations run
-- without the key), so this fails while any endpoint has a sealed secret.
ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_one_secret;
ALTER TABLE webhook_endpoints ALTER COLUMN secret SET NOT NULL, DROP COLUMN secret_sealed;

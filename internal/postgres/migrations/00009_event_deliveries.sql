-- +goose Up
-- Webhook deliveries are made by the event fan-out (docs/decisions/0008-events.md):
-- each names the event it publishes, and an event is delivered to an endpoint
-- at most once per webhook type, however often the fan-out runs.
ALTER TABLE deliveries ADD COLUMN event_id bigint;
CREATE UNIQUE INDEX deliveries_event_idx ON deliveries (tenant_id, event_id, endpoint_id, event_type) WHERE event_id IS NOT NULL;

-- +goose Down
ALTER TABLE deliveries DROP COLUMN event_id;

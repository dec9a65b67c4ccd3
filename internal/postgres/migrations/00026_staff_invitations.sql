-- +goose Up
-- The setup checklist (postgres.LoadSetupChecklist) shows on an admin's
-- dashboard until every step is done or an admin hides it: when, here.
-- Staff invitations need no column: an invited member of staff is one
-- without a password, and their link is a password link
-- (login_tokens, purpose password_reset) that lasts 7 days.
ALTER TABLE tenants ADD COLUMN setup_dismissed_at timestamptz;

-- +goose Down
ALTER TABLE tenants DROP COLUMN setup_dismissed_at;

-- +goose Up
-- A customer has a segment (how the vendor classifies it: Enterprise,
-- Mid-market, …) and can be archived: an archived customer leaves the
-- default customers list and takes no new project; its open projects go
-- on as they were. Its contact details (email, phone, address, website)
-- stay in contact_info, under keys the store validates.
ALTER TABLE customers
    ADD COLUMN segment text NOT NULL DEFAULT '' CHECK (char_length(segment) <= 100),
    ADD COLUMN archived_at timestamptz;

-- A contact's invitation is a sign-in link of its own purpose: it lasts
-- longer than one asked for on the sign-in page, and says who invited them.
-- One constraint per statement: Citus refuses ADD CONSTRAINT beside other
-- subcommands.
ALTER TABLE login_tokens DROP CONSTRAINT login_tokens_purpose_check;
ALTER TABLE login_tokens ADD CONSTRAINT login_tokens_purpose_check
    CHECK (purpose IN ('magic_link', 'password_reset', 'invitation'));

-- +goose Down
-- Fails while an invitation link is stored: they expire within 7 days.
ALTER TABLE login_tokens DROP CONSTRAINT login_tokens_purpose_check;
ALTER TABLE login_tokens ADD CONSTRAINT login_tokens_purpose_check
    CHECK (purpose IN ('magic_link', 'password_reset'));
ALTER TABLE customers DROP COLUMN archived_at, DROP COLUMN segment;

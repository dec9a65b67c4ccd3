-- +goose Up
-- Operators: the people who run an OnboardIQ installation and provision,
-- suspend and delete its tenants through /api/v1/admin with an operator
-- token (oiqop_…). Operator tokens belong to no tenant.
--
-- operator_tokens is owned by the schema owner and granted to nobody (the
-- app role's grants skip it, see setUpAppRole): the app can neither read
-- the hashes nor mint, list or revoke tokens, so SQL injection as the app
-- role cannot make itself an operator. Tokens are made, listed and revoked
-- by `onboardiq operator token …`, which connects as the owner like
-- migrate. The app checks a token only through operator_token_use, which
-- takes a token's SHA-256 and answers its id and name (and records the
-- use): knowing the hash means knowing the token.
CREATE TABLE operator_tokens (
    token_id     uuid        NOT NULL DEFAULT gen_random_uuid(),
    name         text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    token_hash   bytea       NOT NULL CHECK (octet_length(token_hash) = 32),
    hint         text        NOT NULL CHECK (char_length(hint) = 4),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (token_id),
    UNIQUE (token_hash)
);

CREATE FUNCTION operator_token_use(p_hash bytea) RETURNS TABLE (token_id uuid, name text)
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
WITH tok AS (
    SELECT o.token_id, o.name, o.last_used_at FROM public.operator_tokens o
    WHERE o.token_hash = p_hash AND o.revoked_at IS NULL
), touch AS (
    UPDATE public.operator_tokens o SET last_used_at = now() FROM tok
    WHERE o.token_id = tok.token_id AND (tok.last_used_at IS NULL OR tok.last_used_at < now() - interval '1 minute')
)
SELECT tok.token_id, tok.name FROM tok
$$;
REVOKE ALL ON FUNCTION operator_token_use(bytea) FROM PUBLIC;

-- A tenant's plan (stored, not enforced here: quotas are another part),
-- whether it is suspended (its users cannot sign in, its tokens and
-- sessions are refused) and when it is deleted (delete_after, set when an
-- operator schedules the deletion; the hourly deletion job deletes it once
-- that has passed). provision_key is the SHA-256 of the organisation's
-- name and admin email a provisioning request gave, so that the same
-- request twice answers the tenant the first made.
ALTER TABLE tenants
    ADD COLUMN subscription_tier text CHECK (subscription_tier IN ('starter', 'professional', 'business', 'enterprise')),
    ADD COLUMN suspended_at      timestamptz,
    ADD COLUMN suspended_reason  text CHECK (char_length(suspended_reason) <= 500),
    ADD COLUMN delete_after      timestamptz,
    ADD COLUMN provisioned_at    timestamptz,
    ADD COLUMN provision_key     bytea CHECK (octet_length(provision_key) = 32);

-- The third reviewed path across tenants: the tenants whose deletion is
-- due, for the hourly deletion job. Ids only; each is deleted inside its
-- own tenant.
CREATE FUNCTION tenant_ids_due_for_deletion(p_now timestamptz) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM public.tenants WHERE delete_after <= p_now ORDER BY delete_after, tenant_id $$;
REVOKE ALL ON FUNCTION tenant_ids_due_for_deletion(timestamptz) FROM PUBLIC;

-- +goose Down
DROP FUNCTION tenant_ids_due_for_deletion(timestamptz);
ALTER TABLE tenants
    DROP COLUMN provision_key,
    DROP COLUMN provisioned_at,
    DROP COLUMN delete_after,
    DROP COLUMN suspended_reason,
    DROP COLUMN suspended_at,
    DROP COLUMN subscription_tier;
DROP FUNCTION operator_token_use(bytea);
DROP TABLE operator_tokens;

-- Every statement about API tokens. Both services and the `jobdeck` command run them through
-- TokenStore (store.py), the only code that touches the api_tokens table.

-- name: token_insert
-- Store a new token's digest $3 under name $1 with role $2, expiring at $4 (or never).
INSERT INTO api_tokens (name, role, token_digest, expires_at)
VALUES ($1, $2, $3, $4)
RETURNING id, name, role, created_at, expires_at, last_used_at;

-- name: token_use
-- The token whose digest is $1, noting that it was used: at most once per $2 seconds, so a
-- busy token costs one write a minute, not one per request.
WITH touched AS (
    UPDATE api_tokens
    SET last_used_at = now()
    WHERE token_digest = $1
      AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))
)
SELECT id, name, role, expires_at
FROM api_tokens
WHERE token_digest = $1;

-- name: token_list
-- Every token, oldest first, without its digest.
SELECT id, name, role, created_at, expires_at, last_used_at
FROM api_tokens
ORDER BY created_at, name;

-- name: token_delete_by_id
-- Revoke the token with id $1.
DELETE FROM api_tokens WHERE id = $1 RETURNING id;

-- name: token_delete_by_name
-- Revoke the token named $1.
DELETE FROM api_tokens WHERE name = $1 RETURNING id;

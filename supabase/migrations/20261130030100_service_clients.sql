/**
 * CryoProtect: service clients, their tokens' revocation state (issue 9, items 1, 2, 4, SQL side)
 * ---------------------------------------------------------------------------------------------------------
 * Background jobs and integrations authenticate as a *service client* of a team (OAuth 2.0 client
 * credentials) and act as the role cryo_service with a token's scopes, never with the service-role key.
 * The database keeps the clients (never the secret, only its keyed hash), the lockout state, and what
 * revokes a token; the edge functions sign and verify tokens.
 *
 * Secrets and hashes: a client secret is 256 random bits made by the edge function, shown once. The edge
 * function stores and presents HMAC-SHA256(pepper, secret) as 64 hex characters; the pepper is a function
 * secret the database never sees. A keyed hash is enough because the secret cannot be guessed (no
 * dictionary to slow down), and a memory-hard KDF would only burn the functions' 2 s CPU budget on every
 * token request; the pepper makes a stolen table useless for getting a token over HTTP. (The hash is what
 * the SQL functions compare: someone with the hash and SQL access as anon could pass authentication here,
 * but a token needs the signing key, which only the edge function has.)
 *
 * Interface (all definers, search_path pg_catalog, pg_temp, names schema-qualified):
 *   valid_scopes()                                        anon, authenticated, cryo_service
 *   create/list/disable/rotate/delete service clients     authenticated (team owners), postgres (any team)
 *   authenticate_service_client(), revoke_service_token() anon (the token endpoint)
 *   assert_service_token_live()                           cryo_service (folded into each request)
 * docs/tokens-and-audit-sql.md describes the whole; 30-service-clients.sql proves it.
 */

create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_cron;

/** --- Vocabulary of the interface --- */
/*
 * Domains over text (no constraint: a malformed id or hash must get the same silent "no" as a wrong one,
 * never an error telling them apart). They name what a parameter means; callers pass text, which
 * Postgres coerces implicitly, and drivers describe them as text.
 */
create domain private.service_client_id as pg_catalog.text;
comment on domain private.service_client_id is 'A service client id (cpc_ + 24 base32 characters), as presented by a caller.';
create domain private.client_secret_hash as pg_catalog.text;
comment on domain private.client_secret_hash is 'Hex HMAC-SHA256 of a client secret with the functions'' pepper (64 hex characters).';
create domain private.service_client_name as pg_catalog.text;
comment on domain private.service_client_name is 'A service client''s display name (1 to 200 characters, not blank).';
create domain private.token_id as pg_catalog.text;
comment on domain private.token_id is 'A token''s jti claim.';

/** --- Client ids --- */

/**
 * private.new_service_client_id() returns text
 * 'cpc_' + 24 lowercase base32 characters (RFC 4648 alphabet) from 24 random bytes (5 bits of each, so
 * 120 random bits; 256 is a multiple of 32, so every character is uniform).
 */
create or replace function private.new_service_client_id()
returns pg_catalog.text
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
  select 'cpc_' || pg_catalog.string_agg(pg_catalog.substr('abcdefghijklmnopqrstuvwxyz234567', pg_catalog.get_byte(r.b, i) % 32 + 1, 1), '' order by i)
  from (select extensions.gen_random_bytes(24) as b) r, pg_catalog.generate_series(0, 23) i
$$;
comment on function private.new_service_client_id() is 'A new service client id: cpc_ + 24 random base32 characters.';
revoke execute on function private.new_service_client_id() from public;

/** --- Clients --- */

/**
 * A team's service client. tokens_valid_after is the first epoch second a token of this client may carry
 * as `iat`: rotating the secret or disabling sets it to the NEXT whole second after the change, so every
 * token issued before it, even in the same second, is refused; new clients start at the whole second of
 * creation. failed_attempts / locked_until are the lockout state (see authenticate_service_client).
 * Never readable by the API roles: only the definers below touch it.
 */
create table private.service_clients (
  client_id pg_catalog.text primary key default private.new_service_client_id() check (client_id ~ '^cpc_[a-z2-7]{24}$'),
  team_id pg_catalog.uuid not null references public.teams (id) on delete cascade,
  name pg_catalog.text not null check (pg_catalog.btrim(name) <> '' and pg_catalog.char_length(name) <= 200),
  allowed_scopes pg_catalog.text[] not null check (pg_catalog.cardinality(allowed_scopes) > 0),
  -- hex HMAC-SHA256(pepper, secret), computed by the edge function; see the header for why not a KDF.
  secret_hash pg_catalog.text not null check (secret_hash ~ '^[0-9a-f]{64}$'),
  enabled pg_catalog.bool not null default true,
  created_at pg_catalog.timestamptz not null default pg_catalog.now(),
  secret_rotated_at pg_catalog.timestamptz,
  last_used_at pg_catalog.timestamptz,
  tokens_valid_after pg_catalog.timestamptz not null default pg_catalog.date_trunc('second', pg_catalog.now()),
  failed_attempts pg_catalog.int4 not null default 0 check (failed_attempts >= 0),
  locked_until pg_catalog.timestamptz
);
comment on table private.service_clients is
  'Service clients of teams (OAuth client credentials): keyed secret hash, scopes, lockout and token validity state.';
create index service_clients_team_id_idx on private.service_clients (team_id, created_at);
alter table private.service_clients enable row level security;
revoke all on private.service_clients from public, anon, authenticated, cryo_service, service_role;

/**
 * Revoked tokens (RFC 7009), until they would have expired anyway (pg_cron purges them daily). The key is
 * (jti, client_id): a client can only ever add rows for its own client id, and the liveness check reads the
 * pair, so one client cannot revoke (or, by inserting first, shield) another client's token.
 */
create table private.revoked_tokens (
  jti pg_catalog.text not null,
  client_id pg_catalog.text not null references private.service_clients (client_id) on delete cascade,
  expires_at pg_catalog.timestamptz not null,
  revoked_at pg_catalog.timestamptz not null default pg_catalog.now(),
  primary key (jti, client_id)
);
comment on table private.revoked_tokens is 'Revoked service tokens by (jti, client) until their expiry; purged daily.';
create index revoked_tokens_client_id_idx on private.revoked_tokens (client_id);
create index revoked_tokens_expires_at_idx on private.revoked_tokens (expires_at);
alter table private.revoked_tokens enable row level security;
revoke all on private.revoked_tokens from public, anon, authenticated, cryo_service, service_role;

select cron.schedule('purge-revoked-tokens', '37 3 * * *', $$delete from private.revoked_tokens where expires_at < now()$$);

/** --- Scopes --- */

/**
 * private.valid_scopes() returns text[]
 * Every scope a client may hold, sorted: <resource>:read and <resource>:write for each resource of
 * private.access_registry, plus toxicity:read, toxicity:import, audit:read, metrics:read.
 */
create or replace function private.valid_scopes()
returns pg_catalog.text[]
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.array_agg(s order by s) from (
    select r.resource || ':' || a.action as s
    from private.access_registry r, (values ('read'), ('write')) a(action)
    union
    select x from pg_catalog.unnest(array['toxicity:read', 'toxicity:import', 'audit:read', 'metrics:read']) x
  ) v
$$;
comment on function private.valid_scopes() is 'Every valid service scope: <resource>:read|write of the access registry plus toxicity/audit/metrics scopes.';
revoke execute on function private.valid_scopes() from public, anon, authenticated, cryo_service;
grant execute on function private.valid_scopes() to anon, authenticated, cryo_service;

/**
 * private.check_scopes(p_scopes text[]) returns text[]
 * The scopes, trimmed, deduplicated and sorted; 22023 naming the first scope that is not in valid_scopes(),
 * or when the list is null or empty.
 */
create or replace function private.check_scopes(p_scopes pg_catalog.text[])
returns pg_catalog.text[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  valid pg_catalog.text[] := private.valid_scopes();
  bad pg_catalog.text;
  result pg_catalog.text[];
begin
  select pg_catalog.array_agg(distinct pg_catalog.btrim(s) order by pg_catalog.btrim(s)) into result
  from pg_catalog.unnest(p_scopes) s where pg_catalog.btrim(coalesce(s, '')) <> '';
  if result is null then
    raise exception 'at least one scope is required' using errcode = '22023';
  end if;
  select s into bad from pg_catalog.unnest(result) s where not (s = any (valid)) limit 1;
  if bad is not null then
    raise exception 'unknown scope "%"', pg_catalog.left(bad, 100) using errcode = '22023',
      hint = 'valid scopes: ' || pg_catalog.array_to_string(valid, ' ');
  end if;
  return result;
end
$$;
comment on function private.check_scopes(pg_catalog.text[]) is 'Normalised scopes; 22023 naming an unknown scope, or for none.';
revoke execute on function private.check_scopes(pg_catalog.text[]) from public;

/**
 * private.check_secret_hash(p_hash text) returns text
 * The hash lower-cased; 22023 unless it is 64 hex characters (hex HMAC-SHA256).
 */
create or replace function private.check_secret_hash(p_hash pg_catalog.text)
returns pg_catalog.text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_hash is null or p_hash !~ '^[0-9a-fA-F]{64}$' then
    raise exception 'secret hash must be 64 hex characters (HMAC-SHA256)' using errcode = '22023';
  end if;
  return pg_catalog.lower(p_hash);
end
$$;
comment on function private.check_secret_hash(pg_catalog.text) is 'Lower-cased secret hash; 22023 unless 64 hex characters.';
revoke execute on function private.check_secret_hash(pg_catalog.text) from public;

/** --- Management (team owners; the project owner for the CLI) --- */

/**
 * private.can_manage_team(p_team_id uuid) returns boolean
 * Whether the caller may manage the team's service clients: a signed-in owner of the team (role
 * authenticated), or a project role (postgres: the CLI). Never true for anon or cryo_service.
 */
create or replace function private.can_manage_team(p_team_id pg_catalog.uuid)
returns pg_catalog.bool
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select p_team_id is not null and (
    private.is_project_role(audit.caller_role())
    or (audit.caller_role() = 'authenticated' and p_team_id = any (private.my_owned_team_ids())))
$$;
comment on function private.can_manage_team(pg_catalog.uuid) is 'Whether the caller owns the team (or is a project role) for client management.';
revoke execute on function private.can_manage_team(pg_catalog.uuid) from public;

/**
 * private.create_service_client(p_team_id uuid, p_name text, p_scopes text[], p_secret_hash text)
 *   returns table (client_id text, team_id uuid, name text, allowed_scopes text[], created_at timestamptz)
 * Creates a client of a team the caller owns, with a new id. Errors: P0002 'no such team' for a team that
 * does not exist AND for one the caller does not own (the same answer); 22023 blank or over-long name,
 * unknown scope (named), no scope, malformed hash.
 */
create or replace function private.create_service_client(p_team_id pg_catalog.uuid, p_name private.service_client_name,
  p_scopes pg_catalog.text[], p_secret_hash private.client_secret_hash)
returns table (client_id pg_catalog.text, team_id pg_catalog.uuid, name pg_catalog.text, allowed_scopes pg_catalog.text[],
               created_at pg_catalog.timestamptz)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  c private.service_clients;
begin
  if not private.can_manage_team(p_team_id) or not exists (select from public.teams t where t.id = p_team_id) then
    raise exception 'no such team' using errcode = 'P0002';
  end if;
  if p_name is null or pg_catalog.btrim(p_name) = '' or pg_catalog.char_length(p_name) > 200 then
    raise exception 'name must be 1 to 200 characters, not blank' using errcode = '22023';
  end if;
  insert into private.service_clients (team_id, name, allowed_scopes, secret_hash)
  values (p_team_id, pg_catalog.btrim(p_name), private.check_scopes(p_scopes), private.check_secret_hash(p_secret_hash))
  returning * into c;
  perform audit.log_event('client_changed', c.client_id, c.team_id, null, c.allowed_scopes,
    pg_catalog.jsonb_build_object('operation', 'create', 'name', c.name));
  return query select c.client_id, c.team_id, c.name, c.allowed_scopes, c.created_at;
end
$$;
comment on function private.create_service_client(pg_catalog.uuid, private.service_client_name, pg_catalog.text[], private.client_secret_hash) is
  'Creates a service client of a team the caller owns (P0002 otherwise, as for a missing team); 22023 bad name/scope/hash.';

/**
 * private.list_service_clients(p_team_id uuid) returns table (client_id, name, allowed_scopes, enabled,
 *   created_at, secret_rotated_at, last_used_at)
 * The clients of a team the caller owns, oldest first; never the hash. No rows for any other team.
 */
create or replace function private.list_service_clients(p_team_id pg_catalog.uuid)
returns table (client_id pg_catalog.text, name pg_catalog.text, allowed_scopes pg_catalog.text[], enabled pg_catalog.bool,
               created_at pg_catalog.timestamptz, secret_rotated_at pg_catalog.timestamptz, last_used_at pg_catalog.timestamptz)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select c.client_id, c.name, c.allowed_scopes, c.enabled, c.created_at, c.secret_rotated_at, c.last_used_at
  from private.service_clients c
  where c.team_id = p_team_id and (select private.can_manage_team(p_team_id))
  order by c.created_at, c.client_id
$$;
comment on function private.list_service_clients(pg_catalog.uuid) is 'Clients of a team the caller owns (never the hash); no rows otherwise.';

/**
 * private.managed_client(p_client_id text) returns private.service_clients
 * The client row, locked, when the caller may manage its team; P0002 'no such service client' otherwise
 * (missing and not-yours alike).
 */
create or replace function private.managed_client(p_client_id pg_catalog.text)
returns private.service_clients
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  c private.service_clients;
begin
  select * into c from private.service_clients s where s.client_id = p_client_id for update;
  if c.client_id is null or not private.can_manage_team(c.team_id) then
    raise exception 'no such service client' using errcode = 'P0002';
  end if;
  return c;
end
$$;
comment on function private.managed_client(pg_catalog.text) is 'Internal: the locked client row if the caller manages it, else P0002.';
revoke execute on function private.managed_client(pg_catalog.text) from public;

/**
 * private.next_second() returns timestamptz
 * The next whole second after the current clock (not the transaction start): what tokens_valid_after
 * becomes when a secret rotates or a client is disabled. A token's iat is a whole second; one issued
 * earlier in the same second as the change has iat < this value and is refused.
 */
create or replace function private.next_second()
returns pg_catalog.timestamptz
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$ select pg_catalog.date_trunc('second', pg_catalog.clock_timestamp()) + '1 second'::pg_catalog.interval $$;
comment on function private.next_second() is 'The next whole second after clock_timestamp(): new tokens_valid_after on rotation/disable.';
revoke execute on function private.next_second() from public;

/**
 * private.disable_service_client(p_client_id text) returns void
 * Disables the client and revokes every token it holds (tokens_valid_after = next second). P0002 for a
 * client that does not exist or whose team the caller does not own.
 */
create or replace function private.disable_service_client(p_client_id private.service_client_id)
returns void
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  c private.service_clients := private.managed_client(p_client_id);
begin
  update private.service_clients s set enabled = false, tokens_valid_after = private.next_second() where s.client_id = c.client_id;
  perform audit.log_event('client_changed', c.client_id, c.team_id, null, null, '{"operation": "disable"}');
end
$$;
comment on function private.disable_service_client(private.service_client_id) is 'Disables a client the caller manages and revokes its tokens; P0002 otherwise.';

/**
 * private.rotate_service_client_secret(p_client_id text, p_secret_hash text) returns void
 * Replaces the secret hash, stamps secret_rotated_at and revokes every earlier token (tokens_valid_after =
 * next second); also clears the lockout. P0002 as for disable; 22023 malformed hash.
 */
create or replace function private.rotate_service_client_secret(p_client_id private.service_client_id, p_secret_hash private.client_secret_hash)
returns void
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  c private.service_clients := private.managed_client(p_client_id);
  h pg_catalog.text := private.check_secret_hash(p_secret_hash);
begin
  update private.service_clients s
  set secret_hash = h, secret_rotated_at = pg_catalog.now(), tokens_valid_after = private.next_second(),
      failed_attempts = 0, locked_until = null
  where s.client_id = c.client_id;
  perform audit.log_event('client_changed', c.client_id, c.team_id, null, null, '{"operation": "rotate_secret"}');
end
$$;
comment on function private.rotate_service_client_secret(private.service_client_id, private.client_secret_hash) is
  'New secret hash for a client the caller manages; revokes all earlier tokens; P0002 otherwise, 22023 bad hash.';

/**
 * private.delete_service_client(p_client_id text) returns void
 * Deletes the client (its tokens then fail the liveness check; its revocation rows go with it). P0002 as
 * for disable.
 */
create or replace function private.delete_service_client(p_client_id private.service_client_id)
returns void
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  c private.service_clients := private.managed_client(p_client_id);
begin
  delete from private.service_clients s where s.client_id = c.client_id;
  perform audit.log_event('client_changed', c.client_id, c.team_id, null, null, '{"operation": "delete"}');
end
$$;
comment on function private.delete_service_client(private.service_client_id) is 'Deletes a client the caller manages; P0002 otherwise.';

revoke execute on function private.create_service_client(pg_catalog.uuid, private.service_client_name, pg_catalog.text[], private.client_secret_hash),
  private.list_service_clients(pg_catalog.uuid), private.disable_service_client(private.service_client_id),
  private.rotate_service_client_secret(private.service_client_id, private.client_secret_hash), private.delete_service_client(private.service_client_id)
  from public, anon, authenticated, cryo_service;
grant execute on function private.create_service_client(pg_catalog.uuid, private.service_client_name, pg_catalog.text[], private.client_secret_hash),
  private.list_service_clients(pg_catalog.uuid), private.disable_service_client(private.service_client_id),
  private.rotate_service_client_secret(private.service_client_id, private.client_secret_hash), private.delete_service_client(private.service_client_id)
  to authenticated, postgres;

/** --- Authentication (the token endpoint, as anon) --- */

/**
 * private.client_by_secret(p_client_id text, p_secret_hash text, p_request_id text) returns private.service_clients
 * Internal: the client when it exists, is enabled, not locked and the hash matches; else null, after
 * counting the failure and auditing 'auth_failed' (reason in the detail, for the project and the team's
 * owners only; the caller learns nothing). Lockout: from the 5th consecutive failure of an existing
 * client, locked_until = now + 2^(failures - 5) s, at most 15 min; attempts while locked are refused and
 * audited but do not extend the lock. Success resets the counter and sets last_used_at.
 */
create or replace function private.client_by_secret(p_client_id pg_catalog.text, p_secret_hash pg_catalog.text,
  p_request_id pg_catalog.text)
returns private.service_clients
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  c private.service_clients;
  reason pg_catalog.text;
  presented pg_catalog.text := pg_catalog.left(p_client_id, 64);
begin
  select * into c from private.service_clients s where s.client_id = p_client_id for update;
  if c.client_id is null then
    reason := 'unknown_client';
  elsif not c.enabled then
    reason := 'disabled';
  elsif c.locked_until > pg_catalog.clock_timestamp() then
    reason := 'locked';
  elsif p_secret_hash is null or c.secret_hash is distinct from pg_catalog.lower(p_secret_hash) then
    reason := 'bad_secret';
    update private.service_clients s
    set failed_attempts = s.failed_attempts + 1,
        locked_until = case when s.failed_attempts + 1 >= 5
                            then pg_catalog.clock_timestamp() + least(pg_catalog.power(2, s.failed_attempts + 1 - 5), 900) * '1 second'::pg_catalog.interval
                       end
    where s.client_id = c.client_id
    returning * into c;
  end if;
  if reason is not null then
    perform audit.log_event('auth_failed', presented, c.team_id, null, null,
      pg_catalog.jsonb_build_object('reason', reason, 'failed_attempts', c.failed_attempts, 'locked_until', c.locked_until), p_request_id);
    return null;
  end if;
  update private.service_clients s set failed_attempts = 0, locked_until = null, last_used_at = pg_catalog.now()
  where s.client_id = c.client_id
  returning * into c;
  return c;
end
$$;
comment on function private.client_by_secret(pg_catalog.text, pg_catalog.text, pg_catalog.text) is
  'Internal: the authenticated client row or null (failure counted, locked out with backoff, audited).';
revoke execute on function private.client_by_secret(pg_catalog.text, pg_catalog.text, pg_catalog.text) from public;

/**
 * private.authenticate_service_client(p_client_id text, p_secret_hash text, p_request_id text default null,
 *   p_jti text default null, p_scopes text[] default null)
 *   returns table (team_id uuid, allowed_scopes text[], issued_at bigint)
 * One row when the client exists, is enabled, not locked out and the hash matches; NO row otherwise, the
 * same for unknown, disabled, locked and wrong secret. Every outcome is audited ('token_issued' with the
 * token's jti and granted scopes = p_scopes ∩ allowed, or allowed when p_scopes is null; 'auth_failed').
 * p_scopes (the requested scopes, optional) are validated first: 22023 naming an unknown scope, before
 * any authentication. issued_at is the epoch second to put in the token's `iat`: never before the
 * client's tokens_valid_after (right after a rotation the call waits until that second, at most 1 s), so
 * a new token is never refused as older than the rotation whatever the edge function's clock says.
 * The function WRITES (failure counter, lockout, last_used_at, audit): call it in a read-write
 * transaction and COMMIT it even when no row came back, or failures are neither counted nor audited.
 */
create or replace function private.authenticate_service_client(p_client_id private.service_client_id, p_secret_hash private.client_secret_hash,
  p_request_id pg_catalog.text default null, p_jti private.token_id default null, p_scopes pg_catalog.text[] default null)
returns table (team_id pg_catalog.uuid, allowed_scopes pg_catalog.text[], issued_at pg_catalog.int8)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  requested pg_catalog.text[] := case when p_scopes is not null then private.check_scopes(p_scopes) end;
  c private.service_clients := private.client_by_secret(p_client_id, p_secret_hash, p_request_id);
  wait pg_catalog.float8;
begin
  if c.client_id is null then
    return;
  end if;
  wait := extract(epoch from c.tokens_valid_after - pg_catalog.clock_timestamp());
  if wait > 0 then
    perform pg_catalog.pg_sleep(least(wait, 1.5));
  end if;
  perform audit.log_event('token_issued', c.client_id, c.team_id, pg_catalog.left(p_jti, 200),
    coalesce((select pg_catalog.array_agg(s order by s) from pg_catalog.unnest(requested) s where s = any (c.allowed_scopes)),
             case when requested is null then c.allowed_scopes end, '{}'),
    null, p_request_id);
  return query select c.team_id, c.allowed_scopes,
    greatest(pg_catalog.floor(extract(epoch from pg_catalog.clock_timestamp()))::pg_catalog.int8,
             extract(epoch from c.tokens_valid_after)::pg_catalog.int8);
end
$$;
comment on function private.authenticate_service_client(private.service_client_id, private.client_secret_hash, pg_catalog.text, private.token_id, pg_catalog.text[]) is
  'Client credentials check for the token endpoint: one row (team, allowed scopes, iat to use) or none, uniformly; counts, locks out, audits.';
revoke execute on function private.authenticate_service_client(private.service_client_id, private.client_secret_hash, pg_catalog.text, private.token_id, pg_catalog.text[])
  from public, authenticated, cryo_service;
grant execute on function private.authenticate_service_client(private.service_client_id, private.client_secret_hash, pg_catalog.text, private.token_id, pg_catalog.text[])
  to anon;

/**
 * private.revoke_service_token(p_client_id text, p_secret_hash text, p_jti text, p_token_client_id text,
 *   p_expires_at timestamptz) returns void
 * RFC 7009 revocation for the token endpoint (as anon): authenticates the client exactly like
 * authenticate_service_client (a failure returns silently without revoking, counted and audited as
 * 'auth_failed'), then revokes the token when it belongs to that client (p_token_client_id = p_client_id)
 * and has not expired. Unknown, foreign or expired tokens are not an error (the RFC). Audits
 * 'token_revoked' with detail.revoked true/false. The revocation is kept until p_expires_at (null: 24 h;
 * capped at 7 days, the longest token lifetime this supports).
 */
create or replace function private.revoke_service_token(p_client_id private.service_client_id, p_secret_hash private.client_secret_hash,
  p_jti private.token_id, p_token_client_id private.service_client_id, p_expires_at pg_catalog.timestamptz)
returns void
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  c private.service_clients := private.client_by_secret(p_client_id, p_secret_hash, null);
  expires pg_catalog.timestamptz := least(coalesce(p_expires_at, pg_catalog.now() + '24 hours'::pg_catalog.interval),
                                          pg_catalog.now() + '7 days'::pg_catalog.interval);
  revoked pg_catalog.bool := false;
begin
  if c.client_id is null then
    return;
  end if;
  if p_jti is not null and p_token_client_id = c.client_id and expires > pg_catalog.now() then
    insert into private.revoked_tokens (jti, client_id, expires_at) values (pg_catalog.left(p_jti, 200), c.client_id, expires)
    on conflict (jti, client_id) do nothing;
    revoked := true;
  end if;
  perform audit.log_event('token_revoked', c.client_id, c.team_id, pg_catalog.left(p_jti, 200), null,
    pg_catalog.jsonb_build_object('revoked', revoked, 'token_client_id', pg_catalog.left(p_token_client_id, 64)));
end
$$;
comment on function private.revoke_service_token(private.service_client_id, private.client_secret_hash, private.token_id, private.service_client_id, pg_catalog.timestamptz) is
  'RFC 7009 revocation: authenticates the client (silent on failure), revokes only its own token, audits.';
revoke execute on function private.revoke_service_token(private.service_client_id, private.client_secret_hash, private.token_id, private.service_client_id, pg_catalog.timestamptz)
  from public, authenticated, cryo_service;
grant execute on function private.revoke_service_token(private.service_client_id, private.client_secret_hash, private.token_id, private.service_client_id, pg_catalog.timestamptz)
  to anon;

/** --- Liveness, folded into every cryo_service transaction --- */

/**
 * private.assert_service_token_live() returns boolean
 * True when the current request's service token is still good: its client (claim client_id, else sub)
 * exists, is enabled, belongs to the token's team_id, the token's iat is not before the client's
 * tokens_valid_after (rotation and disable revoke earlier tokens), and (jti, client) is not revoked.
 * Otherwise 28000 'token revoked' (also for claims without client, jti or a numeric iat). Two primary-key
 * lookups. The database module selects it in the statement that sets the claims of every cryo_service
 * transaction, so a revoked token fails with no extra round trip.
 */
create or replace function private.assert_service_token_live()
returns pg_catalog.bool
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  claims pg_catalog.jsonb := private.request_claims();
  v_client pg_catalog.text := coalesce(claims ->> 'client_id', claims ->> 'sub');
  v_jti pg_catalog.text := claims ->> 'jti';
  v_iat pg_catalog.numeric;
  c private.service_clients;
begin
  if pg_catalog.jsonb_typeof(claims -> 'iat') = 'number' then
    v_iat := (claims ->> 'iat')::pg_catalog.numeric;
  end if;
  if v_client is not null and v_jti is not null and v_iat is not null then
    select * into c from private.service_clients s where s.client_id = v_client;
  end if;
  if c.client_id is null or not c.enabled
     or pg_catalog.lower(claims ->> 'team_id') is distinct from c.team_id::pg_catalog.text
     or v_iat < extract(epoch from c.tokens_valid_after)
     or exists (select from private.revoked_tokens r where r.jti = v_jti and r.client_id = c.client_id) then
    raise exception 'token revoked' using errcode = '28000';
  end if;
  return true;
end
$$;
comment on function private.assert_service_token_live() is
  'True if the request''s service token is live (client enabled, iat after tokens_valid_after, jti not revoked); else 28000 token revoked.';
revoke execute on function private.assert_service_token_live() from public, anon, authenticated;
grant execute on function private.assert_service_token_live() to cryo_service;

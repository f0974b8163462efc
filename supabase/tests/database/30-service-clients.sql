/**
 * Service clients (issue 9, items 1, 2, 4, SQL side): management by team owners only, scopes validated
 * against the access registry, client authentication that answers unknown / disabled / locked / wrong
 * secret alike, lockout with exponential backoff, and token liveness: rotation and disable revoke earlier
 * tokens (the same second included), revocation by jti only for the owning client.
 * Every call is made as PostgREST (or the edge functions) make it: role + request.jwt.claims.
 * Fixture: tests.access_fixture() (02-access-model.sql): teams A and B, acc_owner_a / acc_editor_a in A,
 * acc_owner_b in B, acc_outsider in none.
 */
begin;
select plan(81);
select tests.access_fixture();

/**
 * tests.sc_error(role_name text, claims jsonb, stmt text) returns text
 * 'SQLSTATE: message' of the error the statement raises as the role with the claims ('postgres': as the
 * runner, no claims), or 'no error'. The statement's effects are undone either way.
 */
create function tests.sc_error(role_name text, claims jsonb, stmt text)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  result text;
begin
  begin
    if role_name <> 'postgres' then
      perform tests.authenticate_as_role(role_name, claims);
    end if;
    execute stmt;
    raise exception 'undo' using errcode = 'TSTUN';
  exception
    when sqlstate 'TSTUN' then result := 'no error';
    when others then result := sqlstate || ': ' || sqlerrm;
  end;
  perform tests.clear_authentication();
  return result;
end
$$;

/** tests.sc_hash(secret text) returns text: a stand-in for the edge function's hex HMAC-SHA256. */
create function tests.sc_hash(secret text) returns text language sql immutable set search_path = pg_catalog, pg_temp
as $$ select encode(sha256(convert_to('pepper:' || secret, 'UTF8')), 'hex') $$;

/** tests.sc_auth(client_id text, secret text, jti text default null, scopes text[] default null) returns int: rows authenticate gives anon. */
create function tests.sc_auth(client_id text, secret text, jti text default null, scopes text[] default null)
returns int language plpgsql set search_path = pg_catalog, pg_temp as $$
declare n int;
begin
  perform tests.authenticate_as_role('anon');
  select count(*) into n from private.authenticate_service_client(client_id, tests.sc_hash(secret), 'req-auth', jti, scopes);
  perform tests.clear_authentication();
  return n;
end $$;

/**
 * tests.sc_live(client_id text, jti text, iat numeric, team uuid default null) returns text
 * 'live', or the error of private.assert_service_token_live() for a service token with these claims (team
 * defaults to the client's).
 */
create function tests.sc_live(client_id text, jti text, iat numeric, team uuid default null)
returns text language plpgsql set search_path = pg_catalog, pg_temp as $$
declare
  result text;
  t uuid := coalesce(team, (select c.team_id from private.service_clients c where c.client_id = sc_live.client_id));
begin
  perform tests.authenticate_as_role('cryo_service', jsonb_build_object('sub', client_id, 'client_id', client_id, 'jti', jti,
    'iat', iat, 'exp', iat + 900, 'scope', 'molecules:read', 'team_id', t));
  begin
    perform private.assert_service_token_live();
    result := 'live';
  exception when others then
    result := sqlstate || ': ' || sqlerrm;
  end;
  perform tests.clear_authentication();
  return result;
end $$;

create table tests.sc_clients (tag text primary key, client_id text);
grant select, insert on tests.sc_clients to anon, authenticated, cryo_service;
grant usage on schema tests to cryo_service;

/** --- Scopes --- */
select ok(private.valid_scopes() @> array['molecules:read', 'molecules:write', 'mixtures:read', 'mixtures:write', 'properties:read',
                                          'properties:write', 'teams:read', 'teams:write', 'profiles:read', 'profiles:write',
                                          'toxicity:read', 'toxicity:import', 'audit:read', 'metrics:read'],
  'valid scopes are read/write of every registered resource plus toxicity:read, toxicity:import, audit:read, metrics:read');
select is(cardinality(private.valid_scopes()),
          (select count(distinct resource)::int * 2 + 3 from private.access_registry),
  'and nothing else (toxicity:read being also the read scope of the registered resource toxicity)');

/** --- Management: as a team owner --- */
select tests.authenticate_as('acc_owner_a');
insert into tests.sc_clients
select 'A', client_id from private.create_service_client(tests.fid('teams', 'A'), ' importer ', array['molecules:write', 'audit:read', 'molecules:write'], tests.sc_hash('secret-a'));
select tests.clear_authentication();
select matches((select client_id from tests.sc_clients where tag = 'A'), '^cpc_[a-z2-7]{24}$',
  'an owner creates a client of their team; its id is cpc_ + 24 base32 characters');
select is((select allowed_scopes from private.service_clients where client_id = (select client_id from tests.sc_clients where tag = 'A')),
  array['audit:read', 'molecules:write'], 'its scopes are stored deduplicated and sorted');
select is((select name from private.service_clients where client_id = (select client_id from tests.sc_clients where tag = 'A')),
  'importer', 'its name is trimmed');
select is((select secret_hash from private.service_clients where client_id = (select client_id from tests.sc_clients where tag = 'A')),
  tests.sc_hash('secret-a'), 'only the hash the edge function computed is stored');
select isnt((select client_id from tests.sc_clients where tag = 'A'), private.new_service_client_id(), 'ids are random');

select tests.authenticate_as('acc_owner_a');
select is((select count(*)::int from private.list_service_clients(tests.fid('teams', 'A'))), 1, 'the owner lists the team''s client');
select tests.clear_authentication();
select ok(not exists (select from pg_proc p, unnest(p.proargnames) a where p.oid = 'private.list_service_clients(uuid)'::regprocedure and a ~ 'hash'),
  'listing never returns the secret hash');

/** --- Management: everybody else gets what a missing team or client gets --- */
select is(tests.sc_error('postgres', null, format($$select tests.authenticate_as('acc_owner_a'); select private.create_service_client(%L, 'x', '{molecules:read}', %L)$$,
                                                   gen_random_uuid(), tests.sc_hash('s'))),
  'P0002: no such team', 'creating a client for a team that does not exist: P0002 no such team');
select is(tests.sc_error('postgres', null, format($$select tests.authenticate_as('acc_editor_a'); select private.create_service_client(%L, 'x', '{molecules:read}', %L)$$,
                                                   tests.fid('teams', 'A'), tests.sc_hash('s'))),
  'P0002: no such team', 'an editor (not owner) of the team gets the same answer');
select is(tests.sc_error('postgres', null, format($$select tests.authenticate_as('acc_owner_b'); select private.create_service_client(%L, 'x', '{molecules:read}', %L)$$,
                                                   tests.fid('teams', 'A'), tests.sc_hash('s'))),
  'P0002: no such team', 'the owner of another team gets the same answer');
select is(left(tests.sc_error('anon', '{}', format($$select private.create_service_client(%L, 'x', '{molecules:read}', %L)$$, tests.fid('teams', 'A'), tests.sc_hash('s'))), 5),
  '42501', 'anon cannot call client management at all');
select is(left(tests.sc_error('cryo_service', jsonb_build_object('scope', 'teams:write', 'team_id', tests.fid('teams', 'A')),
                              format($$select private.create_service_client(%L, 'x', '{molecules:read}', %L)$$, tests.fid('teams', 'A'), tests.sc_hash('s'))), 5),
  '42501', 'a service client cannot manage clients, even with teams:write');
select tests.authenticate_as('acc_owner_b');
select is((select count(*)::int from private.list_service_clients(tests.fid('teams', 'A'))), 0, 'another team''s owner lists nothing for team A');
select tests.clear_authentication();
select tests.authenticate_as('acc_editor_a');
select is((select count(*)::int from private.list_service_clients(tests.fid('teams', 'A'))), 0, 'an editor of team A lists nothing');
select tests.clear_authentication();
select is(tests.sc_error('postgres', null, format($$select tests.authenticate_as('acc_owner_b'); select private.%s$$, f)),
          tests.sc_error('postgres', null, format($$select tests.authenticate_as('acc_owner_b'); select private.%s$$,
                                                   replace(f, (select client_id from tests.sc_clients where tag = 'A'), 'cpc_aaaaaaaaaaaaaaaaaaaaaaaa'))),
  format('%s on another team''s client answers exactly as on a client that does not exist', split_part(f, '(', 1)))
from unnest(array[format('disable_service_client(%L)', (select client_id from tests.sc_clients where tag = 'A')),
                  format('rotate_service_client_secret(%L, %L)', (select client_id from tests.sc_clients where tag = 'A'), tests.sc_hash('x')),
                  format('delete_service_client(%L)', (select client_id from tests.sc_clients where tag = 'A'))]) f;
select is(tests.sc_error('postgres', null, format($$select tests.authenticate_as('acc_owner_b'); select private.disable_service_client(%L)$$,
                                                   (select client_id from tests.sc_clients where tag = 'A'))),
  'P0002: no such service client', 'and that answer is P0002 no such service client');
select is((select enabled from private.service_clients where client_id = (select client_id from tests.sc_clients where tag = 'A')), true,
  'the client is untouched by those attempts');
select is(left(tests.sc_error(r, '{}', 'select count(*) from private.service_clients'), 5), '42501',
  format('%s cannot read private.service_clients', r))
from unnest(array['anon', 'authenticated', 'cryo_service']) r;
select is(left(tests.sc_error(r, '{}', 'select count(*) from private.revoked_tokens'), 5), '42501',
  format('%s cannot read private.revoked_tokens', r))
from unnest(array['anon', 'authenticated', 'cryo_service']) r;

/** --- Management: the project owner (CLI) --- */
insert into tests.sc_clients
select 'B', client_id from private.create_service_client(tests.fid('teams', 'B'), 'lims', array['mixtures:read'], tests.sc_hash('secret-b'));
select is((select team_id from private.service_clients where client_id = (select client_id from tests.sc_clients where tag = 'B')),
  tests.fid('teams', 'B'), 'postgres (the CLI) creates a client for any team');
select is((select count(*)::int from private.list_service_clients(tests.fid('teams', 'A'))), 1, 'and lists any team''s clients');

/** --- Validation: scopes, names, hashes --- */
select is(tests.sc_error('postgres', null, format($$select private.create_service_client(%L, 'x', '{molecules:read,molecules:delete}', %L)$$, tests.fid('teams', 'A'), tests.sc_hash('s'))),
  '22023: unknown scope "molecules:delete"', 'an unknown scope is refused with 22023 naming it');
select is(tests.sc_error('postgres', null, format($$select private.create_service_client(%L, 'x', '{}', %L)$$, tests.fid('teams', 'A'), tests.sc_hash('s'))),
  '22023: at least one scope is required', 'no scope at all is refused (22023)');
select is(left(tests.sc_error('postgres', null, format($$select private.create_service_client(%L, '   ', '{molecules:read}', %L)$$, tests.fid('teams', 'A'), tests.sc_hash('s'))), 5),
  '22023', 'a blank name is refused (22023)');
select is(left(tests.sc_error('postgres', null, format($$select private.create_service_client(%L, 'x', '{molecules:read}', 'not-a-hash')$$, tests.fid('teams', 'A'))), 5),
  '22023', 'a malformed secret hash is refused (22023)');
select is(tests.sc_error('anon', '{}', format($$select * from private.authenticate_service_client(%L, %L, null, null, '{molecules:read,root}')$$,
                                               (select client_id from tests.sc_clients where tag = 'A'), tests.sc_hash('secret-a'))),
  '22023: unknown scope "root"', 'a requested scope that does not exist is refused at authentication too, naming it');

/** --- Authentication: success --- */
-- The runner owns the temp table: API roles may not create temporary objects (TEMPORARY is revoked).
create temporary table sc_auth_row (team_id uuid, allowed_scopes text[], issued_at bigint);
grant insert on sc_auth_row to anon;
select tests.authenticate_as_role('anon');
insert into sc_auth_row
select * from private.authenticate_service_client((select client_id from tests.sc_clients where tag = 'A'), tests.sc_hash('secret-a'), 'req-1', 'jti-1', array['molecules:write', 'molecules:read']);
select tests.clear_authentication();
select is((select team_id from sc_auth_row), tests.fid('teams', 'A'), 'anon authenticates a client with the right hash: its team comes back');
select is((select allowed_scopes from sc_auth_row), array['audit:read', 'molecules:write'], 'with its allowed scopes');
select ok((select issued_at from sc_auth_row) >= (select extract(epoch from tokens_valid_after) from private.service_clients where client_id = (select client_id from tests.sc_clients where tag = 'A')),
  'and an iat that is not before the client''s tokens_valid_after');
select isnt((select last_used_at from private.service_clients where client_id = (select client_id from tests.sc_clients where tag = 'A')), null,
  'success stamps last_used_at');
select is((select scopes from audit.events where event_type = 'token_issued' and jti = 'jti-1'), array['molecules:write'],
  'token_issued is audited with the jti and the granted scopes (requested ∩ allowed)');
select is((select row(client_id, team_id, actor_role, request_id)::text from audit.events where event_type = 'token_issued' and jti = 'jti-1'),
  row((select client_id from tests.sc_clients where tag = 'A'), tests.fid('teams', 'A'), 'anon', 'req-1')::text,
  'with the client, its team, the calling role and the request id');

/** --- Authentication: every failure looks the same --- */
insert into tests.sc_clients
select 'D', client_id from private.create_service_client(tests.fid('teams', 'A'), 'disabled one', array['molecules:read'], tests.sc_hash('secret-d'));
select private.disable_service_client((select client_id from tests.sc_clients where tag = 'D'));
select is(tests.sc_auth((select client_id from tests.sc_clients where tag = 'A'), 'wrong'), 0, 'a wrong secret: no row');
select is(tests.sc_auth('cpc_aaaaaaaaaaaaaaaaaaaaaaaa', 'secret-a'), 0, 'an unknown client: no row');
select is(tests.sc_auth('not even an id', 'secret-a'), 0, 'a malformed client id: no row, no error');
select is(tests.sc_auth((select client_id from tests.sc_clients where tag = 'D'), 'secret-d'), 0, 'a disabled client with its right secret: no row');
select is(tests.sc_error('anon', '{}', format($$select * from private.authenticate_service_client(%L, 'zz')$$, (select client_id from tests.sc_clients where tag = 'A'))),
  'no error', 'a malformed hash is a failure like any other, not an error');
select is((select array_agg(detail ->> 'reason' order by id) from audit.events where event_type = 'auth_failed'),
  array['bad_secret', 'unknown_client', 'unknown_client', 'disabled'],
  'every failure is audited as auth_failed (the reason is for the log only; the malformed hash''s was undone with its statement)');
select is((select count(*)::int from audit.events where event_type = 'auth_failed' and team_id = tests.fid('teams', 'A')), 2,
  'failures of existing clients carry their team (their owners can read them)');

/** --- Lockout with exponential backoff --- */
/**
 * tests.sc_locks_for(client_id text, guess text, expected interval) returns boolean
 * Makes one failed attempt and says whether it set locked_until to (time of the attempt + expected),
 * measured between the clock just before and just after the call (so a slow machine cannot fail it).
 */
create function tests.sc_locks_for(client_id text, guess text, expected interval) returns boolean
language plpgsql set search_path = pg_catalog, pg_temp as $$
declare t0 timestamptz; t1 timestamptz; lock timestamptz;
begin
  t0 := clock_timestamp();
  perform tests.sc_auth(client_id, guess);
  t1 := clock_timestamp();
  select c.locked_until into lock from private.service_clients c where c.client_id = sc_locks_for.client_id;
  return lock between t0 + expected and t1 + expected;
end $$;
select is(array_agg(tests.sc_auth((select client_id from tests.sc_clients where tag = 'A'), 'guess-' || i) order by i), array[0, 0, 0]::int[],
  'three more wrong secrets (four in a row)') from generate_series(1, 3) i;
select is((select locked_until from private.service_clients where client_id = (select client_id from tests.sc_clients where tag = 'A')), null, 'four failures do not lock yet');
select ok(tests.sc_locks_for((select client_id from tests.sc_clients where tag = 'A'), 'guess-5', interval '1 second'), 'the fifth failure in a row locks the client for 2^0 = 1 s');
select is((select failed_attempts from private.service_clients where client_id = (select client_id from tests.sc_clients where tag = 'A')), 5, 'five consecutive failures are counted');
-- Keep it locked for the next checks however slow this machine is.
update private.service_clients set locked_until = clock_timestamp() + interval '1 minute' where client_id = (select client_id from tests.sc_clients where tag = 'A');
select is(tests.sc_auth((select client_id from tests.sc_clients where tag = 'A'), 'secret-a'), 0, 'while locked, even the right secret gets no row');
select is((select row(failed_attempts, locked_until > clock_timestamp() + interval '50 seconds')::text from private.service_clients where client_id = (select client_id from tests.sc_clients where tag = 'A')),
  '(5,t)', 'attempts while locked neither count nor extend the lock');
update private.service_clients set locked_until = clock_timestamp() - interval '1 second' where client_id = (select client_id from tests.sc_clients where tag = 'A');
select ok(tests.sc_locks_for((select client_id from tests.sc_clients where tag = 'A'), 'guess-6', interval '2 seconds'), 'after the lock, the next failure locks for 2^1 = 2 s (the backoff doubles)');
update private.service_clients set locked_until = null, failed_attempts = 30 where client_id = (select client_id from tests.sc_clients where tag = 'A');
select ok(tests.sc_locks_for((select client_id from tests.sc_clients where tag = 'A'), 'guess-31', interval '15 minutes'), 'after many failures the lock is capped at 15 minutes');
update private.service_clients set locked_until = clock_timestamp() - interval '1 second' where client_id = (select client_id from tests.sc_clients where tag = 'A');
select is(tests.sc_auth((select client_id from tests.sc_clients where tag = 'A'), 'secret-a'), 1, 'once the lock has passed, the right secret works');
select is((select row(failed_attempts, locked_until)::text from private.service_clients where client_id = (select client_id from tests.sc_clients where tag = 'A')),
  row(0, null::timestamptz)::text, 'and success resets the counter and the lock');
select is((select detail ->> 'reason' from audit.events where event_type = 'auth_failed' order by id desc limit 1 offset 2), 'locked',
  'a refusal while locked is audited with its reason');

/** --- Liveness: tokens of a live client pass --- */
create temporary table sc_now as select floor(extract(epoch from clock_timestamp())) as t;
select is(tests.sc_live((select client_id from tests.sc_clients where tag = 'A'), 'jti-live', (select t from sc_now)), 'live',
  'a token of an enabled client issued after tokens_valid_after is live');
select is(tests.sc_live((select client_id from tests.sc_clients where tag = 'A'), 'jti-live', (select t from sc_now), tests.fid('teams', 'B')),
  '28000: token revoked', 'a token whose team_id is not its client''s is refused');
select is(tests.sc_live((select client_id from tests.sc_clients where tag = 'A'), null, (select t from sc_now)), '28000: token revoked',
  'a token without jti is refused');
select is(tests.sc_live('cpc_aaaaaaaaaaaaaaaaaaaaaaaa', 'jti-x', (select t from sc_now), tests.fid('teams', 'A')), '28000: token revoked',
  'a token of a client that does not exist is refused');
select is(left(tests.sc_error(r, '{}', 'select private.assert_service_token_live()'), 5), '42501',
  format('%s cannot call the liveness check', r))
from unnest(array['anon', 'authenticated']) r;

/** --- Rotation revokes every earlier token, the same second included --- */
select private.rotate_service_client_secret((select client_id from tests.sc_clients where tag = 'A'), tests.sc_hash('secret-a2'));
select is(tests.sc_live((select client_id from tests.sc_clients where tag = 'A'), 'jti-live', (select t from sc_now)), '28000: token revoked',
  'after a rotation, a token issued before it is refused (28000 token revoked)');
select is(tests.sc_live((select client_id from tests.sc_clients where tag = 'A'), 'jti-same-second',
                        (select extract(epoch from tokens_valid_after) - 1 from private.service_clients where client_id = (select client_id from tests.sc_clients where tag = 'A'))),
  '28000: token revoked', 'a token issued in the same second as the rotation, before it, is refused too');
select is(tests.sc_auth((select client_id from tests.sc_clients where tag = 'A'), 'secret-a'), 0, 'the old secret no longer authenticates');
create temporary table sc_after (team_id uuid, allowed_scopes text[], issued_at bigint);
grant insert on sc_after to anon;
select tests.authenticate_as_role('anon');
insert into sc_after
select * from private.authenticate_service_client((select client_id from tests.sc_clients where tag = 'A'), tests.sc_hash('secret-a2'), null, 'jti-new');
select tests.clear_authentication();
select is((select count(*)::int from sc_after), 1, 'the new secret authenticates');
select is(tests.sc_live((select client_id from tests.sc_clients where tag = 'A'), 'jti-new', (select issued_at from sc_after)), 'live',
  'and a token with the iat it returned is live at once');

/** --- Revocation by jti, only for the owning client --- */
create function tests.sc_revoke(client_id text, secret text, jti text, token_client text) returns void
language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
  perform tests.authenticate_as_role('anon');
  perform private.revoke_service_token(client_id, tests.sc_hash(secret), jti, token_client, now() + interval '15 minutes');
  perform tests.clear_authentication();
end $$;
select tests.sc_revoke((select client_id from tests.sc_clients where tag = 'B'), 'secret-b', 'jti-new', (select client_id from tests.sc_clients where tag = 'A'));
select is(tests.sc_live((select client_id from tests.sc_clients where tag = 'A'), 'jti-new', (select issued_at from sc_after)), 'live',
  'another client cannot revoke a token that is not its own');
select tests.sc_revoke((select client_id from tests.sc_clients where tag = 'B'), 'secret-b', 'jti-new', (select client_id from tests.sc_clients where tag = 'B'));
select is(tests.sc_live((select client_id from tests.sc_clients where tag = 'A'), 'jti-new', (select issued_at from sc_after)), 'live',
  'nor by claiming the token is its own: a revocation counts only for the (jti, client) pair');
select tests.sc_revoke((select client_id from tests.sc_clients where tag = 'A'), 'wrong', 'jti-new', (select client_id from tests.sc_clients where tag = 'A'));
select is(tests.sc_live((select client_id from tests.sc_clients where tag = 'A'), 'jti-new', (select issued_at from sc_after)), 'live',
  'a revocation with a wrong secret silently does nothing');
select is((select detail ->> 'reason' from audit.events where event_type = 'auth_failed' order by id desc limit 1), 'bad_secret',
  'and is audited as auth_failed');
select is(tests.sc_error('postgres', null, format($$select tests.sc_revoke(%L, 'secret-a2', 'no-such-jti', %L)$$,
                                                   (select client_id from tests.sc_clients where tag = 'A'), (select client_id from tests.sc_clients where tag = 'A'))),
  'no error', 'revoking an unknown token is not an error (RFC 7009)');
select tests.sc_revoke((select client_id from tests.sc_clients where tag = 'A'), 'secret-a2', 'jti-new', (select client_id from tests.sc_clients where tag = 'A'));
select is(tests.sc_live((select client_id from tests.sc_clients where tag = 'A'), 'jti-new', (select issued_at from sc_after)), '28000: token revoked',
  'the owning client revokes its token: refused on its next use');
select is(tests.sc_live((select client_id from tests.sc_clients where tag = 'A'), 'jti-other', (select issued_at from sc_after)), 'live',
  'its other tokens stay live');
select is((select detail ->> 'revoked' from audit.events where event_type = 'token_revoked' and jti = 'jti-new' order by id desc limit 1), 'true',
  'the revocation is audited as token_revoked');

/** --- Disable and delete end every token --- */
select private.disable_service_client((select client_id from tests.sc_clients where tag = 'A'));
select is(tests.sc_live((select client_id from tests.sc_clients where tag = 'A'), 'jti-other', (select issued_at from sc_after)), '28000: token revoked',
  'disabling a client revokes its tokens');
select is(tests.sc_live((select client_id from tests.sc_clients where tag = 'A'), 'jti-later', floor(extract(epoch from clock_timestamp())) + 5),
  '28000: token revoked', 'and a disabled client''s tokens stay refused whatever their iat');
select private.delete_service_client((select client_id from tests.sc_clients where tag = 'B'));
select is((select count(*)::int from private.service_clients where client_id = (select client_id from tests.sc_clients where tag = 'B')), 0,
  'deleting removes the client');
select is((select array_agg(detail ->> 'operation' order by id) from audit.events where event_type = 'client_changed'),
  array['create', 'create', 'create', 'disable', 'rotate_secret', 'disable', 'delete'],
  'every management action is audited as client_changed');

select * from finish();
rollback;

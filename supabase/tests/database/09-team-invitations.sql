/**
 * Membership by consent (issue 7, item 6): invitations (the access matrix, acceptance, expiry, revocation,
 * invitations by e-mail), removal that ends access at once, creators set by the server (a service
 * client's non-uuid sub included), and errors that tell nothing about rows the caller cannot read.
 * Fixture and matrix helpers: 02-access-model.sql.
 */

/**
 * tests.error_of(stmt text) returns text
 * 'SQLSTATE: message' of the error the statement raises as the current role, or 'no error' (undone).
 */
create or replace function tests.error_of(stmt text)
returns text
language plpgsql
set search_path = ''
as $$
begin
  begin
    execute stmt;
    raise exception 'undo' using errcode = 'TSTUN';
  exception
    when sqlstate 'TSTUN' then return 'no error';
    when others then return sqlstate || ': ' || sqlerrm;
  end;
end
$$;

/**
 * tests.error_as(role_name text, claims jsonb, stmt text) returns text
 * tests.error_of() as an API role with the given claims (usable for cryo_service, which cannot call pgTAP).
 */
create or replace function tests.error_as(role_name text, claims jsonb, stmt text)
returns text
language plpgsql
set search_path = ''
as $$
declare
  result text;
begin
  perform tests.authenticate_as_role(role_name, claims);
  result := tests.error_of(stmt);
  perform tests.clear_authentication();
  return result;
end
$$;
grant execute on function tests.error_of(text), tests.error_as(text, jsonb, text) to anon, authenticated, cryo_service;

begin;
select plan(146);
select tests.access_fixture();
do $$ begin
  perform tests.create_supabase_user('inv_one', 'inv.one@test.local');
  perform tests.create_supabase_user('inv_two', 'inv.two@test.local');
end $$;

/** --- The matrix: 10 actors × select/insert/update (revoke)/delete on Alpha's and Beta's invitation --- */
-- Owners manage their team's invitations; the invitee (by user id or e-mail) only reads their own pending
-- ones; nobody else, no service client, and never anon, sees or touches them.
select is(tests.matrix_case(a.actor, 'team_invitations', o.op, g.target), e.expected,
  format('team_invitations: %s %s on %s gives %s', a.actor, o.op, g.target, e.expected))
from (values ('anon'), ('outsider'), ('viewer_a'), ('editor_a'), ('owner_a'), ('editor_b'),
             ('svc_write_a'), ('svc_read_a'), ('svc_write_b'), ('svc_none')) a(actor)
cross join (values ('select'), ('insert'), ('update'), ('delete')) o(op)
cross join (values ('A'), ('B')) g(target)
cross join lateral (select case
  when o.op = 'insert' and g.target = 'B' then null
  when o.op = 'select' then case when a.actor = 'outsider' or (g.target = 'A' and a.actor = 'owner_a') then 'ok' else 'filtered' end
  when a.actor = 'anon' then '42501'
  when o.op = 'insert' then case when a.actor = 'owner_a' then 'ok' else '42501' end
  else case when g.target = 'A' and a.actor = 'owner_a' then 'ok' else 'filtered' end
  end as expected) e
where e.expected is not null
order by o.op, a.actor, g.target;

/** --- Acting as a team owner: inviting --- */
select tests.authenticate_as('acc_owner_a');
select lives_ok(format($$insert into public.team_invitations (id, team_id, invitee_user_id, role, invited_by, created_at, accepted_at, accepted_by, revoked_at)
  values (%L, %L, %L, 'editor', %L, now() - interval '1 year', now(), %L, now())$$,
  tests.fid('team_invitations', 'one'), tests.fid('teams', 'A'), tests.get_supabase_uid('inv_one'), tests.get_supabase_uid('acc_editor_a'),
  tests.get_supabase_uid('inv_one')), 'an owner invites a user by id (sending forged server columns)');
select is((select invited_by from public.team_invitations where id = tests.fid('team_invitations', 'one')), tests.get_supabase_uid('acc_owner_a'),
  'the inviter is the caller, whatever the client sent');
select ok((select accepted_at is null and accepted_by is null and revoked_at is null and created_at = now()
           from public.team_invitations where id = tests.fid('team_invitations', 'one')),
  'a new invitation is pending: acceptance and revocation are the server''s to set, created_at is now');
select is((select expires_at from public.team_invitations where id = tests.fid('team_invitations', 'one')), now() + interval '7 days',
  'an invitation expires after 7 days by default');
select lives_ok(format($$insert into public.team_invitations (id, team_id, invitee_email, expires_at) values (%L, %L, 'Inv.Two@Test.Local', now() + interval '1 year')$$,
  tests.fid('team_invitations', 'two'), tests.fid('teams', 'A')), 'an owner invites a user by e-mail');
select is((select invitee_email from public.team_invitations where id = tests.fid('team_invitations', 'two')), 'inv.two@test.local',
  'e-mail addresses are stored lower-case');
select is((select expires_at from public.team_invitations where id = tests.fid('team_invitations', 'two')), now() + interval '30 days',
  'an owner cannot make an invitation last longer than 30 days');
select is(tests.error_of(format($$insert into public.team_invitations (team_id, invitee_user_id) values (%L, %L)$$,
    tests.fid('teams', 'A'), extensions.gen_random_uuid())),
  tests.error_of(format($$insert into public.team_invitations (team_id, invitee_user_id) values (%L, %L)$$,
    tests.fid('teams', 'A'), tests.get_supabase_uid('acc_editor_b'))),
  'inviting a user id that does not exist goes exactly like inviting one that does (nothing tells whether a user exists)');
select is(tests.error_of(format($$insert into public.team_invitations (team_id, invitee_user_id) values (%L, %L)$$,
  tests.fid('teams', 'A'), extensions.gen_random_uuid())), 'no error', 'and both succeed');
select throws_ok(format($$insert into public.team_invitations (team_id, invitee_user_id, invitee_email) values (%L, %L, 'x@test.local')$$,
  tests.fid('teams', 'A'), tests.get_supabase_uid('inv_one')), '23514', null, 'an invitation names one invitee: a user id or an e-mail');
select throws_ok(format($$insert into public.team_invitations (team_id, invitee_email) values (%L, 'not an address')$$, tests.fid('teams', 'A')),
  '23514', null, 'an e-mail invitee must look like an address');
select throws_ok(format($$insert into public.team_invitations (team_id, invitee_user_id) values (%L, %L)$$,
  tests.fid('teams', 'B'), tests.get_supabase_uid('inv_one')), '42501', null, 'an owner of Alpha cannot invite into Beta');
select throws_ok(format($$insert into public.team_members (team_id, user_id, role) values (%L, %L, 'editor')$$,
  tests.fid('teams', 'A'), tests.get_supabase_uid('inv_one')), '42501', null, 'an owner still cannot add the user directly');
select tests.clear_authentication();

/** --- Acting as the invitee (by user id) --- */
select tests.authenticate_as('inv_one');
select results_eq($$select id from public.team_invitations$$, array[tests.fid('team_invitations', 'one')],
  'the invitee sees their own pending invitation, and no one else''s');
select is_empty(format($$select 1 from public.molecules where id = %L$$, tests.fid('molecules', 'A')), 'before accepting, the team''s rows stay hidden');
select is_empty(format($$update public.team_invitations set revoked_at = now() where id = %L returning id$$, tests.fid('team_invitations', 'one')),
  'the invitee cannot change the invitation');
select is(public.accept_team_invitation(tests.fid('team_invitations', 'one')), tests.fid('teams', 'A'), 'the invitee accepts and gets the team id');
select is((select role from public.team_members where team_id = tests.fid('teams', 'A') and user_id = tests.get_supabase_uid('inv_one')), 'editor',
  'accepting makes them a member with the invited role');
select isnt_empty(format($$select 1 from public.molecules where id = %L$$, tests.fid('molecules', 'A')), 'the new member reads the team''s private rows');
select is_empty($$select 1 from public.team_invitations where accepted_at is null$$, 'an accepted invitation is no longer pending for the invitee');
select throws_ok(format($$select public.accept_team_invitation(%L)$$, tests.fid('team_invitations', 'one')), 'P0002', null,
  'an accepted invitation cannot be accepted again');
select is(tests.error_of(format($$select public.accept_team_invitation(%L)$$, tests.fid('team_invitations', 'one'))),
  tests.error_of(format($$select public.accept_team_invitation(%L)$$, extensions.gen_random_uuid())),
  'accepting it again gets the same error (code and text) as an unknown id');
select tests.clear_authentication();
select is((select accepted_by from public.team_invitations where id = tests.fid('team_invitations', 'one')), tests.get_supabase_uid('inv_one'),
  'the owner''s record shows who accepted and when');

/** --- Acting as someone the invitation is not for --- */
select tests.authenticate_as('acc_outsider');
select is(tests.error_of(format($$select public.accept_team_invitation(%L)$$, tests.fid('team_invitations', 'two'))),
  tests.error_of(format($$select public.accept_team_invitation(%L)$$, extensions.gen_random_uuid())),
  'accepting someone else''s invitation fails exactly like accepting an unknown id');
select is_empty(format($$select 1 from public.team_members where team_id = %L and user_id = %L$$, tests.fid('teams', 'A'), tests.get_supabase_uid('acc_outsider')),
  'and makes no membership');
select tests.clear_authentication();

/** --- Revocation --- */
select tests.authenticate_as('acc_owner_a');
select isnt_empty(format($$update public.team_invitations set revoked_at = now() where id = %L returning id$$, tests.fid('team_invitations', 'two')),
  'an owner revokes an invitation');
select isnt_empty(format($$update public.team_invitations set revoked_at = null, role = 'owner', invitee_email = 'me@test.local' where id = %L returning id$$,
  tests.fid('team_invitations', 'two')), 'an owner''s other edits are accepted as statements...');
select ok((select revoked_at is not null and role = 'viewer' and invitee_email = 'inv.two@test.local' from public.team_invitations where id = tests.fid('team_invitations', 'two')),
  '...but change nothing: a revocation cannot be undone, role and invitee stay');
select tests.clear_authentication();
select tests.authenticate_as('inv_two');
select is_empty($$select 1 from public.team_invitations$$, 'the invitee no longer sees a revoked invitation');
select is(tests.error_of(format($$select public.accept_team_invitation(%L)$$, tests.fid('team_invitations', 'two'))),
  tests.error_of(format($$select public.accept_team_invitation(%L)$$, extensions.gen_random_uuid())),
  'a revoked invitation cannot be accepted (the same error as an unknown id)');
select tests.clear_authentication();

/** --- Expiry (an invitation made 8 days ago, expired yesterday) --- */
insert into public.team_invitations (id, team_id, invitee_user_id, role, created_at, expires_at)
values (tests.fid('team_invitations', 'old'), tests.fid('teams', 'A'), tests.get_supabase_uid('inv_two'), 'editor', now() - interval '8 days', now() - interval '1 day');
select tests.authenticate_as('inv_two');
select is_empty($$select 1 from public.team_invitations$$, 'the invitee does not see an expired invitation');
select is(tests.error_of(format($$select public.accept_team_invitation(%L)$$, tests.fid('team_invitations', 'old'))),
  tests.error_of(format($$select public.accept_team_invitation(%L)$$, extensions.gen_random_uuid())),
  'an expired invitation cannot be accepted (the same error as an unknown id)');
select tests.clear_authentication();

/** --- An e-mail invitation, accepted --- */
insert into public.team_invitations (id, team_id, invitee_email, role)
values (tests.fid('team_invitations', 'mail'), tests.fid('teams', 'B'), 'INV.TWO@test.local', 'viewer');
select tests.authenticate_as('inv_two');
select results_eq($$select id from public.team_invitations$$, array[tests.fid('team_invitations', 'mail')],
  'the invitee sees the invitation sent to their e-mail address (any case)');
select is(public.accept_team_invitation(tests.fid('team_invitations', 'mail')), tests.fid('teams', 'B'), 'and accepts it');
select results_eq(format($$select role from public.team_members where user_id = %L$$, tests.get_supabase_uid('inv_two')), array['viewer'],
  'the e-mail invitee is now a viewer of Beta');
select tests.clear_authentication();

/** --- Who may accept at all --- */
select is(left(tests.error_as('anon', '{}', format($$select public.accept_team_invitation(%L)$$, tests.fid('team_invitations', 'A'))), 5),
  '42501', 'anon cannot accept invitations');
select is(left(tests.error_as('cryo_service', jsonb_build_object('sub', tests.get_supabase_uid('acc_outsider'), 'scope', 'teams:write', 'team_id', tests.fid('teams', 'A')),
    format($$select public.accept_team_invitation(%L)$$, tests.fid('team_invitations', 'A'))), 5),
  '42501', 'a service client cannot accept invitations, even with a user''s sub');
select is(left(tests.error_as('cryo_service', jsonb_build_object('sub', 'svc:importer', 'scope', 'teams:write'), $$select public.create_team('svc team')$$), 5),
  '42501', 'a service client cannot create teams');
select is(left(tests.error_as('anon', '{}', $$select public.create_team('anon team')$$), 5), '42501', 'anon cannot create teams');

/** --- Removal ends access at once --- */
select tests.authenticate_as('acc_owner_a');
select isnt_empty(format($$delete from public.team_members where team_id = %L and user_id = %L returning user_id$$,
  tests.fid('teams', 'A'), tests.get_supabase_uid('inv_one')), 'an owner removes the member who joined');
select tests.clear_authentication();
select tests.authenticate_as('inv_one');
select is_empty(format($$select 1 from public.teams where id = %L$$, tests.fid('teams', 'A')), 'the removed member no longer sees the team');
select is_empty(format($$select 1 from public.molecules where id = %L$$, tests.fid('molecules', 'A')), 'nor its private rows');
select throws_ok(format($$insert into public.molecules (name, smiles, inchikey, source, team_id, visibility)
  values ('after removal', 'C', 'AFTERREMOVALXX-XXXXXXXXXX-N', 'test', %L, 'team')$$, tests.fid('teams', 'A')), '42501', null,
  'nor writes into it');
select tests.clear_authentication();

-- The runner owns the temp table: API roles may not create temporary objects (TEMPORARY is revoked).
create temporary table outsider_team (id uuid);
grant select, insert on outsider_team to authenticated;
select tests.authenticate_as('acc_outsider');
insert into outsider_team select public.create_team('Outsider''s own lab');
select isnt_empty($$select 1 from public.teams where id = (select id from outsider_team)$$, 'a creator sees the team they created');
select isnt_empty($$delete from public.team_members where team_id = (select id from outsider_team) returning user_id$$, 'the creator (owner) leaves it');
select is_empty($$select 1 from public.teams where id = (select id from outsider_team)$$,
  'having created a team gives no access once the membership is gone');
select lives_ok($$select public.create_team('Fixture Beta')$$, 'a team name used by a team the caller cannot see is free to use (no hint it exists)');
select throws_ok($$select public.create_team('Fixture Beta')$$, '23505', null, 'a user cannot create two teams of the same name');
select tests.clear_authentication();

/** --- Who sets server-owned columns: only roles that bypass RLS (the project's), never an API role --- */
select is(private.is_project_role(r), r in ('postgres', 'service_role'),
  format('%s %s a project role', r, case when r in ('postgres', 'service_role') then 'is' else 'is not' end))
from unnest(array['postgres', 'service_role', 'anon', 'authenticated', 'cryo_service', 'cryo_api', 'authenticator']) r;

/** --- created_by is the server's --- */
select tests.authenticate_as('acc_editor_a');
select lives_ok(format($$insert into public.molecules (id, name, smiles, inchikey, source, team_id, visibility, created_by)
  values (%L, 'forged creator', 'CC', 'FORGEDCREATORX-XXXXXXXXXX-N', 'test', %L, 'team', %L)$$,
  tests.fid('molecules', 'forged'), tests.fid('teams', 'A'), tests.get_supabase_uid('acc_owner_a')), 'an editor inserts a molecule naming someone else as creator');
select is((select created_by from public.molecules where id = tests.fid('molecules', 'forged')), tests.get_supabase_uid('acc_editor_a'),
  'the molecule''s creator is the caller, not the value sent');
select lives_ok(format($$update public.molecules set created_by = %L where id = %L$$, tests.get_supabase_uid('acc_owner_a'), tests.fid('molecules', 'forged')),
  'an editor updates created_by...');
select is((select created_by from public.molecules where id = tests.fid('molecules', 'forged')), tests.get_supabase_uid('acc_editor_a'),
  '...and it does not change');
select lives_ok(format($$insert into public.mixtures (id, name, source, team_id, visibility, created_by) values (%L, 'forged mixture', 'test', %L, 'team', %L)$$,
  tests.fid('mixtures', 'forged'), tests.fid('teams', 'A'), tests.get_supabase_uid('acc_owner_a')), 'an editor inserts a mixture naming someone else');
select is((select created_by from public.mixtures where id = tests.fid('mixtures', 'forged')), tests.get_supabase_uid('acc_editor_a'),
  'the mixture''s creator is the caller');
select tests.clear_authentication();
select is(tests.error_as('cryo_service', jsonb_build_object('sub', 'svc:importer', 'scope', 'molecules:write mixtures:write', 'team_id', tests.fid('teams', 'A')),
  format($$insert into public.molecules (id, name, smiles, inchikey, source, team_id, visibility, created_by)
    values (%L, 'service molecule', 'CCC', 'SERVICEMOLECUL-EXXXXXXXXX-N', 'test', %L, 'team', %L)$$,
    tests.fid('molecules', 'svc'), tests.fid('teams', 'A'), tests.get_supabase_uid('acc_owner_a'))),
  'no error', 'a service client whose sub is not a uuid writes a molecule without error');
select is(tests.error_as('cryo_service', jsonb_build_object('sub', 'svc:importer', 'scope', 'molecules:write mixtures:write', 'team_id', tests.fid('teams', 'A')),
  format($$insert into public.mixtures (name, source, team_id, visibility) values ('service mixture', 'test', %L, 'team')$$, tests.fid('teams', 'A'))),
  'no error', 'and a mixture');
select tests.authenticate_as_role('cryo_service', jsonb_build_object('sub', 'svc:importer', 'scope', 'molecules:write', 'team_id', tests.fid('teams', 'A')));
insert into public.molecules (id, name, smiles, inchikey, source, team_id, visibility, created_by)
values (tests.fid('molecules', 'svc'), 'service molecule', 'CCC', 'SERVICEMOLECUL-EXXXXXXXXX-N', 'test', tests.fid('teams', 'A'), 'team', tests.get_supabase_uid('acc_owner_a'));
select tests.clear_authentication();
select is((select created_by from public.molecules where id = tests.fid('molecules', 'svc')), null,
  'a service client''s rows have no creator (its sub is not a user), whatever it sent');

/** --- Errors tell nothing about rows the caller cannot read --- */
select tests.authenticate_as('acc_editor_a');
select is(tests.error_of(format($$insert into public.molecule_identifiers (molecule_id, kind, value, source) values (%L, 'cas', '50-00-0', 't')$$, tests.fid('molecules', 'B'))),
          tests.error_of(format($$insert into public.molecule_identifiers (molecule_id, kind, value, source) values (%L, 'cas', '50-00-0', 't')$$, extensions.gen_random_uuid())),
  'an identifier for another team''s hidden molecule fails exactly like one for a molecule that does not exist (code and text)');
select is(left(tests.error_of(format($$insert into public.molecule_identifiers (molecule_id, kind, value, source) values (%L, 'cas', '50-00-0', 't')$$, tests.fid('molecules', 'B'))), 5),
  '42501', 'and that error is a refusal (42501), as for any row the caller may not write');
select is(tests.error_of(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'M')$$,
            tests.fid('mixtures', 'A'), tests.fid('molecules', 'B'))),
          tests.error_of(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'M')$$,
            tests.fid('mixtures', 'A'), extensions.gen_random_uuid())),
  'a component using another team''s hidden molecule fails exactly like one using a molecule that does not exist');
select is(tests.error_of(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'M')$$,
            tests.fid('mixtures', 'B'), tests.fid('molecules', 'P'))),
          tests.error_of(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'M')$$,
            extensions.gen_random_uuid(), tests.fid('molecules', 'P'))),
  'a component of another team''s hidden mixture fails exactly like one of a mixture that does not exist');
select is(tests.error_of(format($$update public.molecular_properties set molecule_id = %L where id = %L$$, tests.fid('molecules', 'B'), tests.fid('molecular_properties', 'A'))),
          tests.error_of(format($$update public.molecular_properties set molecule_id = %L where id = %L$$, extensions.gen_random_uuid(), tests.fid('molecular_properties', 'A'))),
  'moving a property onto a hidden molecule fails exactly like moving it onto a missing one');
select unalike(tests.error_of(format($$insert into public.molecule_identifiers (molecule_id, kind, value, source, team_id) values (%L, 'cas', '50-00-0', 't', %L)$$,
  tests.fid('molecules', 'A'), tests.fid('teams', 'B'))), '%' || tests.fid('teams', 'B') || '%',
  'a team mismatch error does not echo another team''s id');
select matches(tests.error_of(format($$insert into public.molecule_identifiers (molecule_id, kind, value, source, team_id) values (%L, 'cas', '50-00-0', 't', %L)$$,
  tests.fid('molecules', 'A'), tests.fid('teams', 'B'))), '^23514: ', 'a team mismatch is still a check violation (23514)');
select doesnt_match(tests.error_of(format($$insert into public.molecule_identifiers (molecule_id, kind, value, source, team_id) values (%L, 'cas', '50-00-0', 't', %L)$$,
  tests.fid('molecules', 'A'), tests.fid('teams', 'B'))), '[0-9a-f]{8}-([0-9a-f]{4}-){3}', 'and names no id at all');
select tests.clear_authentication();
select is(tests.error_as('cryo_service', jsonb_build_object('scope', 'properties:write', 'team_id', tests.fid('teams', 'A')),
    format($$insert into public.molecular_properties (molecule_id, property_type_id, numeric_value, source) values (%L, %L, 1, 't')$$, tests.fid('molecules', 'B'), tests.fid('property_types', 'P'))),
  tests.error_as('cryo_service', jsonb_build_object('scope', 'properties:write', 'team_id', tests.fid('teams', 'A')),
    format($$insert into public.molecular_properties (molecule_id, property_type_id, numeric_value, source) values (%L, %L, 1, 't')$$, extensions.gen_random_uuid(), tests.fid('property_types', 'P'))),
  'a service client writing a property of another team''s molecule fails exactly like one of a missing molecule');
select is(tests.error_as('cryo_service', jsonb_build_object('scope', 'properties:write', 'team_id', tests.fid('teams', 'A')),
    format($$insert into public.molecular_properties (molecule_id, property_type_id, numeric_value, source) values (%L, %L, 1, 't')$$, tests.fid('molecules', 'A'), tests.fid('property_types', 'P'))),
  'no error', 'while a property of its own team''s molecule is written (the parent need not be readable under another scope)');
select matches(tests.error_of(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'M')$$,
  tests.fid('mixtures', 'P'), tests.fid('molecules', 'A'))), '^23514: ', 'a private molecule in a public mixture is refused (23514)');
select doesnt_match(tests.error_of(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'M')$$,
  tests.fid('mixtures', 'P'), tests.fid('molecules', 'A'))), '[0-9a-f]{8}-([0-9a-f]{4}-){3}',
  'without naming the molecule or its team');

select * from finish();
rollback;

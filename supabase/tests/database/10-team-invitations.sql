/**
 * Membership by consent: inviting (server-set inviter, timestamps and expiry), accepting by user id and
 * by e-mail, revocation, expiry, who may accept or create teams, removal ending access at once, and team
 * names. The invitation matrix is in 02-access-matrix; forged creators and hidden-row errors have their
 * own threat files.
 */
begin;
select plan(48);
select tests.access_fixture();
do $$ begin
  perform tests.create_supabase_user('inv_one', 'inv.one@test.local');
  perform tests.create_supabase_user('inv_two', 'inv.two@test.local');
end $$;

/** --- Inviting --- */
-- as the owner of Alpha
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

/** --- Accepting --- */
-- as the invitee (by user id)
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

-- as a user the invitation is not for
select tests.authenticate_as('acc_outsider');
select is(tests.error_of(format($$select public.accept_team_invitation(%L)$$, tests.fid('team_invitations', 'two'))),
  tests.error_of(format($$select public.accept_team_invitation(%L)$$, extensions.gen_random_uuid())),
  'accepting someone else''s invitation fails exactly like accepting an unknown id');
select is_empty(format($$select 1 from public.team_members where team_id = %L and user_id = %L$$, tests.fid('teams', 'A'), tests.get_supabase_uid('acc_outsider')),
  'and makes no membership');
select tests.clear_authentication();

/** --- Revocation --- */
-- as the owner of Alpha
select tests.authenticate_as('acc_owner_a');
select isnt_empty(format($$update public.team_invitations set revoked_at = now() where id = %L returning id$$, tests.fid('team_invitations', 'two')),
  'an owner revokes an invitation');
select isnt_empty(format($$update public.team_invitations set revoked_at = null, role = 'owner', invitee_email = 'me@test.local' where id = %L returning id$$,
  tests.fid('team_invitations', 'two')), 'an owner''s other edits are accepted as statements...');
select ok((select revoked_at is not null and role = 'viewer' and invitee_email = 'inv.two@test.local' from public.team_invitations where id = tests.fid('team_invitations', 'two')),
  '...but change nothing: a revocation cannot be undone, role and invitee stay');
select tests.clear_authentication();
-- as the invitee of the revoked invitation
select tests.authenticate_as('inv_two');
select is_empty($$select 1 from public.team_invitations$$, 'the invitee no longer sees a revoked invitation');
select is(tests.error_of(format($$select public.accept_team_invitation(%L)$$, tests.fid('team_invitations', 'two'))),
  tests.error_of(format($$select public.accept_team_invitation(%L)$$, extensions.gen_random_uuid())),
  'a revoked invitation cannot be accepted (the same error as an unknown id)');
select tests.clear_authentication();

/** --- Expiry (an invitation made 8 days ago, expired yesterday) --- */
insert into public.team_invitations (id, team_id, invitee_user_id, role, created_at, expires_at)
values (tests.fid('team_invitations', 'old'), tests.fid('teams', 'A'), tests.get_supabase_uid('inv_two'), 'editor', now() - interval '8 days', now() - interval '1 day');
-- as the invitee of the expired invitation
select tests.authenticate_as('inv_two');
select is_empty($$select 1 from public.team_invitations$$, 'the invitee does not see an expired invitation');
select is(tests.error_of(format($$select public.accept_team_invitation(%L)$$, tests.fid('team_invitations', 'old'))),
  tests.error_of(format($$select public.accept_team_invitation(%L)$$, extensions.gen_random_uuid())),
  'an expired invitation cannot be accepted (the same error as an unknown id)');
select tests.clear_authentication();

/** --- An e-mail invitation, accepted --- */
insert into public.team_invitations (id, team_id, invitee_email, role)
values (tests.fid('team_invitations', 'mail'), tests.fid('teams', 'B'), 'INV.TWO@test.local', 'viewer');
-- as the invitee by e-mail
select tests.authenticate_as('inv_two');
select results_eq($$select id from public.team_invitations$$, array[tests.fid('team_invitations', 'mail')],
  'the invitee sees the invitation sent to their e-mail address (any case)');
select is(public.accept_team_invitation(tests.fid('team_invitations', 'mail')), tests.fid('teams', 'B'), 'and accepts it');
select results_eq(format($$select role::text from public.team_members where user_id = %L$$, tests.get_supabase_uid('inv_two')), array['viewer'],
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
-- as the owner of Alpha
select tests.authenticate_as('acc_owner_a');
select isnt_empty(format($$delete from public.team_members where team_id = %L and user_id = %L returning user_id$$,
  tests.fid('teams', 'A'), tests.get_supabase_uid('inv_one')), 'an owner removes the member who joined');
select tests.clear_authentication();
-- as the removed member
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
-- as a user who created a team and left it
select tests.authenticate_as('acc_outsider');
insert into outsider_team select public.create_team('Outsider''s own lab');
select isnt_empty($$select 1 from public.teams where id = (select id from outsider_team)$$, 'a creator sees the team they created');
select isnt_empty($$delete from public.team_members where team_id = (select id from outsider_team) returning user_id$$, 'the creator (owner) leaves it');
select is_empty($$select 1 from public.teams where id = (select id from outsider_team)$$,
  'having created a team gives no access once the membership is gone');
select lives_ok($$select public.create_team('Fixture Beta')$$, 'a team name used by a team the caller cannot see is free to use (no hint it exists)');
select throws_ok($$select public.create_team('Fixture Beta')$$, '23505', null, 'a user cannot create two teams of the same name');
select tests.clear_authentication();

select * from finish();
rollback;

/**
 * Threat: an invitation addressed to an e-mail address is taken by someone who merely claims that address.
 * Supabase Auth puts a user's e-mail into the token's `email` claim before the address is confirmed (sign-up
 * with confirmations off, which is the CLI default, an unconfirmed sign-up on some providers). Whoever signs
 * up as victim@… must not see or accept the victim's invitations: an e-mail invitation belongs only to a
 * user whose address auth.users records as confirmed.
 */
begin;
select plan(6);
select tests.access_fixture();
do $$
declare
  impostor uuid := tests.create_supabase_user('rt_impostor', 'rt.victim@test.local');
begin
  -- Signed up with the victim's address and never confirmed it.
  update auth.users set email_confirmed_at = null where id = impostor;
end $$;

-- as the owner of Alpha
select tests.authenticate_as('acc_owner_a');
select lives_ok(format($$insert into public.team_invitations (id, team_id, invitee_email, role) values (%L, %L, 'rt.victim@test.local', 'editor')$$,
  tests.fid('team_invitations', 'rt_victim'), tests.fid('teams', 'A')), 'the owner of Alpha invites rt.victim@test.local as an editor');
select tests.clear_authentication();

-- as a user who signed up with the victim's address without confirming it
select tests.authenticate_as('rt_impostor');
select is_empty(format($$select 1 from public.team_invitations where id = %L$$, tests.fid('team_invitations', 'rt_victim')),
  'an unconfirmed address does not show the invitation addressed to it');
select throws_ok(format($$select public.accept_team_invitation(%L)$$, tests.fid('team_invitations', 'rt_victim')),
  'P0002', null, 'an unconfirmed address cannot accept the invitation addressed to it (no membership for the impostor)');
select tests.clear_authentication();

-- as a confirmed user whose token carries the victim's address in its email claim (only auth.users counts)
select tests.authenticate_as_role('authenticated', jsonb_build_object('sub', tests.get_supabase_uid('acc_outsider'), 'email', 'rt.victim@test.local'));
select is_empty(format($$select 1 from public.team_invitations where id = %L$$, tests.fid('team_invitations', 'rt_victim')),
  'the email claim alone shows no invitation: the address is read from auth.users');
select throws_ok(format($$select public.accept_team_invitation(%L)$$, tests.fid('team_invitations', 'rt_victim')),
  'P0002', null, 'and accepts none');
select tests.clear_authentication();

-- the same user once the address is confirmed: the invitation is theirs
update auth.users set email_confirmed_at = now() where id = tests.get_supabase_uid('rt_impostor');
select tests.authenticate_as('rt_impostor');
select is(public.accept_team_invitation(tests.fid('team_invitations', 'rt_victim')), tests.fid('teams', 'A'),
  'once auth.users records the address as confirmed, its owner accepts the invitation');
select tests.clear_authentication();

select * from finish();
rollback;

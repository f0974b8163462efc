/**
 * Threat: access outliving a membership, or granted by a claim. Membership is read live from team_members
 * in every statement (20261130070000_lean_access_helpers.sql): a member removed from a team, or an editor
 * demoted to viewer, loses that access in the very next statement, even on a connection (and in a
 * transaction) that already used it with the same claims; no claim but `sub` ever names a team for a
 * signed-in user, so team ids, roles or epochs carried in the token (as a custom access-token hook could add
 * them) grant nothing. The staleness bound is zero statements.
 */
begin;
select plan(16);
select tests.access_fixture();

-- as a viewer of Alpha, before and after removal, on one connection with the same claims
select tests.authenticate_as('acc_viewer_a');
select is((select count(*)::int from public.molecules where id = tests.fid('molecules', 'A')), 1,
  'a viewer of Alpha reads Alpha''s private molecule');
select is((select count(*)::int from public.teams where id = tests.fid('teams', 'A')), 1, 'and sees team Alpha');
reset role; -- the claims stay set: only the project owner removes the membership, in the same transaction
delete from public.team_members where team_id = tests.fid('teams', 'A') and user_id = tests.get_supabase_uid('acc_viewer_a');
set local role authenticated;
select is((select count(*)::int from public.molecules where id = tests.fid('molecules', 'A')), 0,
  'removed from Alpha, the same claims no longer read Alpha''s private molecule in the next statement');
select is((select count(*)::int from public.mixtures where id = tests.fid('mixtures', 'A')), 0,
  'nor Alpha''s private mixture');
select is((select count(*)::int from public.teams where id = tests.fid('teams', 'A')), 0, 'nor team Alpha itself');
select is((select count(*)::int from public.team_members where team_id = tests.fid('teams', 'A')), 0, 'nor Alpha''s members');
select is((select count(*)::int from public.molecules where id = tests.fid('molecules', 'P')), 1,
  'public rows stay readable: only the team''s access went');
select tests.clear_authentication();

-- as an editor of Alpha, demoted to viewer between two statements
select tests.authenticate_as('acc_editor_a');
select is(tests.attempt(format($$update public.molecules set name = 'renamed' where id = %L$$, tests.fid('molecules', 'A'))), 'allowed',
  'an editor of Alpha may rename Alpha''s molecule');
reset role;
update public.team_members set role = 'viewer'
where team_id = tests.fid('teams', 'A') and user_id = tests.get_supabase_uid('acc_editor_a');
set local role authenticated;
select is(tests.attempt(format($$update public.molecules set name = 'renamed' where id = %L$$, tests.fid('molecules', 'A'))), 'filtered',
  'demoted to viewer, the same claims can no longer write Alpha''s molecule');
select is((select count(*)::int from public.molecules where id = tests.fid('molecules', 'A')), 1,
  'but still read it, as a viewer');
select tests.clear_authentication();

-- as the outsider, with forged team claims in every shape a token could carry them
select tests.authenticate_as('acc_outsider');
select from set_config('request.jwt.claims', (private.request_claims()
  || jsonb_build_object('team_id', tests.fid('teams', 'A'), 'team_ids', jsonb_build_array(tests.fid('teams', 'A')),
       'teams', jsonb_build_array(tests.fid('teams', 'A')), 'team_role', 'owner', 'team_epoch', 1e12,
       'app_metadata', jsonb_build_object('provider', 'email', 'team_ids', jsonb_build_array(tests.fid('teams', 'A')),
         'team_roles', jsonb_build_object(tests.fid('teams', 'A'), 'owner'))))::text, true);
select is((select count(*)::int from public.molecules where id = tests.fid('molecules', 'A')), 0,
  'team ids in the claims (top level or app_metadata) do not let a non-member read a team''s molecule');
select is((select count(*)::int from public.teams where id = tests.fid('teams', 'A')), 0, 'nor see the team');
select is(tests.attempt(format($$update public.molecules set name = 'forged' where id = %L$$, tests.fid('molecules', 'A'))), 'filtered',
  'nor write it with a forged owner role claim');
select is(private.my_team_ids(), '{}'::uuid[], 'the membership helper answers from team_members, not from the claims');
select tests.clear_authentication();

-- as the viewer removed above, presenting a token issued before the removal
select tests.authenticate_as('acc_viewer_a');
select from set_config('request.jwt.claims', (private.request_claims()
  || jsonb_build_object('iat', extract(epoch from now())::bigint - 3000,
       'app_metadata', jsonb_build_object('team_ids', jsonb_build_array(tests.fid('teams', 'A')))))::text, true);
select is((select count(*)::int from public.molecules where id = tests.fid('molecules', 'A')), 0,
  'a still-valid token issued while a member, team ids and all, reads nothing of the team after removal');
select is(private.my_editable_team_ids(), '{}'::uuid[], 'and names no team it may write');
select tests.clear_authentication();

select * from finish();
rollback;

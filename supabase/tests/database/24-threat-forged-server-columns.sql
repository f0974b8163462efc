/**
 * Threat: a client forges the columns the server owns. created_by (teams, molecules, mixtures) is the
 * calling user for every API role, whatever the client sent, and never changes; a service client's rows
 * have no creator; only roles that bypass RLS (the project's own) may name one. (Invitations' server
 * columns: 10-team-invitations.)
 */
begin;
select plan(16);
select tests.access_fixture();

/** --- Who sets server-owned columns: only roles that bypass RLS (the project's), never an API role --- */
select is(private.is_project_role(r), r in ('postgres', 'service_role'),
  format('%s %s a project role', r, case when r in ('postgres', 'service_role') then 'is' else 'is not' end))
from unnest(array['postgres', 'service_role', 'anon', 'authenticated', 'cryo_service', 'cryo_api', 'authenticator']) r;

/** --- created_by is the server's --- */
-- as an editor of Alpha
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

-- as a service client whose sub is not a user id
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

select * from finish();
rollback;

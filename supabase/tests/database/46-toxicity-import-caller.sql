/**
 * An import job records who started it, from the verified request only: the service client's id from its
 * token's client_id claim, the user from private.uid(); whatever the insert itself says is overwritten.
 */
begin;
select plan(5);
select tests.access_fixture();

/** --- A service client's job --- */
select set_config('request.jwt.claims', jsonb_build_object('role', 'cryo_service', 'sub', 'cpc_abcdefghijklmnopqrstuvwx',
  'client_id', 'cpc_abcdefghijklmnopqrstuvwx', 'scope', 'toxicity:import', 'team_id', tests.fid('teams', 'A'))::text, true);
insert into public.toxicity_import_jobs (id, source_id, format, target_visibility, team_id, client_id, created_by)
values (tests.fid('toxicity_import_jobs', 'svc'), tests.fid('toxicity_sources', 'P'), 'tox21', 'team', tests.fid('teams', 'A'),
        'cpc_forgedforgedforgedforge', tests.get_supabase_uid('acc_owner_b'));
select is((select client_id from public.toxicity_import_jobs where id = tests.fid('toxicity_import_jobs', 'svc')),
  'cpc_abcdefghijklmnopqrstuvwx', 'a service client''s job carries the client id of its token, not the one sent');
select is((select created_by from public.toxicity_import_jobs where id = tests.fid('toxicity_import_jobs', 'svc')),
  null, 'and no user');

/** --- A user's job --- */
select set_config('request.jwt.claims', jsonb_build_object('role', 'authenticated', 'sub', tests.get_supabase_uid('acc_editor_a'),
  'client_id', 'cpc_abcdefghijklmnopqrstuvwx')::text, true);
insert into public.toxicity_import_jobs (id, source_id, format, target_visibility, team_id)
values (tests.fid('toxicity_import_jobs', 'user'), tests.fid('toxicity_sources', 'P'), 'tox21', 'team', tests.fid('teams', 'A'));
select is((select created_by from public.toxicity_import_jobs where id = tests.fid('toxicity_import_jobs', 'user')),
  tests.get_supabase_uid('acc_editor_a'), 'a user''s job carries the user of the token');
select is((select client_id from public.toxicity_import_jobs where id = tests.fid('toxicity_import_jobs', 'user')),
  null, 'and no client id, even when a client_id claim rides along');

/** --- The column --- */
select col_type_is('public', 'toxicity_import_jobs', 'client_id', 'text', 'client ids are text (cpc_…), like private.service_client_id');

select * from finish();
rollback;

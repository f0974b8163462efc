/**
 * The per-molecule toxicity summary (20261130050300_toxicity_summary.sql): one row per molecule and owner
 * (public records, or one team's), read only through public.toxicity_summary(), which re-checks access on
 * the LIVE molecule and on the row's owner. Who sees which row, what the numbers are, and how it is
 * refreshed.
 *
 * The data: a public molecule S with twelve public records (LD50 for rat/oral ×3 with qualifiers, mouse/oral,
 * and one that states no species or route; hit calls of two endpoints, one matched by skeleton only; two
 * GHS categories; two sources), one record of Alpha and one of Beta about it, and a formulation whose
 * active ingredient is S (never counted as S's).
 */
begin;
select plan(33);
select tests.access_fixture();

insert into public.molecules (id, name, smiles, inchikey, source, visibility)
values (tests.fid('molecules', 'S'), 'summary molecule', 'CC', 'FIXTUREMOLECUL-SSSSSSSSSS-N', 'fixture', 'public');
insert into public.toxicity_sources (id, name, title) values (tests.fid('toxicity_sources', 'S2'), 'fixture-source-2', 'Second fixture source');
do $$
declare
  c jsonb;
  s uuid := tests.fid('molecules', 'S');
  sr uuid := (select id from public.toxicity_endpoints where code = 'stress_response');
  nr uuid := (select id from public.toxicity_endpoints where code = 'nuclear_receptor_activity');
begin
  for c in select * from jsonb_array_elements(jsonb_build_array(
    -- LD50, rat, oral: the lowest is a bound ('<'); the median is the middle value
    jsonb_build_object('value', 1000, 'qualifier', '<', 'species', 'rat', 'route', 'oral'),
    jsonb_build_object('value', 2500, 'species', 'rat', 'route', 'oral'),
    jsonb_build_object('value', 5000, 'qualifier', '>', 'species', 'rat', 'route', 'oral', 'source_id', tests.fid('toxicity_sources', 'S2')),
    jsonb_build_object('value', 3100, 'species', 'mouse', 'route', 'oral'),
    jsonb_build_object('value', 14500), -- no species, no route stated
    jsonb_build_object('value_type', 'hit_call', 'unit', 'call', 'value', 1, 'endpoint_id', sr),
    jsonb_build_object('value_type', 'hit_call', 'unit', 'call', 'value', 0, 'endpoint_id', sr),
    jsonb_build_object('value_type', 'hit_call', 'unit', 'call', 'value', 0, 'endpoint_id', sr),
    jsonb_build_object('value_type', 'hit_call', 'unit', 'call', 'value', 0, 'endpoint_id', nr),
    jsonb_build_object('value_type', 'hit_call', 'unit', 'call', 'value', 0, 'endpoint_id', nr, 'molecule_match', 'skeleton'),
    jsonb_build_object('value_type', 'GHS_category', 'unit', 'category', 'value', 5),
    jsonb_build_object('value_type', 'GHS_category', 'unit', 'category', 'value', 4),
    -- not S's: a formulation with S as its active ingredient
    jsonb_build_object('value', 10, 'species', 'rat', 'route', 'oral', 'molecule_id', null, 'molecule_match', null,
                       'formulation_name', 'fixture product', 'active_ingredient_molecule_id', s),
    -- each team's own value
    jsonb_build_object('value', 50, 'species', 'rat', 'route', 'oral', 'team_id', tests.fid('teams', 'A'), 'visibility', 'team'),
    jsonb_build_object('value', 60, 'species', 'rat', 'route', 'oral', 'team_id', tests.fid('teams', 'B'), 'visibility', 'team'))) loop
    execute tests.toxicity_insert(jsonb_build_object('molecule_id', s) || c);
  end loop;
end
$$;

/** --- Refresh --- */
select is_empty($$select 1 from private.toxicity_summary where molecule_id = tests.fid('molecules', 'S')$$,
  'before a refresh the view knows nothing of the new records');
select cmp_ok(private.refresh_catalogue_view('toxicity_summary'), '>=', 0::numeric,
  'private.refresh_catalogue_view(''toxicity_summary'') refreshes it and returns its duration');
select is((select count(*)::int from private.toxicity_summary where molecule_id = tests.fid('molecules', 'S')), 3,
  'after it, S has three rows: the public records'', Alpha''s and Beta''s');
select is((select count(*)::int from cron.job where jobname = 'refresh-toxicity-summary' and schedule = '*/10 * * * *'
             and command = $$select private.refresh_catalogue_view('toxicity_summary')$$), 1,
  'pg_cron refreshes the summary every 10 minutes');
select isnt((select last_refreshed_at from private.matview_refresh_log where view_name = 'toxicity_summary'), null,
  'the refresh is logged for catalogue_refresh_status');

/** --- The numbers (the public row, read as anon) --- */
-- as anon
select tests.authenticate_as_role('anon');
select is((select ld50 from public.toxicity_summary(array[tests.fid('molecules', 'S')]) where team_id is null),
  '[{"species": "rat", "route": "oral", "n": 3, "lowest": 1000, "lowest_qualifier": "<", "median": 2500, "unit": "mg/kg"},
    {"species": "mouse", "route": "oral", "n": 1, "lowest": 3100, "lowest_qualifier": "=", "median": 3100, "unit": "mg/kg"},
    {"species": null, "route": null, "n": 1, "lowest": 14500, "lowest_qualifier": "=", "median": 14500, "unit": "mg/kg"}]'::jsonb,
  'LD50 per species and route: count, lowest with its qualifier, median; a record stating neither is its own group; the formulation''s 10 mg/kg is not S''s');
select is((select hit_calls from public.toxicity_summary(array[tests.fid('molecules', 'S')]) where team_id is null),
  '[{"endpoint": "nuclear_receptor_activity", "tested": 2, "active": 0}, {"endpoint": "stress_response", "tested": 3, "active": 1}]'::jsonb,
  'hit calls: tested and active per endpoint');
select is((select lowest_ghs_category from public.toxicity_summary(array[tests.fid('molecules', 'S')]) where team_id is null), 4,
  'the lowest (most severe) GHS category');
select is((select record_count from public.toxicity_summary(array[tests.fid('molecules', 'S')]) where team_id is null), 12::bigint,
  'twelve public records are S''s (the formulation''s and the teams'' are not counted)');
select is((select source_count from public.toxicity_summary(array[tests.fid('molecules', 'S')]) where team_id is null), 2::bigint,
  'from two sources');
select is((select has_skeleton_matches from public.toxicity_summary(array[tests.fid('molecules', 'S')]) where team_id is null), true,
  'a record matched by skeleton only is flagged');
select is((select count(*)::int from public.toxicity_summary(array[tests.fid('molecules', 'S')])), 1, 'anon reads the public row only');
select tests.clear_authentication();

/** --- Who reads which row --- */
-- as a viewer of Alpha
select tests.authenticate_as('acc_viewer_a');
select is((select array_agg(coalesce(team_id::text, 'public') order by team_id nulls first) from public.toxicity_summary(array[tests.fid('molecules', 'S')])),
  array['public', tests.fid('teams', 'A')::text], 'a member of Alpha reads the public row and Alpha''s row');
select is((select ld50 -> 0 ->> 'lowest' from public.toxicity_summary(array[tests.fid('molecules', 'S')]) where team_id = tests.fid('teams', 'A')), '50',
  'Alpha''s row holds Alpha''s value only');
select tests.clear_authentication();

-- as an editor of Beta
select tests.authenticate_as('acc_editor_b');
select is((select array_agg(coalesce(team_id::text, 'public') order by team_id nulls first) from public.toxicity_summary(array[tests.fid('molecules', 'S')])),
  array['public', tests.fid('teams', 'B')::text], 'a member of Beta reads the public row and Beta''s row, never Alpha''s');
select tests.clear_authentication();

-- as a signed-in user in no team
select tests.authenticate_as('acc_outsider');
select is((select array_agg(coalesce(team_id::text, 'public')) from public.toxicity_summary(array[tests.fid('molecules', 'S')])),
  array['public'], 'a user in no team reads the public row only');
select tests.clear_authentication();

-- as service clients
select is(tests.value_as('svc_read_a', 'toxicity', format($$select coalesce(team_id::text, 'public') as owner from public.toxicity_summary(array[%L::uuid]) order by team_id nulls first$$,
  tests.fid('molecules', 'S'))), jsonb_build_array(jsonb_build_object('owner', 'public'), jsonb_build_object('owner', tests.fid('teams', 'A'))),
  'a service client of Alpha with toxicity:read reads the public row and Alpha''s');
select is(tests.value_as('svc_write_b', 'toxicity', format($$select coalesce(team_id::text, 'public') as owner from public.toxicity_summary(array[%L::uuid]) order by team_id nulls first$$,
  tests.fid('molecules', 'S'))), jsonb_build_array(jsonb_build_object('owner', 'public'), jsonb_build_object('owner', tests.fid('teams', 'B'))),
  'a service client of Beta reads the public row and Beta''s');
select is(tests.value_as('svc_none', 'toxicity', format($$select 1 from public.toxicity_summary(array[%L::uuid])$$, tests.fid('molecules', 'S'))), null,
  'a service client without a toxicity scope reads nothing, not even the public row');
select matches(tests.error_as('cryo_service', jsonb_build_object('scope', 'toxicity:read', 'team_id', tests.fid('teams', 'A')),
  'select * from private.toxicity_summary'), '^42501: ', 'the view itself is out of a service client''s reach');
select is(tests.value_as('svc_none', 'toxicity', format($$select 1 from public.toxicity_summary(array[%L::uuid])$$, tests.fid('molecules', 'A'))), null,
  'nor the private row of its own team''s molecule');

-- as anon: the view and its reader are closed; the batch is bounded
select tests.authenticate_as_role('anon');
select throws_ok($$select * from private.toxicity_summary$$, '42501', null, 'anon cannot read the view directly');
select throws_ok($$select * from public.toxicity_summary(array(select gen_random_uuid() from generate_series(1, 1001)))$$, '22023', 'at most 1000 molecule ids',
  'a lookup of more than 1,000 molecules is refused');
select is_empty($$select * from public.toxicity_summary(array[gen_random_uuid()])$$, 'an unknown molecule has no summary (no error)');
select tests.clear_authentication();

/** --- A molecule made private stops being summarised to non-members at once --- */
-- as the owner of Alpha: publish Alpha's molecule; a public record about it; refreshed
select tests.authenticate_as('acc_owner_a');
update public.molecules set visibility = 'public' where id = tests.fid('molecules', 'A');
select tests.clear_authentication();
do $$ begin
  execute tests.toxicity_insert(jsonb_build_object('id', tests.fid('toxicity_records', 'published'), 'molecule_id', tests.fid('molecules', 'A'), 'value', 777));
  perform private.refresh_catalogue_view('toxicity_summary');
end $$;
select tests.authenticate_as_role('anon');
select is((select record_count from public.toxicity_summary(array[tests.fid('molecules', 'A')]) where team_id is null), 1::bigint,
  'anon reads the public summary row of the published molecule');
select tests.clear_authentication();
-- the public record is withdrawn (so the guard lets the molecule go private), and Alpha un-publishes it; no refresh
delete from public.toxicity_records where id = tests.fid('toxicity_records', 'published');
select tests.authenticate_as('acc_owner_a');
update public.molecules set visibility = 'team' where id = tests.fid('molecules', 'A');
select tests.clear_authentication();
select is((select count(*)::int from private.toxicity_summary where molecule_id = tests.fid('molecules', 'A') and visibility = 'public'), 1,
  'the view still holds the public row (no refresh has run)');

select tests.authenticate_as_role('anon');
select is_empty($$select * from public.toxicity_summary(array[tests.fid('molecules', 'A')])$$, 'anon gets nothing once the molecule is private');
select tests.clear_authentication();
select tests.authenticate_as('acc_outsider');
select is_empty($$select * from public.toxicity_summary(array[tests.fid('molecules', 'A')])$$, 'nor does a user in no team');
select tests.clear_authentication();
select tests.authenticate_as('acc_editor_b');
select is_empty($$select * from public.toxicity_summary(array[tests.fid('molecules', 'A')])$$, 'nor a member of another team');
select tests.clear_authentication();
select is(tests.value_as('svc_write_b', 'toxicity', format($$select 1 from public.toxicity_summary(array[%L::uuid])$$, tests.fid('molecules', 'A'))), null,
  'nor another team''s service client');
select tests.authenticate_as('acc_viewer_a');
select isnt_empty($$select * from public.toxicity_summary(array[tests.fid('molecules', 'A')])$$, 'a member of the molecule''s team still reads it');
select tests.clear_authentication();

/** --- Deleted: gone at once --- */
select tests.authenticate_as('acc_owner_a');
delete from public.molecules where id = tests.fid('molecules', 'A');
select is_empty($$select * from public.toxicity_summary(array[tests.fid('molecules', 'A')])$$,
  'a deleted molecule has no summary, even for its team, before any refresh');
select tests.clear_authentication();
do $$ begin perform private.refresh_catalogue_view('toxicity_summary'); end $$;
select is_empty($$select 1 from private.toxicity_summary where molecule_id = tests.fid('molecules', 'A')$$, 'and the next refresh drops its rows');

select * from finish();
rollback;

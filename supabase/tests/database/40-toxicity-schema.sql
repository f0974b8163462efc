/**
 * The toxicity schema (migrations 20261130050000–050300) as a specification: what a toxicity record may
 * hold (the canonical unit of its value type, hit calls, categories, doses, one substance), the idempotency
 * key per owner, the import jobs' bookkeeping, and the access rule a record's molecule imposes (the
 * trigger private.toxicity_record_access() and the guard on molecules). The policy matrix of every table is
 * in 02-access-matrix.sql; the summary in 41-toxicity-summary.sql.
 * Each case changes one thing of a valid record (tests.toxicity_insert(), in 00-helpers.sql).
 */
begin;
select plan(58);
select tests.access_fixture();

/** --- Values: canonical unit per value type, calls, categories, doses (as the project owner) --- */
select is(tests.attempt(tests.toxicity_insert()), 'allowed', 'a public LD50 in mg/kg about a public molecule is a record');
select matches(tests.error_of(tests.toxicity_insert('{"unit": "mmol/kg"}')), '^23514: .*toxicity_records_canonical_unit',
  'an LD50 is stored in mg/kg only (other units stay in raw_unit)');
select matches(tests.error_of(tests.toxicity_insert('{"value_type": "AC50", "unit": "uM"}')), '^23514: .*toxicity_records_canonical_unit',
  'an AC50 is stored in µM, not spelt uM');
select is(tests.attempt(tests.toxicity_insert('{"value_type": "AC50", "unit": "µM", "value": 3.5}')), 'allowed', 'an AC50 in µM is a record');
select is(tests.attempt(tests.toxicity_insert('{"value_type": "hit_call", "unit": "call", "value": 1}')), 'allowed', 'an active hit call (1, =) is a record');
select is(tests.attempt(tests.toxicity_insert('{"value_type": "hit_call", "unit": "call", "value": 0}')), 'allowed', 'an inactive hit call (0, =) is a record');
select matches(tests.error_of(tests.toxicity_insert('{"value_type": "hit_call", "unit": "call", "value": 0.5}')), '^23514: .*toxicity_records_hit_call',
  'a hit call is 0 or 1, nothing between');
select matches(tests.error_of(tests.toxicity_insert('{"value_type": "hit_call", "unit": "call", "value": 1, "qualifier": ">"}')), '^23514: .*toxicity_records_hit_call',
  'a hit call carries the qualifier = only');
select matches(tests.error_of(tests.toxicity_insert('{"value_type": "hit_call", "unit": "mg/kg", "value": 1}')), '^23514: .*toxicity_records_canonical_unit',
  'a hit call''s unit is call');
select is(tests.attempt(tests.toxicity_insert('{"value_type": "GHS_category", "unit": "category", "value": 5}')), 'allowed', 'GHS category 5 is a record');
select matches(tests.error_of(tests.toxicity_insert('{"value_type": "GHS_category", "unit": "category", "value": 6}')), '^23514: .*toxicity_records_ghs_category',
  'there is no GHS acute oral category 6');
select matches(tests.error_of(tests.toxicity_insert('{"value_type": "GHS_category", "unit": "category", "value": 2.5}')), '^23514: .*toxicity_records_ghs_category',
  'a GHS category is a whole number');
select is(tests.attempt(tests.toxicity_insert('{"value_type": "EPA_category", "unit": "category", "value": 4}')), 'allowed', 'EPA category IV (4) is a record');
select matches(tests.error_of(tests.toxicity_insert('{"value_type": "EPA_category", "unit": "category", "value": 5}')), '^23514: .*toxicity_records_epa_category',
  'there is no EPA category 5');
select matches(tests.error_of(tests.toxicity_insert('{"value_type": "EPA_category", "unit": "category", "value": 0}')), '^23514: .*toxicity_records_epa_category',
  'there is no EPA category 0');
select matches(tests.error_of(tests.toxicity_insert('{"value": 0}')), '^23514: .*toxicity_records_positive_dose', 'an LD50 of 0 mg/kg is refused');
select matches(tests.error_of(tests.toxicity_insert('{"value_type": "AC50", "unit": "µM", "value": -1}')), '^23514: .*toxicity_records_positive_dose',
  'a negative AC50 is refused');
select matches(tests.error_of(tests.toxicity_insert('{"value": "NaN"}')), '^23514: .*toxicity_records_value_check', 'NaN is not a value');
select matches(tests.error_of(tests.toxicity_insert('{"value": "Infinity"}')), '^23514: .*toxicity_records_value_check', 'infinity is not a value');
select matches(tests.error_of(tests.toxicity_insert('{"qualifier": "approx"}')), '^23514: .*toxicity_qualifier',
  'a normalized qualifier is one of = < <= > >= ~ (the domain)');
select matches(tests.error_of(tests.toxicity_insert('{"value_type": "NOAEL"}')), '^23514: .*toxicity_value_type',
  'a value type outside the domain is refused');
select matches(tests.error_of(tests.toxicity_insert('{"raw_value": ""}')), '^23514: .*toxicity_records_raw_value_check',
  'the raw value is never empty');

/** --- One substance: a molecule (with how it matched) or a formulation, never both --- */
select is(tests.attempt(tests.toxicity_insert(jsonb_build_object('molecule_id', null, 'molecule_match', null,
  'formulation_name', 'Cavicide 1', 'active_ingredient_molecule_id', tests.fid('molecules', 'P')))), 'allowed', 'a formulation with its active ingredient (for navigation) is a record');
select matches(tests.error_of(tests.toxicity_insert('{"formulation_name": "Cavicide 1"}')), '^23514: .*toxicity_records_substance',
  'a record is about a molecule or a formulation, not both');
select matches(tests.error_of(tests.toxicity_insert('{"molecule_id": null, "molecule_match": null}')), '^23514: .*toxicity_records_substance',
  'a record is about something');
select matches(tests.error_of(tests.toxicity_insert('{"molecule_match": null}')), '^23514: .*toxicity_records_substance',
  'a molecule record says how the molecule was matched');
select matches(tests.error_of(tests.toxicity_insert('{"molecule_match": "fuzzy"}')), '^23514: .*toxicity_records_molecule_match_check',
  'a match is exact or skeleton');
select matches(tests.error_of(tests.toxicity_insert('{"visibility": "team"}')), '^23514: .*toxicity_records_team_visibility',
  'a team-only record names its team');

/** --- record_key: the idempotency key, unique per owner --- */
select matches(tests.error_of(tests.toxicity_insert('{"record_key": "not-a-digest"}')), '^23514: .*toxicity_records_record_key_check',
  'a record key is 64 lowercase hex digits');
select matches(tests.error_of(tests.toxicity_insert(jsonb_build_object('record_key', upper(repeat('ab', 32))))), '^23514: .*toxicity_records_record_key_check',
  'a record key is lowercase');
select lives_ok(tests.toxicity_insert(jsonb_build_object('record_key', repeat('1', 64))), 'a public record with key 111…');
select matches(tests.error_of(tests.toxicity_insert(jsonb_build_object('record_key', repeat('1', 64), 'value', 999))), '^23505: .*toxicity_records_key',
  'public rows share one key space: the same key twice is one record');
select lives_ok(tests.toxicity_insert(jsonb_build_object('record_key', repeat('1', 64), 'team_id', tests.fid('teams', 'A'), 'visibility', 'team')),
  'a team may hold its own copy of a public record''s key');
select matches(tests.error_of(tests.toxicity_insert(jsonb_build_object('record_key', repeat('1', 64), 'team_id', tests.fid('teams', 'A'), 'visibility', 'team'))),
  '^23505: .*toxicity_records_key', 'but only once: each team has one key space');
select lives_ok(tests.toxicity_insert(jsonb_build_object('record_key', repeat('1', 64), 'team_id', tests.fid('teams', 'B'), 'visibility', 'team')),
  'another team''s key space is its own');

/** --- Import jobs: the buckets partition what was seen; one open job per team and file --- */
select matches(tests.error_of(format($$insert into public.toxicity_import_jobs (source_id, format, target_visibility, team_id, units_seen, imported, duplicate, rejected, not_a_record)
  values (%L, 'tox21', 'team', %L, 10, 5, 2, 1, 1)$$, tests.fid('toxicity_sources', 'P'), tests.fid('teams', 'A'))), '^23514: .*toxicity_import_jobs_buckets',
  'a job whose buckets do not add up to the units seen is refused');
select lives_ok(format($$insert into public.toxicity_import_jobs (source_id, format, file_sha256, target_visibility, team_id, units_seen, imported, duplicate, rejected, not_a_record)
  values (%L, 'tox21', %L, 'team', %L, 10, 5, 2, 1, 2)$$, tests.fid('toxicity_sources', 'P'), repeat('f', 64), tests.fid('teams', 'A')),
  'a job whose buckets add up (5 + 2 + 1 + 2 = 10) is kept');
select matches(tests.error_of(format($$insert into public.toxicity_import_jobs (source_id, format, file_sha256, target_visibility, team_id)
  values (%L, 'tox21', %L, 'team', %L)$$, tests.fid('toxicity_sources', 'P'), repeat('f', 64), tests.fid('teams', 'A'))), '^23505: .*toxicity_import_jobs_open_file_key',
  'a team has one open job per file and target visibility');
select lives_ok(format($$insert into public.toxicity_import_jobs (source_id, format, file_sha256, target_visibility, team_id)
  values (%L, 'tox21', %L, 'team', %L)$$, tests.fid('toxicity_sources', 'P'), repeat('f', 64), tests.fid('teams', 'B')),
  'another team may import the same file at the same time');
select lives_ok(format($$insert into public.toxicity_import_jobs (source_id, format, file_sha256, target_visibility, team_id)
  values (%L, 'tox21', %L, 'public', %L)$$, tests.fid('toxicity_sources', 'P'), repeat('f', 64), tests.fid('teams', 'A')),
  'the same team may import the same file into the other visibility');
update public.toxicity_import_jobs set status = 'committed', committed_at = now()
where team_id = tests.fid('teams', 'A') and file_sha256 = repeat('f', 64) and target_visibility = 'team';
select lives_ok(format($$insert into public.toxicity_import_jobs (source_id, format, file_sha256, target_visibility, team_id)
  values (%L, 'tox21', %L, 'team', %L)$$, tests.fid('toxicity_sources', 'P'), repeat('f', 64), tests.fid('teams', 'A')),
  'once its job is committed, the file may be imported again (as a new job)');
select matches(tests.error_of(format($$update public.toxicity_import_jobs set status = 'committed' where id = %L$$, tests.fid('toxicity_import_jobs', 'A'))),
  '^23514: .*toxicity_import_jobs_committed', 'a committed job says when it was committed');

/** --- Import bookkeeping is not writable through the Data API --- */
select is(tests.matrix_case_sql('owner_a', 'toxicity', format($$update public.toxicity_import_jobs set imported = imported + 1, units_seen = units_seen + 1 where id = %L$$,
  tests.fid('toxicity_import_jobs', 'A'))), 'denied', 'the owner of the job''s team cannot change its counts');
select is(tests.matrix_case_sql('owner_a', 'toxicity', format($$insert into public.toxicity_import_errors (job_id, source_row, code, reason, team_id) values (%L, 7, 'X', 'forged', %L)$$,
  tests.fid('toxicity_import_jobs', 'A'), tests.fid('teams', 'A'))), 'denied', 'nor write an import error');
select is(tests.error_as('cryo_service', jsonb_build_object('scope', 'toxicity:import toxicity:write', 'team_id', tests.fid('teams', 'A')),
  format($$insert into public.toxicity_import_jobs (source_id, format, target_visibility, team_id) values (%L, 'tox21', 'team', %L)$$,
         tests.fid('toxicity_sources', 'P'), tests.fid('teams', 'A'))),
  '42501: permission denied for table toxicity_import_jobs', 'an importing service client cannot open a job through the Data API (only the import definers do)');
select is(tests.error_as('cryo_service', jsonb_build_object('scope', 'toxicity:import toxicity:write', 'team_id', tests.fid('teams', 'A')),
  format($$delete from public.toxicity_import_errors where id = %L$$, tests.fid('toxicity_import_errors', 'A'))),
  '42501: permission denied for table toxicity_import_errors', 'nor delete its job''s errors');
select is(tests.value_as('svc_read_a', 'toxicity', format($$select count(*) from public.toxicity_import_jobs where id in (%L, %L)$$,
  tests.fid('toxicity_import_jobs', 'A'), tests.fid('toxicity_import_jobs', 'B'))) -> 0 -> 'count', '1'::jsonb,
  'a reading service client of Alpha sees Alpha''s job, not Beta''s');

/** --- A record reaches no further than its molecule (the access trigger) --- */
-- as an editor of Alpha
select tests.authenticate_as('acc_editor_a');
select is(tests.attempt(tests.toxicity_insert(jsonb_build_object('molecule_id', tests.fid('molecules', 'A'), 'team_id', tests.fid('teams', 'A'), 'visibility', 'team'))),
  'allowed', 'an editor records a team value about the team''s own molecule');
select is(tests.attempt(tests.toxicity_insert(jsonb_build_object('team_id', tests.fid('teams', 'A'), 'visibility', 'team'))),
  'allowed', 'an editor records a team value about a public molecule');
select is(tests.error_of(tests.toxicity_insert(jsonb_build_object('molecule_id', tests.fid('molecules', 'B'), 'team_id', tests.fid('teams', 'A'), 'visibility', 'team'))),
  '42501: new row violates row-level security policy for table "toxicity_records"', 'a record about another team''s hidden molecule is refused as RLS refuses');
select is(tests.error_of(tests.toxicity_insert(jsonb_build_object('molecule_id', gen_random_uuid(), 'team_id', tests.fid('teams', 'A'), 'visibility', 'team'))),
  tests.error_of(tests.toxicity_insert(jsonb_build_object('molecule_id', tests.fid('molecules', 'B'), 'team_id', tests.fid('teams', 'A'), 'visibility', 'team'))),
  'a missing molecule gets the very same error as a hidden one');
select is(tests.error_of(tests.toxicity_insert(jsonb_build_object('molecule_id', null, 'molecule_match', null, 'formulation_name', 'X',
  'active_ingredient_molecule_id', tests.fid('molecules', 'B'), 'team_id', tests.fid('teams', 'A'), 'visibility', 'team'))),
  '42501: new row violates row-level security policy for table "toxicity_records"', 'a formulation cannot point at a hidden active ingredient either');
select tests.clear_authentication();
select is(tests.matrix_case_sql('editor_a', 'toxicity', format($$update public.toxicity_records set molecule_id = %L where id = %L$$,
  tests.fid('molecules', 'B'), tests.fid('toxicity_records', 'A'))), 'denied', 'nor can a record be re-pointed at a hidden molecule');

-- as the project owner (reads every molecule): the privacy rule still holds
select is(tests.error_of(tests.toxicity_insert(jsonb_build_object('molecule_id', tests.fid('molecules', 'A')))),
  '23514: toxicity_records: a private molecule can only carry team-only records of its own team',
  'a public record about a private molecule would publish it: refused');
select matches(tests.error_of(tests.toxicity_insert(jsonb_build_object('molecule_id', tests.fid('molecules', 'A'), 'team_id', tests.fid('teams', 'B'), 'visibility', 'team'))),
  '^23514: ', 'another team''s record about a team''s private molecule is refused');

/** --- A molecule cannot be made private while public or other teams' records use it --- */
-- as the owner of Alpha: publish the molecule, let a public record and Beta's record use it
select tests.authenticate_as('acc_owner_a');
update public.molecules set visibility = 'public' where id = tests.fid('molecules', 'A');
select tests.clear_authentication();
insert into public.toxicity_records select * from jsonb_populate_record(null::public.toxicity_records,
  (select jsonb_build_object('id', tests.fid('toxicity_records', 'guard-public'), 'molecule_id', tests.fid('molecules', 'A'), 'molecule_match', 'exact',
    'source_id', tests.fid('toxicity_sources', 'P'), 'endpoint_id', tests.fid('toxicity_endpoints', 'P'), 'value_type', 'LD50', 'raw_value', '9',
    'qualifier', '=', 'value', 9, 'unit', 'mg/kg', 'conversion', 'as given', 'record_key', repeat('9', 64), 'created_at', now(), 'visibility', 'public')));
select tests.authenticate_as('acc_owner_a');
select is(tests.error_of(format($$update public.molecules set visibility = 'team' where id = %L$$, tests.fid('molecules', 'A'))),
  '23514: molecules: the molecule carries toxicity records that must keep reading it',
  'a molecule a public record uses cannot be made private, and the error names no record and no id');
select tests.clear_authentication();
delete from public.toxicity_records where id = tests.fid('toxicity_records', 'guard-public');
select tests.authenticate_as('acc_editor_b');
insert into public.toxicity_records select * from jsonb_populate_record(null::public.toxicity_records,
  (select jsonb_build_object('id', gen_random_uuid(), 'molecule_id', tests.fid('molecules', 'A'), 'molecule_match', 'exact',
    'source_id', tests.fid('toxicity_sources', 'P'), 'endpoint_id', tests.fid('toxicity_endpoints', 'P'), 'value_type', 'LD50', 'raw_value', '8',
    'qualifier', '=', 'value', 8, 'unit', 'mg/kg', 'conversion', 'as given', 'record_key', repeat('8', 64), 'created_at', now(),
    'team_id', tests.fid('teams', 'B'), 'visibility', 'team')));
select tests.clear_authentication();
select tests.authenticate_as('acc_owner_a');
select is(tests.error_of(format($$update public.molecules set visibility = 'team' where id = %L$$, tests.fid('molecules', 'A'))),
  '23514: molecules: the molecule carries toxicity records that must keep reading it',
  'nor while another team''s record uses it (the same error: it does not say whose)');
select tests.clear_authentication();
delete from public.toxicity_records where molecule_id = tests.fid('molecules', 'A') and team_id = tests.fid('teams', 'B');
select tests.authenticate_as('acc_owner_a');
select is(tests.attempt(format($$update public.molecules set visibility = 'team' where id = %L$$, tests.fid('molecules', 'A'))), 'allowed',
  'with only its own team''s records left, the molecule may be made private again');
select tests.clear_authentication();

select * from finish();
rollback;

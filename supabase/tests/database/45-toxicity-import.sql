/**
 * The toxicity import definers (issue 10, items 2–5, SQL side): only a service client holding
 * toxicity:import starts, feeds and commits jobs, of its own team; only curator teams write public
 * records; a job of the same team, file and visibility is resumed; a batch is one transaction whose replay
 * changes nothing and whose bad input writes nothing; every unit lands in one bucket and the job counts
 * them; a commit moves the data version on once.
 * Every call is made as the edge function makes it: role cryo_service + request.jwt.claims.
 * Fixture: tests.access_fixture() (teams A and B).
 */
begin;
select plan(40);
select tests.access_fixture();

/**
 * tests.ti_call(claims jsonb, stmt text) returns jsonb
 * The jsonb the statement returns, run as cryo_service with the claims (then back to the runner).
 */
create function tests.ti_call(claims jsonb, stmt text)
returns jsonb
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  result jsonb;
begin
  perform tests.authenticate_as_role('cryo_service', claims);
  execute stmt into result;
  perform tests.clear_authentication();
  return result;
end
$$;

/** The claims of a service client of team `t` with `scope`. */
create function tests.ti_claims(t text, scope text default 'toxicity:import')
returns jsonb
language sql
set search_path = pg_catalog, pg_temp
as $$
  select jsonb_build_object('team_id', tests.fid('teams', t), 'scope', scope, 'client_id', 'cpc_' || repeat(lower(t), 24), 'sub', 'cpc_' || repeat(lower(t), 24))
$$;

/** One staged record (the function's DbRecord) of the tox21 source: a hit call of a structure. */
create function tests.ti_record(key_char text, inchikey text, assay text, value int, row_no int default 1)
returns jsonb
language sql
set search_path = pg_catalog, pg_temp
as $$
  select jsonb_build_object('record_key', repeat(key_char, 64), 'source', 'tox21', 'source_row', row_no, 'source_record_id', 'TOX' || row_no,
    'kind', 'structure', 'smiles', 'CC', 'inchi', 'InChI=1S/fixture', 'inchikey', inchikey, 'molecular_weight', 30.07, 'components', 1,
    'assay', assay, 'endpoint', 'stress response', 'value_type', 'hit_call', 'raw_qualifier', null, 'raw_value', value::text,
    'raw_unit', null, 'qualifier', '=', 'value', value, 'unit', 'call', 'conversion', 'as given')
$$;

create temp table ti (k text primary key, v jsonb);
grant all on ti to public;

/** --- anon and authenticated: the definers are not theirs --- */
select matches(tests.error_as('anon', '{}', $$select private.toxicity_import_start('tox21', 'tox21', null, repeat('a', 64), 'team')$$),
  '^42501', 'anon cannot start an import');
select matches(tests.error_as('authenticated', jsonb_build_object('sub', tests.get_supabase_uid('acc_owner_a')),
  $$select private.toxicity_import_start('tox21', 'tox21', null, repeat('a', 64), 'team')$$),
  '^42501', 'a signed-in team owner cannot start an import (imports go through a toxicity:import client)');
select matches(tests.error_as('authenticated', jsonb_build_object('sub', tests.get_supabase_uid('acc_owner_a')),
  $$select count(*) from private.toxicity_curators$$), '^42501', 'the curator list is not readable by users');
select matches(tests.error_as('cryo_service', tests.ti_claims('A'), $$select count(*) from private.toxicity_curators$$),
  '^42501', 'nor by service clients');
select is(tests.error_as('anon', '{}', $$select private.toxicity_data_version()$$), 'no error',
  'everyone may read the data version (what caches watch)');

/** --- cryo_service without toxicity:import --- */
select matches(tests.error_as('cryo_service', tests.ti_claims('A', 'toxicity:read toxicity:write'),
  $$select private.toxicity_import_start('tox21', 'tox21', null, repeat('a', 64), 'team')$$),
  '^42501', 'toxicity:read/write do not grant import');

/** --- A client of team A with toxicity:import --- */
select matches(tests.error_as('cryo_service', tests.ti_claims('A'),
  $$select private.toxicity_import_start('tox21', 'tox21', null, repeat('a', 64), 'public')$$),
  '^TXC03', 'public records need a curator team (A is not one yet)');
select matches(tests.error_as('cryo_service', tests.ti_claims('A'),
  $$select private.toxicity_import_start('cryoprotect', 'no-such-source', null, repeat('a', 64), 'team')$$),
  '^TXS22', 'an unknown source is refused');
insert into private.toxicity_curators (team_id, note) values (tests.fid('teams', 'A'), 'pgTAP');
insert into ti select 'start1', tests.ti_call(tests.ti_claims('A'),
  $$select private.toxicity_import_start('tox21', 'tox21', 'tox21.csv.gz', repeat('a', 64), 'public')$$);
select is((select (v ->> 'created')::boolean from ti where k = 'start1'), true, 'a curator team starts a public job');
select is((select title from public.toxicity_sources where name = 'tox21'),
  (select title from private.toxicity_known_sources where name = 'tox21'), 'the source row comes from the known-source list');
insert into ti select 'start2', tests.ti_call(tests.ti_claims('A'),
  $$select private.toxicity_import_start('tox21', 'tox21', 'tox21.csv.gz', repeat('a', 64), 'public')$$);
select is((select v -> 'job' ->> 'id' from ti where k = 'start2'), (select v -> 'job' ->> 'id' from ti where k = 'start1'),
  'the same team, file and visibility resumes the open job');
select is((select (v ->> 'created')::boolean from ti where k = 'start2'), false, 'and says it was resumed');

-- A batch: two new records of one new structure, one duplicate of the first, two empty cells, one unit the
-- function rejected.
insert into ti values ('job', (select v -> 'job' -> 'id' from ti where k = 'start1'));
insert into ti values ('batch0', jsonb_build_array(
  tests.ti_record('1', 'IMPORTTESTAAAA-UHFFFAOYSA-N', 'SR-ARE', 1),
  tests.ti_record('2', 'IMPORTTESTAAAA-UHFFFAOYSA-N', 'SR-p53', 0),
  tests.ti_record('1', 'IMPORTTESTAAAA-UHFFFAOYSA-N', 'SR-ARE', 1, 2)));
insert into ti select 'b0', tests.ti_call(tests.ti_claims('A'), format(
  $$select private.toxicity_import_batch(%L, 0, repeat('d', 64), 2, %L, '[{"row": 3, "field": "smiles", "code": "INVALID_STRUCTURE", "reason": "RDKit cannot parse the SMILES"}]')$$,
  (select v ->> 0 from ti where k = 'job'), (select v from ti where k = 'batch0')));
select is((select v - 'job' from ti where k = 'b0'),
  '{"batch_no": 0, "replayed": false, "units": 6, "imported": 2, "duplicate": 1, "rejected": 1, "not_a_record": 2}'::jsonb,
  'every unit of the batch lands in exactly one bucket');
select is((select count(*)::int from public.toxicity_records where import_job_id = (select (v ->> 0)::uuid from ti where k = 'job')),
  2, 'two records were written');
select is((select molecule_match || ' ' || m.visibility || ' ' || m.source from public.toxicity_records r join public.molecules m on m.id = r.molecule_id
  where r.import_job_id = (select (v ->> 0)::uuid from ti where k = 'job') limit 1),
  'exact public tox21', 'an unknown structure became a public molecule with its source');
select is((select count(*)::int from public.toxicity_assays a join public.toxicity_sources s on s.id = a.source_id
  where s.name = 'tox21' and a.source_assay_id in ('SR-ARE', 'SR-p53')), 2, 'a curator import adds the assays it names');
select is((select code || ' ' || field from public.toxicity_import_errors where job_id = (select (v ->> 0)::uuid from ti where k = 'job')),
  'INVALID_STRUCTURE smiles', 'the rejected unit is an error row with its code and field');
select is((select (units_seen, imported, duplicate, rejected, not_a_record, batches_received)::text from public.toxicity_import_jobs
  where id = (select (v ->> 0)::uuid from ti where k = 'job')), '(6,2,1,1,2,1)', 'the job counts the buckets');

-- Replays.
insert into ti select 'b0again', tests.ti_call(tests.ti_claims('A'), format(
  $$select private.toxicity_import_batch(%L, 0, repeat('d', 64), 2, %L, '[{"row": 3, "field": "smiles", "code": "INVALID_STRUCTURE", "reason": "RDKit cannot parse the SMILES"}]')$$,
  (select v ->> 0 from ti where k = 'job'), (select v from ti where k = 'batch0')));
select is((select (v ->> 'replayed')::boolean from ti where k = 'b0again'), true, 'a replayed batch is recognised');
select is((select (units_seen, imported, batches_received)::text from public.toxicity_import_jobs
  where id = (select (v ->> 0)::uuid from ti where k = 'job')), '(6,2,1)', 'and changes nothing');
select matches(tests.error_as('cryo_service', tests.ti_claims('A'), format(
  $$select private.toxicity_import_batch(%L, 0, repeat('e', 64), 0, '[]', '[]')$$, (select v ->> 0 from ti where k = 'job'))),
  '^TXB09', 'the same batch number with other content is refused');
select is((select (v -> 'job' -> 'received_batches')::text from ti where k = 'b0again'), '[0]', 'the job lists the batches received (the resume point)');

-- Bad input writes nothing.
select matches(tests.error_as('cryo_service', tests.ti_claims('A'), format(
  $$select private.toxicity_import_batch(%L, 1, repeat('f', 64), 0, %L, '[]')$$, (select v ->> 0 from ti where k = 'job'),
  jsonb_build_array(tests.ti_record('3', 'IMPORTTESTBBBB-UHFFFAOYSA-N', 'SR-HSE', 1), tests.ti_record('4', 'IMPORTTESTBBBB-UHFFFAOYSA-N', 'SR-HSE', 1) - 'record_key'))),
  '^TXI22', 'a record without its key refuses the whole batch');
select matches(tests.error_as('cryo_service', tests.ti_claims('A'), format(
  $$select private.toxicity_import_batch(%L, 1, repeat('f', 64), 0, %L, '[]')$$, (select v ->> 0 from ti where k = 'job'),
  jsonb_build_array(tests.ti_record('3', 'IMPORTTESTBBBB-UHFFFAOYSA-N', 'SR-HSE', 1), tests.ti_record('4', 'IMPORTTESTBBBB-UHFFFAOYSA-N', 'SR-HSE', 7)))),
  '^23514', 'a value outside its type''s range refuses the whole batch');
select is((select count(*)::int from public.molecules where inchikey = 'IMPORTTESTBBBB-UHFFFAOYSA-N'), 0,
  'nothing of a refused batch was written (not even its new molecule)');
select is((select (units_seen, batches_received)::text from public.toxicity_import_jobs
  where id = (select (v ->> 0)::uuid from ti where k = 'job')), '(6,1)', 'nor counted');
select is((select count(*)::int from private.toxicity_import_batches where job_id = (select (v ->> 0)::uuid from ti where k = 'job')), 1,
  'nor recorded as received');

/** --- A client of team B --- */
select matches(tests.error_as('cryo_service', tests.ti_claims('B'), format(
  $$select private.toxicity_import_batch(%L, 5, repeat('f', 64), 1, '[]', '[]')$$, (select v ->> 0 from ti where k = 'job'))),
  '^TXJ04', 'a batch for another team''s job: no such job');
select matches(tests.error_as('cryo_service', tests.ti_claims('B'), format(
  $$select private.toxicity_import_commit(%L)$$, (select v ->> 0 from ti where k = 'job'))),
  '^TXJ04', 'nor may it commit it');
insert into ti select 'bstart', tests.ti_call(tests.ti_claims('B'),
  $$select private.toxicity_import_start('tox21', 'tox21', 'tox21.csv.gz', repeat('a', 64), 'team')$$);
insert into ti select 'bb0', tests.ti_call(tests.ti_claims('B'), format(
  $$select private.toxicity_import_batch(%L, 0, repeat('d', 64), 0, %L, '[]')$$,
  (select v -> 'job' ->> 'id' from ti where k = 'bstart'),
  jsonb_build_array(tests.ti_record('1', 'IMPORTTESTAAAA-UHFFFAOYSA-N', 'SR-ARE', 1), tests.ti_record('5', 'IMPORTTESTAAAA-UHFFFAOYSA-N', 'NO-SUCH-ASSAY', 1))));
select is((select (v ->> 'imported')::int || '/' || (v ->> 'rejected')::int from ti where k = 'bb0'), '1/1',
  'a team import has its own key space (the same key as a public record is new) and adds no assay');
select is((select team_id = tests.fid('teams', 'B') and visibility = 'team' from public.toxicity_records
  where import_job_id = (select (v -> 'job' ->> 'id')::uuid from ti where k = 'bstart')), true, 'its records are the team''s, team-only');
select is((select code from public.toxicity_import_errors where job_id = (select (v -> 'job' ->> 'id')::uuid from ti where k = 'bstart')),
  'UNKNOWN_ASSAY', 'the unknown assay is a rejected unit with its reason');

/** --- Chemicals: CAS, DTXSID, name; unresolved is rejected --- */
insert into ti select 'chem', tests.ti_call(tests.ti_claims('B'), format(
  $$select private.toxicity_import_batch(%L, 1, repeat('c', 64), 0, %L, '[]')$$,
  (select v -> 'job' ->> 'id' from ti where k = 'bstart'),
  jsonb_build_array(
    tests.ti_record('6', 'IMPORTTESTAAAA-UHFFFAOYSA-N', null, 1, 9) || '{"kind": "chemical", "cas": "1234567-89-5", "name": "no such chemical", "inchikey": null, "smiles": null}',
    tests.ti_record('7', 'IMPORTTESTAAAA-UHFFFAOYSA-N', null, 1, 10) || jsonb_build_object('kind', 'chemical', 'cas', null, 'inchikey', null, 'smiles', null,
      'name', upper((select name from public.molecules where id = tests.fid('molecules', 'P')))))));
select is((select (v ->> 'imported')::int || '/' || (v ->> 'rejected')::int from ti where k = 'chem'), '1/1',
  'a chemical resolves by name (case-insensitive); one that resolves by nothing is rejected');
select is((select code || ' ' || field from public.toxicity_import_errors
  where job_id = (select (v -> 'job' ->> 'id')::uuid from ti where k = 'bstart') and source_row = 9),
  'UNRESOLVED_IDENTIFIER substance.identifiers', 'with its reason');

/** --- Commit --- */
select matches(tests.error_as('cryo_service', tests.ti_claims('A'), format(
  $$select private.toxicity_import_commit(%L, 2)$$, (select v ->> 0 from ti where k = 'job'))),
  '^TXM09', 'a commit expecting batches 0 and 1 is refused while the job holds batch 0 only (a lost batch is resent, never skipped)');
insert into ti select 'version0', to_jsonb(private.toxicity_data_version());
insert into ti select 'commit', tests.ti_call(tests.ti_claims('A'), format($$select private.toxicity_import_commit(%L, 1)$$,
  (select v ->> 0 from ti where k = 'job')));
select is((select v ->> 'status' from ti where k = 'commit'), 'committed', 'the job is committed');
select is(private.toxicity_data_version(), (select (v #>> '{}')::bigint + 1 from ti where k = 'version0'), 'the data version moved on by one');
insert into ti select 'commit2', tests.ti_call(tests.ti_claims('A'), format($$select private.toxicity_import_commit(%L)$$,
  (select v ->> 0 from ti where k = 'job')));
select is(private.toxicity_data_version(), (select (v #>> '{}')::bigint + 1 from ti where k = 'version0'),
  'committing again changes nothing');
select matches(tests.error_as('cryo_service', tests.ti_claims('A'), format(
  $$select private.toxicity_import_batch(%L, 7, repeat('f', 64), 1, '[]', '[]')$$, (select v ->> 0 from ti where k = 'job'))),
  '^TXJ09', 'a committed job takes no more batches');
insert into ti select 'start3', tests.ti_call(tests.ti_claims('A'),
  $$select private.toxicity_import_start('tox21', 'tox21', 'tox21.csv.gz', repeat('a', 64), 'public')$$);
select is((select (v ->> 'created')::boolean from ti where k = 'start3'), true, 're-importing a committed file starts a new job');

select * from finish();
rollback;

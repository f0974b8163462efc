/**
 * Molecules and their identifiers beyond the access matrix (02-access-matrix): moves between teams, the
 * constraints of the domain, and the triggers (updated_at, inherited and cascaded access).
 */
begin;
select plan(18);
select tests.access_fixture();

/** --- Moving rows between teams --- */
select is(tests.matrix_case_sql('editor_a', 'molecules', format($$update public.molecules set team_id = %L where id = %L$$,
  tests.fid('teams', 'B'), tests.fid('molecules', 'A'))), 'denied', 'an editor of Alpha cannot hand a molecule to Beta');
select is(tests.matrix_case_sql('editor_b', 'molecules', format($$update public.molecules set team_id = %L where id = %L$$,
  tests.fid('teams', 'A'), tests.fid('molecules', 'B'))), 'denied', 'an editor of Beta cannot push a molecule into Alpha');
select is(tests.matrix_case_sql('svc_write_a', 'molecules', format($$update public.molecules set team_id = %L where id = %L$$,
  tests.fid('teams', 'B'), tests.fid('molecules', 'A'))), 'denied', 'a service client of Alpha cannot hand a molecule to Beta');
select is(tests.matrix_case_sql('editor_a', 'molecules', $$insert into public.molecules (name, smiles, inchikey, source, visibility)
  values ('orphan', 'C', 'ORPHANMOLECULE-NOTEAMXXXX-N', 'matrix', 'public')$$), 'denied', 'an editor cannot create team-less public reference molecules');
select is(tests.matrix_case_sql('editor_a', 'molecules', format($$insert into public.molecule_identifiers (molecule_id, kind, value, source, team_id)
  values (%L, 'cas', '64-17-5', 'matrix', %L)$$, tests.fid('molecules', 'A'), tests.fid('teams', 'B'))), '23514',
  'an identifier naming another team than its molecule''s is rejected');
select is(tests.matrix_case_sql('editor_a', 'molecules', format($$update public.molecule_identifiers set team_id = %L where id = %L$$,
  tests.fid('teams', 'B'), tests.fid('molecule_identifiers', 'A'))), '23514', 'an identifier cannot be moved away from its molecule''s team');

/** --- Constraints, as the project owner (so only the constraint can refuse) --- */
select throws_ok($$insert into public.molecules (name, smiles, inchikey, source) values ('x', 'C', 'not-a-key', 's')$$, '23514', null,
  'an InChIKey must have the 14-10-1 uppercase format');
select throws_ok($$insert into public.molecules (name, source) values ('x', 's')$$, '23514', null,
  'a small molecule needs a structure');
select lives_ok($$insert into public.molecules (kind, name, source) values ('polymer', 'PVP K12', 's')$$, 'a polymer may have no structure');
select throws_ok($$insert into public.molecules (name, smiles, inchikey, source, visibility) values ('x', 'C', 'XXXXXXXXXXXXXX-XXXXXXXXXX-N', 's', 'team')$$,
  '23514', null, 'team visibility needs a team');
select throws_ok($$insert into public.molecules (name, smiles, inchikey, source) values ('x', 'C', 'XXXXXXXXXXXXXX-XXXXXXXXXX-N', ' ')$$,
  '23514', null, 'provenance (source) cannot be blank');
select throws_ok(format($$insert into public.molecules (name, smiles, inchikey, source) values ('dup', 'CO', %L, 's')$$,
  'FIXTUREMOLECUL-PPPPPPPPPP-N'), '23505', null, 'an InChIKey is unique among public molecules');
select lives_ok(format($$insert into public.molecules (name, smiles, inchikey, source, team_id, visibility) values ('team copy', 'CO', %L, 's', %L, 'team')$$,
  'FIXTUREMOLECUL-PPPPPPPPPP-N', tests.fid('teams', 'A')), 'a team may keep a private copy of a public structure');
select throws_ok(format($$insert into public.molecule_identifiers (molecule_id, kind, value, source) values (%L, 'inchi', 'x', 's')$$,
  tests.fid('molecules', 'P')), '23514', null, 'identifier kinds come from the fixed set');

/** --- Triggers --- */
update public.molecules set updated_at = '2000-01-01' where id = tests.fid('molecules', 'A');
update public.molecules set name = 'renamed' where id = tests.fid('molecules', 'A');
select isnt((select updated_at from public.molecules where id = tests.fid('molecules', 'A')), '2000-01-01'::timestamptz,
  'updated_at is stamped on every update');
select is((select team_id from public.molecule_identifiers where id = tests.fid('molecule_identifiers', 'A')), tests.fid('teams', 'A'),
  'an identifier inserted without team_id gets its molecule''s team');
select tests.act_as('editor_a', 'molecules');
update public.molecules set visibility = 'public' where id = tests.fid('molecules', 'A');
select tests.clear_authentication();
select is((select array_agg(distinct visibility::text) from (
  select visibility from public.molecule_identifiers where molecule_id = tests.fid('molecules', 'A')
  union all select visibility from public.molecular_properties where molecule_id = tests.fid('molecules', 'A')) v),
  array['public'], 'publishing a molecule publishes its identifiers and properties with it');
select is(tests.matrix_case('outsider', 'molecule_identifiers', 'select', 'A'), 'allowed', 'a non-member now sees the published molecule''s identifier');

select * from finish();
rollback;

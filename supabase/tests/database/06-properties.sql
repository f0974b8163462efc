/**
 * Property types (public reference data) and molecular properties (team data) beyond the access matrix
 * (02-access-matrix): cross-team writes and the constraints of the domain.
 */
begin;
select plan(5);
select tests.access_fixture();

/** --- Cross-team writes and constraints --- */
select is(tests.matrix_case_sql('editor_b', 'properties', format($$insert into public.molecular_properties (molecule_id, property_type_id, numeric_value, source)
  values (%L, %L, 1, 'matrix')$$, tests.fid('molecules', 'A'), tests.fid('property_types', 'P'))), 'denied',
  'a member of Beta cannot attach a property to Alpha''s molecule');
select throws_ok(format($$insert into public.molecular_properties (molecule_id, property_type_id, source) values (%L, %L, 's')$$,
  tests.fid('molecules', 'P'), tests.fid('property_types', 'P')), '23514', null, 'a property needs a value');
select throws_ok(format($$insert into public.molecular_properties (molecule_id, property_type_id, numeric_value, qualifier, source) values (%L, %L, 1, '!=', 's')$$,
  tests.fid('molecules', 'P'), tests.fid('property_types', 'P')), '23514', null, 'qualifiers come from the fixed set');
select throws_ok(format($$insert into public.molecular_properties (molecule_id, property_type_id, numeric_value, unit, source) values (%L, %L, 120, '%%', 's')$$,
  tests.fid('molecules', 'P'), tests.fid('property_types', 'P')), '23514', null, 'a percentage value cannot exceed 100');
select is((select team_id from public.molecular_properties where id = tests.fid('molecular_properties', 'B')), tests.fid('teams', 'B'),
  'a property inserted without team_id gets its molecule''s team');

select * from finish();
rollback;

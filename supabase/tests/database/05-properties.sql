/**
 * Property types (public reference data) and molecular properties (team data): the access matrix and
 * the domain's constraints. Fixture and helpers: 02-access-model.sql.
 */
begin;
select plan(145);
select tests.access_fixture();

-- molecular_properties: 10 actors × 10 operations
select is(tests.matrix_case(e.actor, 'molecular_properties', e.op, e.target), e.expected,
  format('molecular_properties: %s %s on the %s row gives %s', e.actor, e.op, e.target, e.expected))
from tests.team_data_expectations e
order by e.op, e.actor, e.target;

-- property_types: everyone reads, nobody writes through the API (curated by the project)
select is(tests.matrix_case(a.actor, 'property_types', o.op, 'P'), o.expected,
  format('property_types: %s %s gives %s', a.actor, o.op, o.expected))
from (values ('outsider'), ('viewer_a'), ('editor_a'), ('owner_a'), ('editor_b'), ('svc_write_a'), ('svc_read_a'), ('svc_write_b')) a(actor)
cross join (values ('select', 'ok'), ('insert', '42501'), ('update', 'filtered'), ('delete', 'filtered')) o(op, expected)
order by a.actor, o.op;
select is(tests.matrix_case('anon', 'property_types', 'select', 'P'), 'ok', 'property_types: anon reads reference data');
select is(tests.matrix_case('anon', 'property_types', 'insert', 'P'), '42501', 'property_types: anon cannot insert');
select is(tests.matrix_case('anon', 'property_types', 'update', 'P'), '42501', 'property_types: anon cannot update');
select is(tests.matrix_case('anon', 'property_types', 'delete', 'P'), '42501', 'property_types: anon cannot delete');
select is(tests.matrix_case('svc_none', 'property_types', 'select', 'P'), 'filtered', 'property_types: a service client without properties scope reads nothing');
select is(tests.matrix_case('svc_none', 'property_types', 'insert', 'P'), '42501', 'property_types: a service client without scope cannot insert');
select is(tests.matrix_case('svc_none', 'property_types', 'update', 'P'), 'filtered', 'property_types: a service client without scope updates nothing');
select is(tests.matrix_case('svc_none', 'property_types', 'delete', 'P'), 'filtered', 'property_types: a service client without scope deletes nothing');

-- Cross-team and constraints
select is(tests.matrix_case_sql('editor_b', 'properties', format($$insert into public.molecular_properties (molecule_id, property_type_id, numeric_value, source)
  values (%L, %L, 1, 'matrix')$$, tests.fid('molecules', 'A'), tests.fid('property_types', 'P'))), '42501',
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

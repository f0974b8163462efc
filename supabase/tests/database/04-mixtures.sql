/**
 * Mixtures and their components: the access matrix, cross-team use of private molecules, the unit and
 * range constraints, and components following their mixture. Fixture and helpers: 02-access-model.sql.
 */
begin;
select plan(213);
select tests.access_fixture();

-- The matrix: 10 actors × 10 operations × 2 tables
select is(tests.matrix_case(e.actor, t.tbl, e.op, e.target), e.expected,
  format('%s: %s %s on the %s row gives %s', t.tbl, e.actor, e.op, e.target, e.expected))
from tests.team_data_expectations e
cross join (values ('mixtures'), ('mixture_components')) t(tbl)
order by t.tbl, e.op, e.actor, e.target;

-- Cross-team use of private molecules
select is(tests.matrix_case_sql('editor_a', 'mixtures', format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit)
  values (%L, %L, 1, 'M')$$, tests.fid('mixtures', 'A'), tests.fid('molecules', 'B'))), '42501',
  'an Alpha mixture cannot use Beta''s private molecule (even by guessing its id: refused as if it did not exist)');
select is(tests.matrix_case_sql('editor_a', 'mixtures', format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit)
  values (%L, %L, 1, 'M')$$, tests.fid('mixtures', 'A'), tests.fid('molecules', 'A'))), 'ok',
  'an Alpha mixture may use Alpha''s private molecule');
select is(tests.matrix_case_sql('editor_a', 'mixtures', format($$update public.mixtures set team_id = %L where id = %L$$,
  tests.fid('teams', 'B'), tests.fid('mixtures', 'A'))), '42501', 'an editor of Alpha cannot hand a mixture to Beta');
select is(tests.matrix_case_sql('editor_b', 'mixtures', format($$update public.mixture_components set mixture_id = %L where id = %L$$,
  tests.fid('mixtures', 'A'), tests.fid('mixture_components', 'B'))), '42501', 'a member of Beta cannot move a component into Alpha''s mixture');
select throws_ok(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'M')$$,
  tests.fid('mixtures', 'P'), tests.fid('molecules', 'A')), '23514', null, 'a public mixture cannot contain a private molecule');
select throws_ok(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit, visibility) values (%L, %L, 1, 'M', 'public')$$,
  tests.fid('mixtures', 'A'), tests.fid('molecules', 'A')), '23514', null, 'a component cannot claim another visibility than its mixture');

-- Units and ranges
select throws_ok(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'mM')$$,
  tests.fid('mixtures', 'P'), tests.fid('molecules', 'A')), '23514', null, 'units come from the fixed set');
select throws_ok(format($$update public.mixture_components set concentration = 0 where id = %L$$, tests.fid('mixture_components', 'P')),
  '23514', null, 'a concentration must be positive');
select throws_ok(format($$update public.mixture_components set concentration = 101, unit = '%% v/v' where id = %L$$, tests.fid('mixture_components', 'P')),
  '23514', null, 'a percentage cannot exceed 100');
select lives_ok(format($$update public.mixture_components set concentration = 60, unit = '%% w/v' where id = %L$$, tests.fid('mixture_components', 'P')),
  'a percentage within range is accepted');
select throws_ok($$insert into public.mixtures (name, source, total_concentration) values ('x', 's', 8.4)$$, '23514', null,
  'a total concentration needs its unit');

-- Components follow their mixture
select tests.act_as('owner_a', 'mixtures');
update public.mixtures set visibility = 'public' where id = tests.fid('mixtures', 'A');
select tests.clear_authentication();
select is((select visibility from public.mixture_components where id = tests.fid('mixture_components', 'A')), 'public',
  'publishing a mixture publishes its components');
select is(tests.matrix_case('anon', 'mixture_components', 'select', 'A'), 'ok', 'anon now reads the published mixture''s component');

select * from finish();
rollback;

/**
 * Mixtures and their components beyond the access matrix (02-access-matrix): cross-team use of private
 * molecules, the unit and range constraints, and components following their mixture.
 */
begin;
select plan(13);
select tests.access_fixture();

/** --- Cross-team use of private molecules --- */
select is(tests.matrix_case_sql('editor_a', 'mixtures', format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit)
  values (%L, %L, 1, 'M')$$, tests.fid('mixtures', 'A'), tests.fid('molecules', 'B'))), 'denied',
  'an Alpha mixture cannot use Beta''s private molecule (even by guessing its id: refused as if it did not exist)');
select is(tests.matrix_case_sql('editor_a', 'mixtures', format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit)
  values (%L, %L, 1, 'M')$$, tests.fid('mixtures', 'A'), tests.fid('molecules', 'A'))), 'allowed',
  'an Alpha mixture may use Alpha''s private molecule');
select is(tests.matrix_case_sql('editor_a', 'mixtures', format($$update public.mixtures set team_id = %L where id = %L$$,
  tests.fid('teams', 'B'), tests.fid('mixtures', 'A'))), 'denied', 'an editor of Alpha cannot hand a mixture to Beta');
select is(tests.matrix_case_sql('editor_b', 'mixtures', format($$update public.mixture_components set mixture_id = %L where id = %L$$,
  tests.fid('mixtures', 'A'), tests.fid('mixture_components', 'B'))), 'denied', 'a member of Beta cannot move a component into Alpha''s mixture');
select throws_ok(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'M')$$,
  tests.fid('mixtures', 'P'), tests.fid('molecules', 'A')), '23514', null, 'a public mixture cannot contain a private molecule');
select throws_ok(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit, visibility) values (%L, %L, 1, 'M', 'public')$$,
  tests.fid('mixtures', 'A'), tests.fid('molecules', 'A')), '23514', null, 'a component cannot claim another visibility than its mixture');

/** --- Units and ranges, as the project owner --- */
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

/** --- Components follow their mixture --- */
select tests.act_as('owner_a', 'mixtures');
update public.mixtures set visibility = 'public' where id = tests.fid('mixtures', 'A');
select tests.clear_authentication();
select is((select visibility from public.mixture_components where id = tests.fid('mixture_components', 'A')), 'public',
  'publishing a mixture publishes its components');
select is(tests.matrix_case('anon', 'mixture_components', 'select', 'A'), 'allowed', 'anon now reads the published mixture''s component');

select * from finish();
rollback;

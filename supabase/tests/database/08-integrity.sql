/**
 * Integrity validation: each kind of cross-row problem is reported (one row per problem), a clean fixture
 * reports none, and the daily run records its findings. Problems that constraints and triggers would
 * refuse are planted by the project owner with those triggers disabled, as a faulty import would.
 */
begin;
select plan(12);
select tests.access_fixture();

create temporary table fixture_ids as
select tests.fid(t, g) as id from unnest(array['molecules', 'molecule_identifiers', 'mixtures', 'mixture_components', 'molecular_properties', 'teams']) t,
  unnest(array['P', 'A', 'B']) g;

select is_empty($$select * from private.validate_integrity() where row_id in (select id from fixture_ids)$$,
  'the clean fixture has no integrity problem');

-- Plant one problem of each kind
alter table public.molecule_identifiers disable trigger molecule_identifiers_inherit_access;
update public.molecule_identifiers set team_id = tests.fid('teams', 'B') where id = tests.fid('molecule_identifiers', 'A');
alter table public.molecule_identifiers enable trigger molecule_identifiers_inherit_access;
alter table public.mixture_components disable trigger mixture_components_access;
update public.mixture_components set molecule_id = tests.fid('molecules', 'B') where id = tests.fid('mixture_components', 'A');
alter table public.mixture_components enable trigger mixture_components_access;
delete from public.team_members where team_id = tests.fid('teams', 'A') and role = 'owner';
insert into public.mixtures (id, name, source) values (tests.fid('mixtures', 'empty'), 'empty mixture', 'integrity test');
insert into public.molecules (id, name, smiles, inchikey, source, molecular_weight) values
  (tests.fid('molecules', 'heavy'), 'heavy solute', 'CC', 'HEAVYSOLUTEXXX-XXXXXXXXXX-N', 'integrity test', 400);
insert into public.mixtures (id, name, source) values (tests.fid('mixtures', 'over'), 'impossible mixture', 'integrity test');
insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values
  (tests.fid('mixtures', 'over'), tests.fid('molecules', 'P'), 60, '% v/v'),
  (tests.fid('mixtures', 'over'), tests.fid('molecules', 'heavy'), 50, '% v/v');
insert into public.mixtures (id, name, source) values (tests.fid('mixtures', 'dense'), 'too dense', 'integrity test');
insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values
  (tests.fid('mixtures', 'dense'), tests.fid('molecules', 'heavy'), 4, 'M');
insert into public.molecules (id, name, smiles, inchikey, source, team_id, visibility) values
  (tests.fid('molecules', 'dup1'), 'dup 1', 'CO', 'DUPLICATESTRUC-TUREXXXXXX-N', 'integrity test', tests.fid('teams', 'A'), 'team'),
  (tests.fid('molecules', 'dup2'), 'dup 2', 'CO', 'DUPLICATESTRUC-TUREXXXXXX-N', 'integrity test', tests.fid('teams', 'A'), 'team');
insert into public.molecules (id, name, smiles, inchikey, source, confidence) values
  (tests.fid('molecules', 'uncited'), 'uncited', 'CCC', 'UNCITEDMOLECUL-EXXXXXXXXX-N', 'integrity test', 'V');

create temporary table found as select * from private.validate_integrity();
select ok(exists (select from found where check_name = 'access_mismatch' and row_id = tests.fid('molecule_identifiers', 'A')),
  'a child whose team differs from its parent''s is reported');
select ok(exists (select from found where check_name = 'component_not_visible' and row_id = tests.fid('mixture_components', 'A')),
  'a component using another team''s private molecule is reported');
select ok(exists (select from found where check_name = 'team_without_owner' and row_id = tests.fid('teams', 'A')),
  'a team left without an owner is reported');
select ok(exists (select from found where check_name = 'mixture_without_components' and row_id = tests.fid('mixtures', 'empty')),
  'a mixture without components is reported');
select ok(exists (select from found where check_name = 'percent_over_100' and row_id = tests.fid('mixtures', 'over')),
  'percentages summing above 100 are reported');
select ok(exists (select from found where check_name = 'mass_over_physical' and row_id = tests.fid('mixtures', 'dense')),
  '4 M of a 400 g/mol solute (1.6 kg/L) is reported as physically impossible');
select ok(not exists (select from found where check_name = 'mass_over_physical' and row_id = tests.fid('mixtures', 'over')),
  'a mixture within 1.5 kg/L is not reported as too dense');
select is((select count(*)::int from found where check_name = 'duplicate_structure' and row_id in (tests.fid('molecules', 'dup1'), tests.fid('molecules', 'dup2'))), 1,
  'a structure entered twice by one team is reported once');
select ok(exists (select from found where check_name = 'missing_citation' and row_id = tests.fid('molecules', 'uncited')),
  'a validated value without citation is reported');

-- The daily run records its findings
create temporary table run as select private.run_integrity_check() as id;
select is((select problem_count from private.integrity_runs where id = (select id from run)), (select count(*)::int from found),
  'a run records how many problems it found');
select is((select count(*)::int from cron.job where command = 'select private.run_integrity_check()' and schedule = '41 3 * * *'), 1,
  'the check runs daily through pg_cron');

select * from finish();
rollback;

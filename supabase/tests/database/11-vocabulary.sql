/**
 * One definition per vocabulary and formula: visibility, confidence labels, concentration units and team
 * roles are domains of `public` used by every column that holds them (no table repeats the list); the
 * solute mass per litre is one function used by the composition summary and the integrity check; the
 * access steps of a mixture component run in one trigger, in a stated order.
 */
begin;
select plan(22);
select tests.access_fixture();

/** --- Vocabularies: one domain each, used everywhere --- */
select is(
  (select coalesce(array_agg(format('%s.%s: %s', c.table_name, c.column_name, c.domain_name) order by c.table_name collate "C", c.column_name collate "C"), '{}')
   from information_schema.columns c
   where c.table_schema = 'public' and c.domain_schema = 'public'),
  array['mixture_components.unit: concentration_unit', 'mixture_components.visibility: visibility',
        'mixtures.confidence: confidence_label', 'mixtures.total_unit: concentration_unit', 'mixtures.visibility: visibility',
        'molecular_properties.confidence: confidence_label', 'molecular_properties.visibility: visibility',
        'molecule_identifiers.visibility: visibility', 'molecules.confidence: confidence_label', 'molecules.visibility: visibility',
        'team_invitations.role: team_role', 'team_members.role: team_role',
        'toxicity_import_errors.visibility: visibility', 'toxicity_import_jobs.status: toxicity_import_status',
        'toxicity_import_jobs.target_visibility: visibility', 'toxicity_import_jobs.visibility: visibility',
        'toxicity_records.confidence: confidence_label', 'toxicity_records.qualifier: toxicity_qualifier', 'toxicity_records.value_type: toxicity_value_type',
        'toxicity_records.visibility: visibility'],
  'every visibility, confidence, concentration-unit, team-role and toxicity-vocabulary column of public uses its domain');
select is(
  (select coalesce(array_agg(format('%s.%s', c.table_name, c.column_name) order by 1), '{}')
   from information_schema.columns c
   where c.table_schema = 'public' and c.column_name in ('visibility', 'confidence', 'unit', 'total_unit', 'role')
     and c.domain_name is null and c.table_name not in ('molecular_properties', 'mixture_components', 'catalogue_refresh_status')
     -- a toxicity record's unit is the canonical unit of its value type, fixed by a constraint
     and format('%s.%s', c.table_name, c.column_name) <> 'toxicity_records.unit'),
  '{}'::text[], 'no other table keeps such a column as plain text');
select is(
  (select coalesce(array_agg(format('%s: %s', c.conrelid::regclass, c.conname) order by 1), '{}') from pg_constraint c
   where c.contype = 'c' and c.connamespace = 'public'::regnamespace and c.contypid = 0
     and pg_get_constraintdef(c.oid) ~ '''(V2|mol/kg|editor)''|ARRAY\[''public''::text, ''team''::text\]'),
  '{}'::text[], 'no table constraint repeats a vocabulary list (the domain is its one definition)');
select throws_ok($$insert into public.molecules (name, smiles, inchikey, source, visibility) values ('x', 'C', 'VOCABULARYTEST-XXXXXXXXXX-N', 's', 'private')$$,
  '23514', null, 'a visibility outside the vocabulary is refused');
select throws_ok($$insert into public.molecules (name, smiles, inchikey, source, confidence) values ('x', 'C', 'VOCABULARYTEST-XXXXXXXXXX-N', 's', 'V3')$$,
  '23514', null, 'a confidence label outside the vocabulary is refused');
select throws_ok($$insert into public.mixtures (name, source, total_concentration, total_unit) values ('x', 's', 1, 'mM')$$,
  '23514', null, 'a concentration unit outside the vocabulary is refused');
select throws_ok(format($$update public.team_members set role = 'admin' where team_id = %L$$, tests.fid('teams', 'A')),
  '23514', null, 'a team role outside the vocabulary is refused');
select lives_ok($$insert into public.molecules (name, smiles, inchikey, source, visibility, confidence) values ('x', 'C', 'VOCABULARYTEST-XXXXXXXXXX-N', 's', 'public', 'C')$$,
  'values of the vocabulary are stored as plain text from the client''s side');

/** --- The solute-mass formula, once --- */
select is(private.solute_g_per_l(2, 'M', 100), 200::numeric, 'a molar component weighs c × MW grams per litre');
select is(private.solute_g_per_l(30, '% w/v', null), 300::numeric, 'a % w/v component weighs c × 10 grams per litre');
select is(private.solute_g_per_l(30, '% v/v', 100), 0::numeric, 'a % v/v component adds no known mass (it needs a density)');
select is(private.solute_g_per_l(3, 'mol/kg', 100), 0::numeric, 'a molal component adds no known mass (it needs the solvent mass)');
select is(private.solute_g_per_l(2, 'M', null), null::numeric, 'a molar component of a molecule without weight has no known mass');
select ok(exists (select from pg_depend d join pg_rewrite w on w.oid = d.objid
                  where w.ev_class = 'private.mixture_composition_summary'::regclass
                    and d.refobjid = 'private.solute_g_per_l(numeric, text, numeric)'::regprocedure),
  'the composition summary computes solute mass with private.solute_g_per_l()');
select ok((select prosrc ~ 'private\.solute_g_per_l\(' and prosrc !~ 'molecular_weight\) filter' from pg_proc
           where oid = 'private.validate_integrity()'::regprocedure),
  'the integrity check computes it with the same function, not a copy of the formula');
insert into public.molecules (id, name, smiles, inchikey, source, molecular_weight) values
  (tests.fid('molecules', 'w400'), 'heavy', 'CC', 'VOCABULARYHEAV-YXXXXXXXXX-N', 'vocabulary test', 400);
insert into public.mixtures (id, name, source) values (tests.fid('mixtures', 'dense'), 'dense', 'vocabulary test');
insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values
  (tests.fid('mixtures', 'dense'), tests.fid('molecules', 'w400'), 4, 'M'),
  (tests.fid('mixtures', 'dense'), tests.fid('molecules', 'P'), 10, '% w/v');
select private.refresh_catalogue_view('mixture_composition_summary');
select is((select solute_g_per_l from private.mixture_composition_summary where mixture_id = tests.fid('mixtures', 'dense')), 1700::numeric,
  'the summary says 4 M × 400 g/mol + 10 % w/v = 1700 g/L');
select is((select detail from private.validate_integrity() where row_id = tests.fid('mixtures', 'dense') and check_name = 'mass_over_physical'),
  'solutes amount to 1700 g/L (limit 1500)', 'the integrity check finds the same 1700 g/L');

/** --- Trigger order: inherit, then check the molecule, in one function --- */
select is(
  (select array_agg(t.tgname::text order by t.tgname) from pg_trigger t
   where t.tgrelid = 'public.mixture_components'::regclass and not t.tgisinternal and t.tgtype & 2 = 2),
  array['mixture_components_access'], 'mixture_components has one before-row trigger: no order left to name sorting');
-- as an editor of Alpha
select tests.authenticate_as('acc_editor_a');
select lives_ok(format($$insert into public.mixture_components (id, mixture_id, molecule_id, concentration, unit) values (%L, %L, %L, 1, 'M')$$,
  tests.fid('mixture_components', 'order'), tests.fid('mixtures', 'A'), tests.fid('molecules', 'A')),
  'a component sent without team or visibility may use its team''s private molecule (the check reads the inherited team)');
select is((select team_id from public.mixture_components where id = tests.fid('mixture_components', 'order')), tests.fid('teams', 'A'),
  'the component carries its mixture''s team');
select tests.clear_authentication();
-- as the project owner
select throws_ok(format($$update public.mixture_components set mixture_id = %L where id = %L$$, tests.fid('mixtures', 'P'), tests.fid('mixture_components', 'order')),
  '23514', null, 'moving it into a public mixture is refused: the check sees the visibility inherited from the new mixture');
select throws_ok(format($$update public.mixture_components set mixture_id = %L where id = %L$$, tests.fid('mixtures', 'B'), tests.fid('mixture_components', 'order')),
  '23514', null, 'moving it into another team''s mixture is refused: the check sees the new mixture''s team');

select * from finish();
rollback;

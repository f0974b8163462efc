/**
 * Threat: an error tells a caller about a row they cannot read. A child row pointing at another team's
 * hidden parent (molecule, mixture) must fail exactly like one pointing at a parent that does not exist
 * (same SQLSTATE, same text: 42501 with the wording of an RLS refusal), and team or visibility mismatches
 * (23514) name no id.
 */
begin;
select plan(12);
select tests.access_fixture();

-- as an editor of Alpha
select tests.authenticate_as('acc_editor_a');
select is(tests.error_of(format($$insert into public.molecule_identifiers (molecule_id, kind, value, source) values (%L, 'cas', '50-00-0', 't')$$, tests.fid('molecules', 'B'))),
          tests.error_of(format($$insert into public.molecule_identifiers (molecule_id, kind, value, source) values (%L, 'cas', '50-00-0', 't')$$, extensions.gen_random_uuid())),
  'an identifier for another team''s hidden molecule fails exactly like one for a molecule that does not exist (code and text)');
select is(left(tests.error_of(format($$insert into public.molecule_identifiers (molecule_id, kind, value, source) values (%L, 'cas', '50-00-0', 't')$$, tests.fid('molecules', 'B'))), 5),
  '42501', 'and that error is a refusal (42501), as for any row the caller may not write');
select is(tests.error_of(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'M')$$,
            tests.fid('mixtures', 'A'), tests.fid('molecules', 'B'))),
          tests.error_of(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'M')$$,
            tests.fid('mixtures', 'A'), extensions.gen_random_uuid())),
  'a component using another team''s hidden molecule fails exactly like one using a molecule that does not exist');
select is(tests.error_of(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'M')$$,
            tests.fid('mixtures', 'B'), tests.fid('molecules', 'P'))),
          tests.error_of(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'M')$$,
            extensions.gen_random_uuid(), tests.fid('molecules', 'P'))),
  'a component of another team''s hidden mixture fails exactly like one of a mixture that does not exist');
select is(tests.error_of(format($$update public.molecular_properties set molecule_id = %L where id = %L$$, tests.fid('molecules', 'B'), tests.fid('molecular_properties', 'A'))),
          tests.error_of(format($$update public.molecular_properties set molecule_id = %L where id = %L$$, extensions.gen_random_uuid(), tests.fid('molecular_properties', 'A'))),
  'moving a property onto a hidden molecule fails exactly like moving it onto a missing one');
select unalike(tests.error_of(format($$insert into public.molecule_identifiers (molecule_id, kind, value, source, team_id) values (%L, 'cas', '50-00-0', 't', %L)$$,
  tests.fid('molecules', 'A'), tests.fid('teams', 'B'))), '%' || tests.fid('teams', 'B') || '%',
  'a team mismatch error does not echo another team''s id');
select matches(tests.error_of(format($$insert into public.molecule_identifiers (molecule_id, kind, value, source, team_id) values (%L, 'cas', '50-00-0', 't', %L)$$,
  tests.fid('molecules', 'A'), tests.fid('teams', 'B'))), '^23514: ', 'a team mismatch is still a check violation (23514)');
select doesnt_match(tests.error_of(format($$insert into public.molecule_identifiers (molecule_id, kind, value, source, team_id) values (%L, 'cas', '50-00-0', 't', %L)$$,
  tests.fid('molecules', 'A'), tests.fid('teams', 'B'))), '[0-9a-f]{8}-([0-9a-f]{4}-){3}', 'and names no id at all');
select tests.clear_authentication();

-- as a service client of Alpha with properties:write
select is(tests.error_as('cryo_service', jsonb_build_object('scope', 'properties:write', 'team_id', tests.fid('teams', 'A')),
    format($$insert into public.molecular_properties (molecule_id, property_type_id, numeric_value, source) values (%L, %L, 1, 't')$$, tests.fid('molecules', 'B'), tests.fid('property_types', 'P'))),
  tests.error_as('cryo_service', jsonb_build_object('scope', 'properties:write', 'team_id', tests.fid('teams', 'A')),
    format($$insert into public.molecular_properties (molecule_id, property_type_id, numeric_value, source) values (%L, %L, 1, 't')$$, extensions.gen_random_uuid(), tests.fid('property_types', 'P'))),
  'a service client writing a property of another team''s molecule fails exactly like one of a missing molecule');
select is(tests.error_as('cryo_service', jsonb_build_object('scope', 'properties:write', 'team_id', tests.fid('teams', 'A')),
    format($$insert into public.molecular_properties (molecule_id, property_type_id, numeric_value, source) values (%L, %L, 1, 't')$$, tests.fid('molecules', 'A'), tests.fid('property_types', 'P'))),
  'no error', 'while a property of its own team''s molecule is written (the parent need not be readable under another scope)');
-- as the project owner
select matches(tests.error_of(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'M')$$,
  tests.fid('mixtures', 'P'), tests.fid('molecules', 'A'))), '^23514: ', 'a private molecule in a public mixture is refused (23514)');
select doesnt_match(tests.error_of(format($$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (%L, %L, 1, 'M')$$,
  tests.fid('mixtures', 'P'), tests.fid('molecules', 'A'))), '[0-9a-f]{8}-([0-9a-f]{4}-){3}',
  'without naming the molecule or its team');

select * from finish();
rollback;

/**
 * Threat: an insert tells a caller whether a row they cannot read exists. The client chooses `id`, so an
 * insert that reuses the id of another team's hidden row fails with 23505 (its primary key), while an
 * insert with an unused id succeeds: the SQLSTATE answers "does a row with this id exist?" for rows RLS
 * hides. (Ids do get out: a public mixture's components name private molecules, invitations name teams.)
 * An insert with a hidden row's id must go exactly as one with a fresh id.
 *
 * OPEN (marked TODO, so it is reported as skipped, not passed): no error wording closes this while clients
 * choose ids. A fresh id succeeds, so whatever an existing id answers (23505, or a 42501 worded like an RLS
 * refusal) it answers "this id is taken"; a silent re-keying is told by the id RETURNING gives back. The
 * fault closes only when API roles cannot choose ids (server-generated ids: column privileges without
 * INSERT on `id`, or a trigger replacing it), which changes the API contract and every test and client that
 * inserts a row and then names it by the id it chose. docs/security-sql.md, "Hidden row ids", has the plan.
 */
begin;
select plan(5);
select tests.access_fixture();
select todo_start('hidden-row id oracle: open until API roles cannot choose ids (docs/security-sql.md)');

-- as an editor of Alpha, inserting into Alpha with the id of Beta's hidden row, then with an unused id
select tests.authenticate_as('acc_editor_a');
select is(tests.error_of(format($$insert into public.molecules (id, name, smiles, inchikey, source, team_id, visibility) values (%L, 'rt', 'CO', 'FIXTUREMOLECUL-ZZZZZZZZZZ-N', 'rt', %L, 'team')$$,
            tests.fid('molecules', 'B'), tests.fid('teams', 'A'))),
          tests.error_of(format($$insert into public.molecules (id, name, smiles, inchikey, source, team_id, visibility) values (%L, 'rt', 'CO', 'FIXTUREMOLECUL-ZZZZZZZZZZ-N', 'rt', %L, 'team')$$,
            extensions.gen_random_uuid(), tests.fid('teams', 'A'))),
  'a molecule with the id of Beta''s hidden molecule goes exactly like one with a fresh id');
select is(tests.error_of(format($$insert into public.mixtures (id, name, source, team_id, visibility) values (%L, 'rt', 'rt', %L, 'team')$$,
            tests.fid('mixtures', 'B'), tests.fid('teams', 'A'))),
          tests.error_of(format($$insert into public.mixtures (id, name, source, team_id, visibility) values (%L, 'rt', 'rt', %L, 'team')$$,
            extensions.gen_random_uuid(), tests.fid('teams', 'A'))),
  'a mixture with the id of Beta''s hidden mixture goes exactly like one with a fresh id');
select is(tests.error_of(format($$insert into public.molecule_identifiers (id, molecule_id, kind, value, source) values (%L, %L, 'cas', '64-17-5', 'rt')$$,
            tests.fid('molecule_identifiers', 'B'), tests.fid('molecules', 'A'))),
          tests.error_of(format($$insert into public.molecule_identifiers (id, molecule_id, kind, value, source) values (%L, %L, 'cas', '64-17-5', 'rt')$$,
            extensions.gen_random_uuid(), tests.fid('molecules', 'A'))),
  'an identifier with the id of Beta''s hidden identifier goes exactly like one with a fresh id');
select is(tests.error_of(format($$insert into public.molecular_properties (id, molecule_id, property_type_id, numeric_value, unit, source) values (%L, %L, %L, 1, 'mM', 'rt')$$,
            tests.fid('molecular_properties', 'B'), tests.fid('molecules', 'A'), tests.fid('property_types', 'P'))),
          tests.error_of(format($$insert into public.molecular_properties (id, molecule_id, property_type_id, numeric_value, unit, source) values (%L, %L, %L, 1, 'mM', 'rt')$$,
            extensions.gen_random_uuid(), tests.fid('molecules', 'A'), tests.fid('property_types', 'P'))),
  'a property with the id of Beta''s hidden property goes exactly like one with a fresh id');
select tests.clear_authentication();

-- as the owner of Alpha
select tests.authenticate_as('acc_owner_a');
select is(tests.error_of(format($$insert into public.team_invitations (id, team_id, invitee_email) values (%L, %L, 'rt@test.local')$$,
            tests.fid('team_invitations', 'B'), tests.fid('teams', 'A'))),
          tests.error_of(format($$insert into public.team_invitations (id, team_id, invitee_email) values (%L, %L, 'rt@test.local')$$,
            extensions.gen_random_uuid(), tests.fid('teams', 'A'))),
  'an invitation with the id of Beta''s hidden invitation goes exactly like one with a fresh id');
select tests.clear_authentication();

select todo_end();

select * from finish();
rollback;

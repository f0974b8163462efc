/**
 * Threat: a public mixture keeps showing a molecule its team has since made private. A team publishes a
 * mixture made of its own public molecule, then un-publishes the molecule. The mixture's component (the
 * molecule's id, concentration and role) stayed public, and the composition summary of the public mixture
 * went on being computed from the private molecule. Whatever anon can read of a public mixture must not
 * name or depend on a molecule anon cannot read (the integrity report calls this state
 * `team molecule in a public mixture`). The molecule's change is now refused while a public mixture or
 * another team's mixture uses it, with one error whether the caller can read that mixture or not.
 */
begin;
select plan(11);
select tests.access_fixture();

-- as an editor of Alpha: a public molecule, a public mixture made of it, a second public molecule
select tests.authenticate_as('acc_editor_a');
select lives_ok(format($$
  insert into public.molecules (id, name, smiles, inchikey, source, team_id, visibility)
    values (%1$L, 'rt molecule', 'CCO', 'FIXTUREMOLECUL-RRRRRRRRRR-N', 'rt', %3$L, 'public');
  insert into public.mixtures (id, name, source, team_id, visibility) values (%2$L, 'rt mixture', 'rt', %3$L, 'public');
  insert into public.mixture_components (mixture_id, molecule_id, concentration, unit, role) values (%2$L, %1$L, 2, 'M', 'penetrating');
  insert into public.molecules (id, name, smiles, inchikey, source, team_id, visibility)
    values (%4$L, 'rt molecule 2', 'CCCO', 'FIXTUREMOLECUL-SSSSSSSSSS-N', 'rt', %3$L, 'public')$$,
  tests.fid('molecules', 'rt'), tests.fid('mixtures', 'rt'), tests.fid('teams', 'A'), tests.fid('molecules', 'rt2')),
  'Alpha publishes two molecules and a public mixture made of the first');
select throws_ok(format($$update public.molecules set visibility = 'team' where id = %L$$, tests.fid('molecules', 'rt')),
  '23514', 'molecules: the molecule is used in mixtures that must keep reading it',
  'Alpha cannot un-publish a molecule its own public mixture uses');
select tests.clear_authentication();
select throws_ok(format($$update public.molecules set team_id = %L, visibility = 'team' where id = %L$$, tests.fid('teams', 'B'), tests.fid('molecules', 'rt')),
  '23514', 'molecules: the molecule is used in mixtures that must keep reading it',
  'nobody, not even the project''s own role, moves it privately to another team');

-- as an editor of Beta: a team-only mixture of Beta made of Alpha's second public molecule
select tests.authenticate_as('acc_editor_b');
select lives_ok(format($$
  insert into public.mixtures (id, name, source, team_id, visibility) values (%1$L, 'rt beta mixture', 'rt', %2$L, 'team');
  insert into public.mixture_components (mixture_id, molecule_id, concentration, unit, role) values (%1$L, %3$L, 1, 'M', 'penetrating')$$,
  tests.fid('mixtures', 'rtb'), tests.fid('teams', 'B'), tests.fid('molecules', 'rt2')),
  'Beta uses Alpha''s public molecule in a team-only mixture');
select tests.clear_authentication();

-- as an editor of Alpha, who cannot read Beta's mixture
select tests.authenticate_as('acc_editor_a');
select is(tests.error_of(format($$update public.molecules set visibility = 'team' where id = %L$$, tests.fid('molecules', 'rt2'))),
  tests.error_of(format($$update public.molecules set visibility = 'team' where id = %L$$, tests.fid('molecules', 'rt'))),
  'un-publishing a molecule another team''s hidden mixture uses fails exactly as with the caller''s own public mixture');
select lives_ok(format($$delete from public.mixture_components where mixture_id = %1$L;
  update public.mixtures set visibility = 'team' where id = %1$L;
  insert into public.mixture_components (mixture_id, molecule_id, concentration, unit, role) values (%1$L, %2$L, 2, 'M', 'penetrating')$$,
  tests.fid('mixtures', 'rt'), tests.fid('molecules', 'rt')),
  'Alpha makes its mixture team-only (component re-added)');
select lives_ok(format($$update public.molecules set visibility = 'team' where id = %L$$, tests.fid('molecules', 'rt')),
  'a molecule used only in team-only mixtures of its own team can be un-published');
select tests.clear_authentication();

-- as anon
select tests.authenticate_as_role('anon');
select is_empty(format($$select 1 from public.molecules where id = %L$$, tests.fid('molecules', 'rt')),
  'anon no longer reads the un-published molecule');
select is_empty($$select c.molecule_id from public.mixture_components c
    where not exists (select from public.molecules m where m.id = c.molecule_id)$$,
  'no component anon reads names a molecule anon cannot read');
select tests.clear_authentication();

-- the composition summary, with a hidden component molecule forced in past the guards by the project's own role
update public.mixtures set visibility = 'public' where id = tests.fid('mixtures', 'rtb');
refresh materialized view private.mixture_composition_summary;
select tests.authenticate_as_role('anon');
select isnt_empty(format($$select * from public.mixture_composition_summary(%L)$$, tests.fid('mixtures', 'rtb')),
  'anon reads the summary of Beta''s now public mixture while its molecule is public');
select tests.clear_authentication();
alter table public.molecules disable trigger molecules_guard_access;
update public.molecules set visibility = 'team' where id = tests.fid('molecules', 'rt2');
alter table public.molecules enable trigger molecules_guard_access;
select tests.authenticate_as_role('anon');
select is_empty(format($$select * from public.mixture_composition_summary(%L)$$, tests.fid('mixtures', 'rtb')),
  'the composition summary answers nothing once a component molecule is unreadable, whatever the view holds');
select tests.clear_authentication();

select * from finish();
rollback;

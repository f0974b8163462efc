/**
 * Threat: a public mixture keeps showing a molecule its team has since made private. A team publishes a
 * mixture made of its own public molecule, then un-publishes the molecule. The mixture's component (the
 * molecule's id, concentration and role) stays public, and the composition summary of the public mixture
 * goes on being computed from the private molecule. Whatever anon can read of a public mixture must not
 * name or depend on a molecule anon cannot read (the integrity report already calls this state
 * `team molecule in a public mixture`; nothing prevents it).
 */
begin;
select plan(3);
select tests.access_fixture();

-- as an editor of Alpha: a public molecule, a public mixture made of it, then the molecule un-published
select tests.authenticate_as('acc_editor_a');
select lives_ok(format($$
  insert into public.molecules (id, name, smiles, inchikey, source, team_id, visibility)
    values (%1$L, 'rt molecule', 'CCO', 'FIXTUREMOLECUL-RRRRRRRRRR-N', 'rt', %3$L, 'public');
  insert into public.mixtures (id, name, source, team_id, visibility) values (%2$L, 'rt mixture', 'rt', %3$L, 'public');
  insert into public.mixture_components (mixture_id, molecule_id, concentration, unit, role) values (%2$L, %1$L, 2, 'M', 'penetrating')$$,
  tests.fid('molecules', 'rt'), tests.fid('mixtures', 'rt'), tests.fid('teams', 'A')),
  'Alpha publishes a molecule and a mixture made of it');
update public.molecules set visibility = 'team' where id = tests.fid('molecules', 'rt');
select tests.clear_authentication();

-- as anon
select tests.authenticate_as_role('anon');
select is_empty(format($$select 1 from public.molecules where id = %L$$, tests.fid('molecules', 'rt')),
  'anon no longer reads the un-published molecule');
select is_empty(format($$select c.molecule_id from public.mixture_components c where c.mixture_id = %L
    and not exists (select from public.molecules m where m.id = c.molecule_id)$$, tests.fid('mixtures', 'rt')),
  'no component anon reads names a molecule anon cannot read');
select tests.clear_authentication();

select * from finish();
rollback;

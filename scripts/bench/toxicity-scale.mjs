// The benchmark's own, optional toxicity data step: until `npm run db:scale` (owned by the data work) writes
// toxicity records itself, the RLS suite needs records of the scale molecules to time the toxicity profile
// and summary. This step adds `perMolecule` records to every scale molecule (source `bench-scale`), only
// when the database does not already hold that many records per scale molecule — so once db:scale makes
// them, this step does nothing. Set-based SQL, secondary indexes rebuilt after the insert (as db:scale
// does), then the summary matview refreshed.
//
// Shape of the generated records (deterministic, from the molecule's number in its id order):
//   k = 1 LD50 rat oral, 2 hit_call (cytotoxicity), 3 AC50 (nuclear receptor activity), 4 GHS category,
//   5 LD50 mouse oral, 6… cycle through the same five; a private molecule's records are its team's; one
//   public molecule in 7 also gets its 5th record as a private record of a scale team (so a member's and a
//   non-member's summaries differ).

const SOURCE = "bench-scale";

/**
 * ensureToxicityData(sql, { perMolecule, log }) → Promise<{ generated: boolean, records: number,
 *   scale_molecules: number, seconds: number, reason: string }>
 * `sql`: a postgres.js connection as the table owner (postgres). `perMolecule`: records wanted per scale
 * molecule (integer ≥ 1). Throws when there are no scale molecules (run `npm run db:scale` first).
 */
export async function ensureToxicityData(sql, { perMolecule = 5, log = () => {} } = {}) {
  const t0 = performance.now();
  const [{ n: molecules }] = await sql`select count(*)::int as n from public.molecules where source = 'db:scale'`;
  if (!molecules) throw new Error("no scale molecules: run `npm run db:scale -- --molecules N` first");
  const want = molecules * perMolecule;
  const [{ n: all }] = await sql`select count(*)::int as n from public.toxicity_records`;
  const [{ n: ours }] = await sql`select count(*)::int as n from public.toxicity_records r
    join public.toxicity_sources s on s.id = r.source_id where s.name = ${SOURCE}`;
  const seconds = () => Number(((performance.now() - t0) / 1000).toFixed(2));
  if (all - ours >= want) {
    return { generated: false, records: all, scale_molecules: molecules, seconds: seconds(), reason: "db:scale made them" };
  }
  if (ours === want) {
    return { generated: false, records: all, scale_molecules: molecules, seconds: seconds(), reason: "already there" };
  }
  log(`  toxicity records: generating ${perMolecule} per scale molecule (${want}+) as source ${SOURCE}`);
  await sql.begin(async (tx) => {
    await tx.unsafe(`set local statement_timeout = 0; set local maintenance_work_mem = '256MB'`);
    await tx.unsafe(`set local synchronous_commit = off`);
    await tx`insert into public.toxicity_sources (name, title, description)
      values (${SOURCE}, 'Benchmark scale records', 'Synthetic records of the scale molecules (scripts/bench/toxicity-scale.mjs)')
      on conflict (name) do nothing`;
    await tx`delete from public.toxicity_records where source_id = (select id from public.toxicity_sources where name = ${SOURCE})`;
    const idx = await tx`select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
      from pg_index i where i.indrelid = 'public.toxicity_records'::regclass
        and not exists (select from pg_constraint c where c.conindid = i.indexrelid)`;
    for (const { name } of idx) await tx.unsafe(`drop index ${name}`);
    // Triggers off for the bulk load (audit per row, access check): the rows take their molecule's owner,
    // which is what the access trigger demands.
    await tx.unsafe(`alter table public.toxicity_records disable trigger user`);
    await tx.unsafe(
      `with src as (select id from public.toxicity_sources where name = '${SOURCE}'),
            ep as (select code, id from public.toxicity_endpoints),
            teams as (select array_agg(id order by name) as ids from public.teams where name like 'Scale team %'),
            mol as (select m.id, m.team_id, m.visibility, row_number() over (order by m.id) as n
                    from public.molecules m where m.source = 'db:scale'),
            rec as (
              select mol.id as molecule_id, mol.n, k, ((k - 1) % 5) + 1 as kind,
                     case when mol.visibility = 'public' and k = 5 and mol.n % 7 = 0
                          then (select ids[1 + (mol.n % cardinality(ids))::int] from teams) else mol.team_id end as team_id,
                     case when mol.visibility = 'public' and k = 5 and mol.n % 7 = 0 then 'team' else mol.visibility end as visibility
              from mol, generate_series(1, ${perMolecule}) k)
       insert into public.toxicity_records (molecule_id, molecule_match, source_id, source_record_id, endpoint_id, value_type,
         raw_value, raw_unit, qualifier, value, unit, conversion, species, route, record_key, team_id, visibility)
       select r.molecule_id, 'exact', (select id from src), r.n || ':' || r.k,
              (select id from ep where code = case r.kind when 2 then 'cytotoxicity' when 3 then 'nuclear_receptor_activity'
                                                          else 'acute_oral_toxicity' end),
              v.value_type, v.value::text, v.unit, '=', v.value, v.unit, 'none',
              case when r.kind in (1, 5) then case r.kind when 1 then 'rat' else 'mouse' end end,
              case when r.kind in (1, 5) then 'oral' end,
              encode(sha256(convert_to('bench-scale:' || r.molecule_id || ':' || r.k, 'UTF8')), 'hex'),
              r.team_id, r.visibility
       from rec r
       cross join lateral (select case r.kind when 1 then 'LD50' when 2 then 'hit_call' when 3 then 'AC50'
                                              when 4 then 'GHS_category' else 'LD50' end as value_type,
                                  case r.kind when 2 then 'call' when 3 then 'µM' when 4 then 'category' else 'mg/kg' end as unit,
                                  case r.kind when 1 then 50 + (r.n * 37 % 5000) when 2 then (r.n + r.k) % 2
                                              when 3 then 0.5 + (r.n % 200) when 4 then 1 + r.n % 5
                                              else 40 + (r.n * 53 % 7000) end::double precision as value) v`,
    );
    for (const { def } of idx) await tx.unsafe(def);
    await tx.unsafe(`alter table public.toxicity_records enable trigger user`);
  });
  await sql.unsafe(`analyze public.toxicity_records`);
  await sql`select private.refresh_catalogue_view('toxicity_summary')`;
  const [{ n: after }] = await sql`select count(*)::int as n from public.toxicity_records`;
  return { generated: true, records: after, scale_molecules: molecules, seconds: seconds(), reason: "generated" };
}


/**
 * removeToxicityData(sql) → Promise<number>: deletes this step's records (source bench-scale) with the
 * per-row triggers off, so re-running db:scale (which deletes the scale molecules, cascading) does not
 * pay a per-row audit of millions of records. Returns the number of rows deleted.
 */
export async function removeToxicityData(sql) {
  return await sql.begin(async (tx) => {
    await tx.unsafe(`set local statement_timeout = 0`);
    await tx.unsafe(`alter table public.toxicity_records disable trigger user`);
    const r = await tx`delete from public.toxicity_records
      where source_id = (select id from public.toxicity_sources where name = ${SOURCE})`;
    await tx.unsafe(`alter table public.toxicity_records enable trigger user`);
    return r.count;
  });
}

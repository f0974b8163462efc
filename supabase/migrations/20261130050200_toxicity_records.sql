/**
 * CryoProtect: toxicity records and their imports (issue 10, item 1)
 * ---------------------------------------------------------------------------------------------------------
 * toxicity_records holds one value a source states about a substance: the raw qualifier, value and unit
 * exactly as given, the value normalized into the one canonical unit of its value type with the conversion
 * used (supabase/functions/_shared/toxicity/units.ts), and the context the source states (species, route,
 * duration, sex: null when not stated, never a default). The substance is a molecule, or a formulation (a
 * product) whose value is never credited to its active ingredient. Public reference data are public rows
 * without a team; a team's own experiments are its private rows (row model 'team_data').
 *
 * Idempotency: record_key is a digest of what makes a record the same record (substance, context, raw
 * value, citation), computed by the importer; one record per (team, key), so re-importing a file inserts
 * nothing, and a resumed batch cannot duplicate a row. Conflicting values differ in key and stay distinct.
 *
 * toxicity_import_jobs and toxicity_import_errors are bookkeeping written only by the import definers
 * (row model 'import_log'): the job's team reads them, the Data API writes none of them.
 */

/** --- Import jobs --- */

create domain public.toxicity_import_status as text check (value in ('open', 'committed', 'failed', 'aborted'));
comment on domain public.toxicity_import_status is
  'State of an import job: open (taking batches), committed (done, summary refreshed), failed (stopped by an error), aborted (by its client).';

/**
 * One import of one file by one client: what was sent, into which visibility, and the bucket counts. The
 * buckets partition the file's units (a row, or a matrix cell): imported + duplicate + rejected +
 * not_a_record = units_seen.
 */
create table public.toxicity_import_jobs (
  id uuid primary key default gen_random_uuid(),
  source_id uuid not null references public.toxicity_sources (id),
  format text not null check (format in ('tox21', 'toxcast', 'ld50-zhu', 'niehs-ice', 'cryoprotect')),
  file_name text check (file_name is null or length(file_name) <= 255),
  file_sha256 text check (file_sha256 is null or file_sha256 ~ '^[0-9a-f]{64}$'),
  target_visibility public.visibility not null,
  status public.toxicity_import_status not null default 'open',
  batches_received integer not null default 0 check (batches_received >= 0),
  units_seen bigint not null default 0 check (units_seen >= 0),
  imported bigint not null default 0 check (imported >= 0),
  duplicate bigint not null default 0 check (duplicate >= 0),
  rejected bigint not null default 0 check (rejected >= 0),
  not_a_record bigint not null default 0 check (not_a_record >= 0),
  conflict_groups bigint not null default 0 check (conflict_groups >= 0),
  created_by uuid references auth.users (id) on delete set null,
  client_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  committed_at timestamptz,
  team_id uuid not null references public.teams (id) on delete cascade,
  visibility public.visibility not null default 'team' check (visibility = 'team'),
  constraint toxicity_import_jobs_buckets check (imported + duplicate + rejected + not_a_record = units_seen),
  constraint toxicity_import_jobs_committed check ((status = 'committed') = (committed_at is not null))
);
comment on table public.toxicity_import_jobs is
  'Toxicity import jobs: file, format, target visibility, status and the reconciliation bucket counts.';
create index toxicity_import_jobs_team_id_idx on public.toxicity_import_jobs (team_id, created_at desc);
create index toxicity_import_jobs_source_id_idx on public.toxicity_import_jobs (source_id);
create index toxicity_import_jobs_created_by_idx on public.toxicity_import_jobs (created_by);
-- One open job per team and file: a re-started CLI finds its job again instead of starting a second one.
create unique index toxicity_import_jobs_open_file_key on public.toxicity_import_jobs (team_id, file_sha256, target_visibility)
where status = 'open';

create trigger toxicity_import_jobs_set_updated_at before update on public.toxicity_import_jobs
for each row execute function private.set_updated_at();

/** A rejected unit of an import: where (data row, field) and why (a machine-readable code and a sentence). */
create table public.toxicity_import_errors (
  id uuid primary key default gen_random_uuid(),
  job_id uuid not null references public.toxicity_import_jobs (id) on delete cascade,
  source_row integer not null check (source_row > 0),
  field text,
  code text not null check (code ~ '^[A-Z][A-Z0-9_]{0,63}$'),
  reason text not null check (btrim(reason) <> ''),
  team_id uuid not null references public.teams (id) on delete cascade,
  visibility public.visibility not null default 'team' check (visibility = 'team'),
  constraint toxicity_import_errors_unit_key unique (job_id, source_row, field)
);
comment on table public.toxicity_import_errors is 'Rejected units of toxicity imports: data row, field, code, reason.';
create index toxicity_import_errors_team_id_idx on public.toxicity_import_errors (team_id);

/** --- Records --- */

create table public.toxicity_records (
  id uuid primary key default gen_random_uuid(),
  -- The substance: a molecule, or a formulation (never both).
  molecule_id uuid references public.molecules (id) on delete cascade,
  -- How the molecule was matched: exact structure or identifier, or by skeleton only (first InChIKey
  -- block: stereo or isotopes unresolved), which is linked but flagged.
  molecule_match text check (molecule_match in ('exact', 'skeleton')),
  formulation_name text,
  formulation_source_id text,
  percent_active_ingredient text,
  -- The formulation's active ingredient, for navigation only: its values are never the molecule's.
  active_ingredient_molecule_id uuid references public.molecules (id) on delete set null,
  source_id uuid not null references public.toxicity_sources (id),
  source_record_id text,
  source_row integer check (source_row is null or source_row > 0),
  assay_id uuid references public.toxicity_assays (id),
  endpoint_id uuid not null references public.toxicity_endpoints (id),
  value_type public.toxicity_value_type not null,
  raw_qualifier text check (raw_qualifier is null or length(raw_qualifier) <= 10),
  raw_value text not null check (length(raw_value) between 1 and 100),
  raw_unit text check (raw_unit is null or length(raw_unit) <= 50),
  qualifier public.toxicity_qualifier not null,
  value double precision not null check (value = value and value not in ('Infinity', '-Infinity')),
  unit text not null,
  conversion text not null check (btrim(conversion) <> ''),
  species text,
  route text,
  duration text,
  sex text check (sex in ('female', 'male', 'male/female')),
  citation text,
  url text,
  record_key text not null check (record_key ~ '^[0-9a-f]{64}$'),
  import_job_id uuid references public.toxicity_import_jobs (id) on delete set null,
  created_at timestamptz not null default now(),
  team_id uuid references public.teams (id) on delete cascade,
  visibility public.visibility not null default 'public',
  constraint toxicity_records_team_visibility check (visibility = 'public' or team_id is not null),
  constraint toxicity_records_substance check (
    (molecule_id is not null and molecule_match is not null and formulation_name is null and formulation_source_id is null)
    or (molecule_id is null and molecule_match is null and (formulation_name is not null or formulation_source_id is not null))),
  constraint toxicity_records_canonical_unit check (unit = case value_type
    when 'LD50' then 'mg/kg' when 'AC50' then 'µM' when 'hit_call' then 'call' else 'category' end),
  constraint toxicity_records_hit_call check (value_type <> 'hit_call' or (value in (0, 1) and qualifier = '=')),
  constraint toxicity_records_ghs_category check (value_type <> 'GHS_category' or value in (1, 2, 3, 4, 5)),
  constraint toxicity_records_epa_category check (value_type <> 'EPA_category' or value in (1, 2, 3, 4)),
  constraint toxicity_records_positive_dose check (value_type not in ('LD50', 'AC50') or value > 0)
);
comment on table public.toxicity_records is
  'Toxicity values: raw as stated and normalized to the canonical unit, with context, source, citation and import job.';

-- Profiles and summaries: a molecule's records by value type, keyset-paged on id.
create index toxicity_records_molecule_idx on public.toxicity_records (molecule_id, value_type, id) where molecule_id is not null;
create index toxicity_records_active_ingredient_idx on public.toxicity_records (active_ingredient_molecule_id)
where active_ingredient_molecule_id is not null;
create index toxicity_records_assay_id_idx on public.toxicity_records (assay_id) where assay_id is not null;
create index toxicity_records_endpoint_id_idx on public.toxicity_records (endpoint_id);
create index toxicity_records_source_id_idx on public.toxicity_records (source_id);
create index toxicity_records_import_job_id_idx on public.toxicity_records (import_job_id) where import_job_id is not null;
create index toxicity_records_team_id_idx on public.toxicity_records (team_id) where team_id is not null;
create index toxicity_records_visibility_idx on public.toxicity_records (visibility);
-- The same record once per owner: public rows (no team) share one key space, each team has its own.
create unique index toxicity_records_key on public.toxicity_records (record_key, team_id) nulls not distinct;

/** --- A record cannot reach further than its molecule --- */

/**
 * private.toxicity_record_access() trigger (before insert or update on public.toxicity_records)
 * The molecule a record is about, and a formulation's active ingredient, must be readable by the caller
 * when the record (re)points at it (a missing and a hidden molecule fail alike: 42501, RLS wording), and
 * must be public, or of the record's own team with the record team-only (23514): a public record about a
 * private molecule would publish it. Security definer so that the molecule is found whoever calls.
 */
create or replace function private.toxicity_record_access()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  ref pg_catalog.uuid;
  old_ref pg_catalog.uuid;
  mol_team pg_catalog.uuid;
  mol_visibility pg_catalog.text;
  i pg_catalog.int4;
begin
  for i in 1..2 loop
    ref := case i when 1 then new.molecule_id else new.active_ingredient_molecule_id end;
    continue when ref is null;
    old_ref := case when tg_op = 'UPDATE' then case i when 1 then old.molecule_id else old.active_ingredient_molecule_id end end;
    select m.team_id, m.visibility into mol_team, mol_visibility from public.molecules m where m.id = ref;
    if mol_visibility is null or (ref is distinct from old_ref and not private.row_readable(mol_team, mol_visibility)) then
      raise exception 'new row violates row-level security policy for table "%"', tg_table_name using errcode = '42501';
    end if;
    if not (mol_visibility = 'public' or (mol_team = new.team_id and new.visibility = 'team')) then
      raise exception 'toxicity_records: a private molecule can only carry team-only records of its own team' using errcode = '23514';
    end if;
  end loop;
  return new;
end
$$;
comment on function private.toxicity_record_access() is
  'Trigger: a toxicity record''s molecules must be readable (42501 alike for missing/hidden) and no less private than the record (23514).';
revoke execute on function private.toxicity_record_access() from public, anon, authenticated, cryo_service;
create trigger toxicity_records_access before insert or update of molecule_id, active_ingredient_molecule_id, team_id, visibility
on public.toxicity_records for each row execute function private.toxicity_record_access();

/**
 * private.guard_molecule_toxicity_access() trigger (after update of team_id, visibility on public.molecules)
 * Refuses making a molecule private, or moving it to another team, while records that must keep reading it
 * exist (public ones, or another team's): one error naming no record and no id (23514). An AFTER trigger,
 * so that the molecule's own policy decides first: a caller who may not move the molecule at all is
 * refused by it (42501), not told whether records use it.
 */
create or replace function private.guard_molecule_toxicity_access()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if new.visibility = 'public' then
    return null;
  end if;
  if exists (
    select from public.toxicity_records r
    where (r.molecule_id = new.id or r.active_ingredient_molecule_id = new.id)
      and (r.visibility = 'public' or r.team_id is distinct from new.team_id)
  ) then
    raise exception 'molecules: the molecule carries toxicity records that must keep reading it' using errcode = '23514';
  end if;
  return null;
end
$$;
comment on function private.guard_molecule_toxicity_access() is
  'Trigger: refuses making a molecule private or moving it while public or another team''s toxicity records use it (one error, no id).';
revoke execute on function private.guard_molecule_toxicity_access() from public, anon, authenticated, cryo_service;
create trigger molecules_guard_toxicity_access after update of team_id, visibility on public.molecules
for each row when (new.team_id is distinct from old.team_id or new.visibility is distinct from old.visibility)
execute function private.guard_molecule_toxicity_access();

/** --- Policies --- */
select private.apply_access_policies('public.toxicity_records', 'toxicity');
select private.apply_access_policies('public.toxicity_import_jobs', 'toxicity', 'import_log');
select private.apply_access_policies('public.toxicity_import_errors', 'toxicity', 'import_log');

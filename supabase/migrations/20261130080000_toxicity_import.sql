/**
 * CryoProtect: the toxicity import, in Postgres (issue 10, items 2–5)
 * ---------------------------------------------------------------------------------------------------------
 * Three security-definer functions that the `toxicity` edge function calls as the caller (cryo_service,
 * through the pooler) carry a streamed, idempotent, resumable import:
 *   private.toxicity_import_start(...)  finds the OPEN job of the same team + file + target visibility (a
 *                                       resumed import), else creates one; the source row comes from the
 *                                       known-source list below.
 *   private.toxicity_import_batch(...)  one batch = one transaction, set-based through a staging table:
 *                                       molecules resolved in the documented order, records inserted with
 *                                       `on conflict (record_key, team_id) do nothing` (the duplicates bucket),
 *                                       per-row errors, job counts, and the batch recorded with its digest,
 *                                       so a replayed batch changes nothing.
 *   private.toxicity_import_commit(id)  the job is committed and private.toxicity_data_version() moves on.
 *
 * Who may import: a service client holding `toxicity:import` (its team owns the job). Signed-in users do not
 * import through these functions (not granted): a team editor creates a service client for it (owners can,
 * through the service-clients function), so every import has a client and a scope that can be revoked.
 *
 * Who may write PUBLIC records: only a team listed in private.toxicity_curators, a project-level list that
 * only the project owner changes (no API role can read or write it: `insert into private.toxicity_curators
 * ...` as postgres, or `npm run import -- --client <name> --curator` on the local stack). Every other team
 * imports team-private records, into its own key space.
 *
 * Errors (SQLSTATE → HTTP in supabase/functions/toxicity/import-db.ts); nothing is half-written, the batch
 * being one transaction:
 *   TXJ04 the job does not exist or is another team's (404: nothing revealed)   TXJ09 the job is not open (409)
 *   TXB09 the batch number was received with different content (409)           TXC03 not a curator team (403)
 *   TXS22 unknown source (400)                                                  TXI22 an inconsistent batch (400)
 *   TXM09 a commit expecting batches the job does not hold (409)
 *   42501 not a service client with toxicity:import (403)
 *
 * Audit: the per-row audit trigger of toxicity_records stays (one event per inserted record, as on every
 * registered table); docs/toxicity-import.md has its measured cost per batch.
 */

/** --- Indexes the set-based resolution of a batch needs (molecules by CAS, name, synonym) --- */
create index if not exists molecules_cas_idx on public.molecules (cas) where cas is not null;
create index if not exists molecules_lower_name_idx on public.molecules (pg_catalog.lower(name));
create index if not exists molecules_synonyms_idx on public.molecules using gin (synonyms);

/** --- Project-level lists --- */

/** Teams whose imports may write public (reference) records. Managed by the project owner only. */
create table private.toxicity_curators (
  team_id uuid primary key references public.teams (id) on delete cascade,
  note text,
  added_at timestamptz not null default now()
);
comment on table private.toxicity_curators is
  'Teams whose toxicity imports may write public records; changed only by the project owner (no API role has access).';
revoke all on private.toxicity_curators from public, anon, authenticated, cryo_service;

/** The public data sets an import may name: each row's url, version and citation name where its facts come from. */
create table private.toxicity_known_sources (
  name text primary key check (name ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
  title text not null,
  version text,
  url text,
  citation text,
  licence text,
  description text
);
comment on table private.toxicity_known_sources is
  'Known public toxicity data sets (name, title, version, url, citation, licence as stated); a job''s source row is made from it.';
revoke all on private.toxicity_known_sources from public, anon, authenticated, cryo_service;

insert into private.toxicity_known_sources (name, title, version, url, citation, licence, description) values
(
  'tox21', 'Tox21 Data Challenge 2014: 12-assay hit-call matrix (DeepChem/MoleculeNet copy)',
  'deepchem datasets/tox21.csv.gz, blob 23fe6edcb3dcf0623127f5d4bdd816e3577e74e6 (2016-03-26)',
  'https://tripod.nih.gov/tox21/challenge/data.jsp',
  'Huang R, Xia M, Nguyen D-T, et al. Tox21Challenge to Build Predictive Models of Nuclear Receptor and Stress Response Pathways as Mediated by Exposure to Environmental Chemicals and Drugs. Front. Environ. Sci. 3:85 (2016), doi:10.3389/fenvs.2015.00085',
  'MIT (deepchem repository, Copyright 2017 PandeLab); no separate data licence stated',
  'NR-* nuclear-receptor and SR-* stress-response assays; 1 active, 0 inactive, empty not tested.'
),
(
  'toxcast', 'MoleculeNet ToxCast hit-call matrix (617 assay endpoints)',
  'chemprop data/toxcast.csv.gz at b83635bcddaddcdb91d453128edec9f2be0d25cf, blob 0180e346924e929fc5236c70b00c729f1cdcc3e3',
  'http://moleculenet.ai/',
  'US EPA ToxCast (invitrodb, version not stated) as the MoleculeNet ToxCast task set; Wu Z. et al., MoleculeNet, Chem. Sci. 2018',
  'MIT (chemprop repository at that commit); no data licence stated',
  'Binary hit calls (1.0 / 0.0) of 617 assay endpoints; empty cells not tested.'
),
(
  'ld50-zhu', 'TDC LD50_Zhu: rat acute oral LD50 (Zhu et al. 2009)',
  'pyrosage data/regression/LD50_Zhu.csv, blob 705ecc31fea406fa5506908dcba602ad9de8563c',
  'https://tdcommons.ai/single_pred_tasks/tox/',
  'Zhu H, et al. Quantitative Structure-Activity Relationship Modeling of Rat Acute Toxicity by Oral Exposure. Chem. Res. Toxicol. 2009, doi:10.1021/tx900189p',
  'none stated (pyrosage has no LICENSE; the TDC data licence was not seen)',
  'log10(1/(mol/kg)) values of rat oral LD50, structures only (no names).'
),
(
  'niehs-ice', 'NICEATM/NIEHS ICE rat acute oral toxicity (LD50 extract)',
  'AndersenLab/EHP_manuscript data/raw/NIEHS_ICE/Acute_Oral_Toxicity.xlsx, blob 23c74a5df9800a2fc46c1608b52ad19c894ebbcb (V1.0)',
  'https://ice.ntp.niehs.nih.gov/DATASETDESCRIPTION',
  'NICEATM Integrated Chemical Environment (ICE), Acute Oral Toxicity; primary references per record',
  'MIT (EHP_manuscript repository, Copyright (c) 2022 Andersen Lab); the workbook states no licence',
  'LD50 (mg/kg) with < / > qualifiers, and GHS / EPA classes of formulations; an edited extract (LD50 only).'
);

/** Each batch an import job received: replaying one with the same digest changes nothing. */
create table private.toxicity_import_batches (
  job_id uuid not null references public.toxicity_import_jobs (id) on delete cascade,
  batch_no integer not null check (batch_no >= 0),
  digest text not null check (digest ~ '^[0-9a-f]{64}$'),
  units integer not null check (units >= 0),
  imported integer not null,
  duplicate integer not null,
  rejected integer not null,
  not_a_record integer not null,
  received_at timestamptz not null default now(),
  primary key (job_id, batch_no)
);
comment on table private.toxicity_import_batches is
  'Batches received by toxicity import jobs: number, content digest and bucket counts (a replay returns these).';
revoke all on private.toxicity_import_batches from public, anon, authenticated, cryo_service;

/** A counter every committed import moves on: what the API's cache watches. */
create table private.toxicity_data_state (
  id boolean primary key default true check (id),
  version bigint not null default 0
);
comment on table private.toxicity_data_state is 'One row: the toxicity data version (see private.toxicity_data_version()).';
revoke all on private.toxicity_data_state from public, anon, authenticated, cryo_service;
insert into private.toxicity_data_state (id, version) values (true, 0);

/**
 * private.toxicity_data_version() returns bigint
 * The toxicity data version: 0 on a new project, +1 on every committed import. A cache of toxicity answers
 * keyed by it is never stale after a commit (read it per request; it is one row). Security definer: the
 * state table is not readable by the API roles.
 */
create or replace function private.toxicity_data_version()
returns bigint
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select s.version from private.toxicity_data_state as s where s.id
$$;
comment on function private.toxicity_data_version() is
  'The toxicity data version: +1 on every committed import (what caches of toxicity answers watch).';
revoke execute on function private.toxicity_data_version() from public;
grant execute on function private.toxicity_data_version() to anon, authenticated, cryo_service;

/**
 * private.toxicity_import_team() returns uuid
 * The team of the calling service client if its token holds toxicity:import; else 42501.
 */
create or replace function private.toxicity_import_team()
returns uuid
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  team uuid := private.service_team_id();
begin
  if team is null or not private.service_has_scope('toxicity', 'import')
     or (private.request_claims() ->> 'role') is distinct from 'cryo_service' then
    raise exception 'toxicity import needs a service token with toxicity:import' using errcode = '42501';
  end if;
  return team;
end
$$;
comment on function private.toxicity_import_team() is
  'The calling service client''s team when its token holds toxicity:import, else 42501.';
revoke execute on function private.toxicity_import_team() from public, anon, authenticated, cryo_service;

/**
 * private.toxicity_import_job_json(job public.toxicity_import_jobs) returns jsonb
 * A job as the API shows it, with the batch numbers received (the resume point of a client).
 */
create or replace function private.toxicity_import_job_json(job public.toxicity_import_jobs)
returns jsonb
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.jsonb_build_object(
    'id', job.id, 'source', s.name, 'format', job.format, 'file_name', job.file_name, 'file_sha256', job.file_sha256,
    'target_visibility', job.target_visibility, 'status', job.status, 'batches_received', job.batches_received,
    'units_seen', job.units_seen, 'imported', job.imported, 'duplicate', job.duplicate, 'rejected', job.rejected,
    'not_a_record', job.not_a_record, 'conflict_groups', job.conflict_groups, 'created_at', job.created_at,
    'updated_at', job.updated_at, 'committed_at', job.committed_at,
    'last_batch_no', (select pg_catalog.max(b.batch_no) from private.toxicity_import_batches as b where b.job_id = job.id),
    'received_batches', coalesce((select pg_catalog.jsonb_agg(b.batch_no order by b.batch_no)
      from private.toxicity_import_batches as b where b.job_id = job.id), '[]'::jsonb))
  from public.toxicity_sources as s where s.id = job.source_id
$$;
comment on function private.toxicity_import_job_json(public.toxicity_import_jobs) is
  'A toxicity import job as JSON: counts, status, source name and the batch numbers received.';
revoke execute on function private.toxicity_import_job_json(public.toxicity_import_jobs) from public, anon, authenticated, cryo_service;

/**
 * private.toxicity_import_start(p_format text, p_source text, p_file_name text, p_file_sha256 text,
 *   p_target_visibility text) returns jsonb {created: boolean, job: {...}}
 * Resumes the OPEN job of the caller's team for the same file and target visibility, else creates one.
 * p_source must be a known source (private.toxicity_known_sources: its row in public.toxicity_sources is
 * made or refreshed here) or an existing source row (TXS22 otherwise). p_target_visibility 'public' needs a
 * curator team (TXC03).
 */
create or replace function private.toxicity_import_start(p_format text, p_source text, p_file_name text,
  p_file_sha256 text, p_target_visibility text)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  team uuid := private.toxicity_import_team();
  src uuid;
  job public.toxicity_import_jobs;
  created boolean := false;
begin
  if p_target_visibility is null or p_target_visibility not in ('public', 'team') then
    raise exception 'target visibility must be public or team' using errcode = 'TXI22';
  end if;
  if p_file_sha256 is null or p_file_sha256 !~ '^[0-9a-f]{64}$' then
    raise exception 'file_sha256 must be 64 lowercase hex digits' using errcode = 'TXI22';
  end if;
  if p_target_visibility = 'public' and not exists (select from private.toxicity_curators as c where c.team_id = team) then
    raise exception 'only curator teams may import public records' using errcode = 'TXC03';
  end if;
  insert into public.toxicity_sources (name, title, version, url, citation, licence, description)
  select k.name, k.title, k.version, k.url, k.citation, k.licence, k.description
  from private.toxicity_known_sources as k where k.name = p_source
  on conflict (name) do update set title = excluded.title, version = excluded.version, url = excluded.url,
    citation = excluded.citation, licence = excluded.licence, description = excluded.description
  where (public.toxicity_sources.title, public.toxicity_sources.version, public.toxicity_sources.url,
         public.toxicity_sources.citation, public.toxicity_sources.licence, public.toxicity_sources.description)
    is distinct from (excluded.title, excluded.version, excluded.url, excluded.citation, excluded.licence, excluded.description);
  select s.id into src from public.toxicity_sources as s where s.name = p_source;
  if src is null then
    raise exception 'unknown source' using errcode = 'TXS22';
  end if;

  select j.* into job from public.toxicity_import_jobs as j
  where j.team_id = team and j.file_sha256 = p_file_sha256 and j.target_visibility = p_target_visibility and j.status = 'open'
  for update;
  if found and (job.format <> p_format or job.source_id <> src) then
    raise exception 'an open job for this file has another format or source' using errcode = 'TXJ09';
  end if;
  if not found then
    insert into public.toxicity_import_jobs (source_id, format, file_name, file_sha256, target_visibility, client_id, team_id)
    values (src, p_format, p_file_name, p_file_sha256, p_target_visibility, null, team)
    on conflict (team_id, file_sha256, target_visibility) where status = 'open' do nothing
    returning * into job;
    if job.id is null then -- a concurrent start of the same file won: take its job
      select j.* into job from public.toxicity_import_jobs as j
      where j.team_id = team and j.file_sha256 = p_file_sha256 and j.target_visibility = p_target_visibility and j.status = 'open';
    else
      created := true;
    end if;
  end if;
  return pg_catalog.jsonb_build_object('created', created, 'job', private.toxicity_import_job_json(job));
end
$$;
comment on function private.toxicity_import_start(text, text, text, text, text) is
  'Starts or resumes (same team, file digest, target visibility, status open) a toxicity import job; toxicity:import only.';
revoke execute on function private.toxicity_import_start(text, text, text, text, text) from public, anon, authenticated;
grant execute on function private.toxicity_import_start(text, text, text, text, text) to cryo_service;

/**
 * private.toxicity_import_batch(p_job_id uuid, p_batch_no int, p_digest text, p_not_a_record int,
 *   p_records jsonb, p_rejected jsonb) returns jsonb
 * One batch of a job in one transaction. p_records: an array of flat, verified records (the function's
 * import-db.ts `DbRecord`: record_key, source_row, kind structure|chemical|formulation with its identifiers,
 * assay, endpoint name, value type, raw and normalized value, context, citation, url). p_rejected: units the
 * function already rejected ([{row, field, code, reason}]). p_not_a_record: empty matrix cells in the batch.
 * Molecules: structures by exact InChIKey, else by skeleton (first block; linked, flagged 'skeleton'; only
 * for a structure stated without stereo, and when one molecule has it), else a new molecule (public for a public import, the team's otherwise);
 * chemicals by CAS, then DTXSID, then name/synonym (case-insensitive), the first identifier that matches
 * deciding, several molecules at that level being AMBIGUOUS_IDENTIFIER, none UNRESOLVED_IDENTIFIER;
 * formulations are never a molecule (their active ingredient is linked for navigation when it resolves).
 * Returns {batch_no, replayed, units, imported, duplicate, rejected, not_a_record, job}.
 */
create or replace function private.toxicity_import_batch(p_job_id uuid, p_batch_no integer, p_digest text,
  p_not_a_record integer, p_records jsonb, p_rejected jsonb)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  team uuid := private.toxicity_import_team();
  job public.toxicity_import_jobs;
  src public.toxicity_sources;
  prior private.toxicity_import_batches;
  rec_team uuid;
  rec_vis text;
  n_records integer;
  n_client_rejected integer;
  n_rejected integer;
  n_imported integer;
  n_units integer;
begin
  -- The job is read without a lock: batches of one job run in parallel; its counts are updated at the end
  -- (a short row lock), and only while it is still open.
  select j.* into job from public.toxicity_import_jobs as j where j.id = p_job_id and j.team_id = team;
  if not found then
    raise exception 'no such import job' using errcode = 'TXJ04';
  end if;
  if p_batch_no is null or p_batch_no < 0 or p_digest is null or p_digest !~ '^[0-9a-f]{64}$'
     or p_not_a_record is null or p_not_a_record < 0
     or pg_catalog.jsonb_typeof(p_records) is distinct from 'array' or pg_catalog.jsonb_typeof(p_rejected) is distinct from 'array' then
    raise exception 'a batch needs batch_no >= 0, a sha256 digest, not_a_record >= 0 and arrays of records and rejections'
      using errcode = 'TXI22';
  end if;
  -- Claim the batch number first: a concurrent copy of the same batch waits here, then finds it taken.
  insert into private.toxicity_import_batches (job_id, batch_no, digest, units, imported, duplicate, rejected, not_a_record)
  values (job.id, p_batch_no, p_digest, 0, 0, 0, 0, 0)
  on conflict (job_id, batch_no) do nothing;
  if not found then
    select b.* into prior from private.toxicity_import_batches as b where b.job_id = job.id and b.batch_no = p_batch_no;
    if prior.digest <> p_digest then
      raise exception 'batch % was received with other content', p_batch_no using errcode = 'TXB09';
    end if;
    return pg_catalog.jsonb_build_object('batch_no', p_batch_no, 'replayed', true, 'units', prior.units,
      'imported', prior.imported, 'duplicate', prior.duplicate, 'rejected', prior.rejected,
      'not_a_record', prior.not_a_record, 'job', private.toxicity_import_job_json(job));
  end if;
  if job.status <> 'open' then
    raise exception 'the import job is %', job.status using errcode = 'TXJ09';
  end if;
  select s.* into src from public.toxicity_sources as s where s.id = job.source_id;
  rec_vis := job.target_visibility;
  rec_team := case when rec_vis = 'public' then null else job.team_id end;

  -- Staging: the batch as rows, in this transaction only (dropped at commit). The PRAGMA string declares the
  -- temp table's shape to plpgsql_check (supabase db lint); at run time it is a constant, nothing more.
  perform 'PRAGMA:TABLE: toxicity_stage (record_key text, source text, source_row integer, source_record_id text, kind text, '
    'smiles text, inchi text, inchikey text, molecular_weight numeric, components integer, name text, cas text, dtxsid text, '
    'formulation_id text, formulation_name text, percent_active_ingredient text, ai_name text, ai_cas text, ai_dtxsid text, '
    'assay text, endpoint text, value_type text, raw_qualifier text, raw_value text, raw_unit text, qualifier text, '
    'value double precision, unit text, conversion text, species text, route text, duration text, sex text, citation text, '
    'url text, molecule_id uuid, molecule_match text, ai_molecule_id uuid, assay_id uuid, endpoint_id uuid, err_code text, '
    'err_field text, err_reason text)';
  if pg_catalog.to_regclass('pg_temp.toxicity_stage') is not null then
    drop table pg_temp.toxicity_stage;
  end if;
  create temp table toxicity_stage on commit drop as
  select r.*, null::uuid as molecule_id, null::text as molecule_match, null::uuid as ai_molecule_id,
    null::uuid as assay_id, null::uuid as endpoint_id, null::text as err_code, null::text as err_field, null::text as err_reason
  from pg_catalog.jsonb_to_recordset(p_records) as r (
    record_key text, source text, source_row integer, source_record_id text, kind text,
    smiles text, inchi text, inchikey text, molecular_weight numeric, components integer,
    name text, cas text, dtxsid text, formulation_id text, formulation_name text, percent_active_ingredient text,
    ai_name text, ai_cas text, ai_dtxsid text,
    assay text, endpoint text, value_type text, raw_qualifier text, raw_value text, raw_unit text,
    qualifier text, value double precision, unit text, conversion text,
    species text, route text, duration text, sex text, citation text, url text);
  get diagnostics n_records = row_count;
  -- Statistics for the planner (a temp table has none): without them the joins below re-run per row.
  analyze pg_temp.toxicity_stage;
  if exists (select from pg_temp.toxicity_stage as t
             where t.record_key is null or t.source_row is null or t.kind is null
                or t.kind not in ('structure', 'chemical', 'formulation')
                or (t.kind = 'structure' and (t.inchikey is null or t.smiles is null))) then
    raise exception 'a record lacks its key, row, or substance' using errcode = 'TXI22';
  end if;

  update pg_temp.toxicity_stage as t set err_code = 'SOURCE_MISMATCH', err_field = 'source',
    err_reason = 'the record names another source than its import job'
  where t.source is distinct from src.name;
  -- Endpoints by name (or code); assays of the source (a public import adds the ones it names).
  update pg_temp.toxicity_stage as t set endpoint_id = e.id
  from public.toxicity_endpoints as e where e.name = t.endpoint or e.code = t.endpoint;
  if rec_vis = 'public' then
    insert into public.toxicity_assays (source_id, source_assay_id)
    select distinct src.id, t.assay from pg_temp.toxicity_stage as t where t.assay is not null
    on conflict (source_id, source_assay_id) do nothing;
  end if;
  update pg_temp.toxicity_stage as t set assay_id = a.id
  from public.toxicity_assays as a where a.source_id = src.id and a.source_assay_id = t.assay;
  if rec_vis = 'public' then
    insert into public.assay_endpoint_mappings (assay_id, endpoint_id, basis)
    select distinct t.assay_id, t.endpoint_id, 'as stated by the ' || src.name || ' import'
    from pg_temp.toxicity_stage as t where t.assay_id is not null and t.endpoint_id is not null
    on conflict (assay_id, endpoint_id) do nothing;
  end if;
  update pg_temp.toxicity_stage as t set err_code = 'UNKNOWN_ENDPOINT', err_field = 'endpoint', err_reason = 'no such endpoint'
  where t.err_code is null and t.endpoint_id is null;
  update pg_temp.toxicity_stage as t set err_code = 'UNKNOWN_ASSAY', err_field = 'assay',
    err_reason = 'no such assay of this source (only a curator import adds assays)'
  where t.err_code is null and t.assay is not null and t.assay_id is null;

  -- Structures: exact InChIKey (a public molecule first, then the team's own for a team import).
  update pg_temp.toxicity_stage as t set molecule_id = m.id, molecule_match = 'exact'
  from (select distinct on (m.inchikey) m.inchikey, m.id from public.molecules as m
        where m.inchikey in (select s.inchikey from pg_temp.toxicity_stage as s where s.kind = 'structure')
          and (m.visibility = 'public' or (rec_vis = 'team' and m.team_id = job.team_id))
        order by m.inchikey, (m.visibility = 'public') desc, m.id) as m
  where t.kind = 'structure' and t.err_code is null and t.inchikey = m.inchikey;
  -- Skeleton: a structure stated without stereo or isotopes (second block UHFFFAOYSA, e.g. LD50_Zhu's sucrose)
  -- whose first block names exactly one molecule is linked to it, flagged. A structure with its own stereo
  -- is never merged into another stereoisomer.
  update pg_temp.toxicity_stage as t set molecule_id = k.id, molecule_match = 'skeleton'
  from (select sk.skel, pg_catalog.min(c.id::text)::uuid as id
        from (select distinct pg_catalog.left(s.inchikey, 14) as skel from pg_temp.toxicity_stage as s
              where s.kind = 'structure' and s.molecule_id is null and s.err_code is null
                and pg_catalog.split_part(s.inchikey, '-', 2) = 'UHFFFAOYSA') as sk
        -- An index range per skeleton (C collation: '-' < '.'); two rows are enough to see ambiguity.
        cross join lateral (select m.id from public.molecules as m
                            where m.inchikey >= sk.skel || '-' and m.inchikey < sk.skel || '.'
                              and (m.visibility = 'public' or (rec_vis = 'team' and m.team_id = job.team_id))
                            limit 2) as c
        group by sk.skel having pg_catalog.count(*) = 1) as k
  where t.kind = 'structure' and t.molecule_id is null and t.err_code is null and pg_catalog.left(t.inchikey, 14) = k.skel;
  -- New structures become molecules with the computed identifiers and their source, stored as what they
  -- are (a salt or mixture keeps its whole InChIKey).
  if rec_vis = 'public' then
    insert into public.molecules (name, smiles, inchi, inchikey, molecular_weight, source, citation, visibility)
    select distinct on (t.inchikey) t.inchikey, t.smiles, t.inchi, t.inchikey, t.molecular_weight, src.name, src.citation, 'public'
    from pg_temp.toxicity_stage as t where t.kind = 'structure' and t.molecule_id is null and t.err_code is null
    order by t.inchikey
    on conflict (inchikey) where visibility = 'public' do nothing;
  else
    insert into public.molecules (name, smiles, inchi, inchikey, molecular_weight, source, citation, team_id, visibility)
    select distinct on (t.inchikey) t.inchikey, t.smiles, t.inchi, t.inchikey, t.molecular_weight, src.name, src.citation, job.team_id, 'team'
    from pg_temp.toxicity_stage as t where t.kind = 'structure' and t.molecule_id is null and t.err_code is null
    order by t.inchikey;
  end if;
  update pg_temp.toxicity_stage as t set molecule_id = m.id, molecule_match = 'exact'
  from (select distinct on (m.inchikey) m.inchikey, m.id from public.molecules as m
        where m.inchikey in (select s.inchikey from pg_temp.toxicity_stage as s where s.kind = 'structure' and s.molecule_id is null)
          and (m.visibility = 'public' or (rec_vis = 'team' and m.team_id = job.team_id))
        order by m.inchikey, (m.visibility = 'public') desc, m.id) as m
  where t.kind = 'structure' and t.molecule_id is null and t.err_code is null and t.inchikey = m.inchikey;

  -- Chemicals and formulations' active ingredients: CAS, then DTXSID, then name (case-insensitive) or an
  -- exact synonym. Each branch is an index lookup per distinct identifier set.
  with wanted as (
    select distinct
      case when t.kind = 'chemical' then t.cas else t.ai_cas end as cas,
      case when t.kind = 'chemical' then t.dtxsid else t.ai_dtxsid end as dtxsid,
      case when t.kind = 'chemical' then t.name else t.ai_name end as name
    from pg_temp.toxicity_stage as t where t.kind in ('chemical', 'formulation') and t.err_code is null
  ),
  hits as (
    select w.cas, w.dtxsid, w.name, 1 as lvl, m.id from wanted as w
    join public.molecules as m on m.cas = w.cas
    where m.visibility = 'public' or (rec_vis = 'team' and m.team_id = job.team_id)
    union
    select w.cas, w.dtxsid, w.name, 1, m.id from wanted as w
    join public.molecule_identifiers as i on i.kind = 'cas' and i.value = w.cas
    join public.molecules as m on m.id = i.molecule_id
    where m.visibility = 'public' or (rec_vis = 'team' and m.team_id = job.team_id)
    union
    select w.cas, w.dtxsid, w.name, 2, m.id from wanted as w
    join public.molecule_identifiers as i on i.kind = 'dtxsid' and i.value = w.dtxsid
    join public.molecules as m on m.id = i.molecule_id
    where m.visibility = 'public' or (rec_vis = 'team' and m.team_id = job.team_id)
    union
    select w.cas, w.dtxsid, w.name, 3, m.id from wanted as w
    join public.molecules as m on pg_catalog.lower(m.name) = pg_catalog.lower(w.name)
    where m.visibility = 'public' or (rec_vis = 'team' and m.team_id = job.team_id)
    union
    select w.cas, w.dtxsid, w.name, 3, s.id from wanted as w
    cross join lateral (select m.id from public.molecules as m
                        where m.synonyms @> array[w.name]
                          and (m.visibility = 'public' or (rec_vis = 'team' and m.team_id = job.team_id))) as s
    where w.name is not null
  ),
  ranked as (
    select h.*, pg_catalog.min(h.lvl) over (partition by h.cas, h.dtxsid, h.name) as best from hits as h
  ),
  decided as (
    select h.cas, h.dtxsid, h.name, pg_catalog.min(h.id::text)::uuid as id, pg_catalog.count(distinct h.id) as n
    from ranked as h where h.lvl = h.best
    group by h.cas, h.dtxsid, h.name
  )
  update pg_temp.toxicity_stage as t set
    molecule_id = case when t.kind = 'chemical' and d.n = 1 then d.id end,
    molecule_match = case when t.kind = 'chemical' and d.n = 1 then 'exact' end,
    ai_molecule_id = case when t.kind = 'formulation' and d.n = 1 then d.id end,
    err_code = case when t.kind = 'chemical' and d.n > 1 then 'AMBIGUOUS_IDENTIFIER' end,
    err_field = case when t.kind = 'chemical' and d.n > 1 then 'substance.identifiers' end,
    err_reason = case when t.kind = 'chemical' and d.n > 1 then 'the identifiers name several molecules' end
  from decided as d
  where t.kind in ('chemical', 'formulation') and t.err_code is null
    and d.cas is not distinct from (case when t.kind = 'chemical' then t.cas else t.ai_cas end)
    and d.dtxsid is not distinct from (case when t.kind = 'chemical' then t.dtxsid else t.ai_dtxsid end)
    and d.name is not distinct from (case when t.kind = 'chemical' then t.name else t.ai_name end);
  update pg_temp.toxicity_stage as t set err_code = 'UNRESOLVED_IDENTIFIER', err_field = 'substance.identifiers',
    err_reason = 'no molecule has this CAS, DTXSID or name'
  where t.kind = 'chemical' and t.molecule_id is null and t.err_code is null;

  -- Rejections: the function's and the database's, one error row per (row, field).
  insert into public.toxicity_import_errors (job_id, source_row, field, code, reason, team_id)
  select job.id, x.row, x.field, x.code, pg_catalog.left(x.reason, 1000), job.team_id
  from (select r.row, coalesce(r.field, '(row)') as field, r.code, r.reason
        from pg_catalog.jsonb_to_recordset(p_rejected) as r (row integer, field text, code text, reason text)
        union all
        select t.source_row, t.err_field, t.err_code, t.err_reason from pg_temp.toxicity_stage as t where t.err_code is not null) as x
  on conflict (job_id, source_row, field) do nothing;
  n_client_rejected := pg_catalog.jsonb_array_length(p_rejected);
  select n_client_rejected + pg_catalog.count(*) into n_rejected from pg_temp.toxicity_stage as t where t.err_code is not null;

  -- Records: one per (key, owner); a key already there is a duplicate.
  with ins as (
    insert into public.toxicity_records (molecule_id, molecule_match, formulation_name, formulation_source_id,
      percent_active_ingredient, active_ingredient_molecule_id, source_id, source_record_id, source_row, assay_id,
      endpoint_id, value_type, raw_qualifier, raw_value, raw_unit, qualifier, value, unit, conversion, species, route,
      duration, sex, citation, url, record_key, import_job_id, team_id, visibility)
    select t.molecule_id, t.molecule_match, t.formulation_name, t.formulation_id, t.percent_active_ingredient,
      t.ai_molecule_id, src.id, t.source_record_id, t.source_row, t.assay_id, t.endpoint_id, t.value_type,
      t.raw_qualifier, t.raw_value, t.raw_unit, t.qualifier, t.value, t.unit, t.conversion, t.species, t.route,
      t.duration, t.sex, t.citation, t.url, t.record_key, job.id, rec_team, rec_vis
    from pg_temp.toxicity_stage as t where t.err_code is null
    order by t.source_row
    on conflict (record_key, team_id) do nothing
    returning 1
  )
  select pg_catalog.count(*) into n_imported from ins;

  n_units := n_records + n_client_rejected + p_not_a_record;
  update private.toxicity_import_batches as b set units = n_units, imported = n_imported,
    duplicate = n_records - (n_rejected - n_client_rejected) - n_imported, rejected = n_rejected, not_a_record = p_not_a_record
  where b.job_id = job.id and b.batch_no = p_batch_no;
  update public.toxicity_import_jobs as j set
    batches_received = j.batches_received + 1,
    units_seen = j.units_seen + n_units,
    imported = j.imported + n_imported,
    duplicate = j.duplicate + (n_records - (n_rejected - n_client_rejected) - n_imported),
    rejected = j.rejected + n_rejected,
    not_a_record = j.not_a_record + p_not_a_record
  where j.id = job.id and j.status = 'open'
  returning j.* into job;
  if not found then -- committed (or stopped) while this batch ran: undo it all
    raise exception 'the import job is no longer open' using errcode = 'TXJ09';
  end if;
  return pg_catalog.jsonb_build_object('batch_no', p_batch_no, 'replayed', false, 'units', n_units,
    'imported', n_imported, 'duplicate', n_records - (n_rejected - n_client_rejected) - n_imported,
    'rejected', n_rejected, 'not_a_record', p_not_a_record, 'job', private.toxicity_import_job_json(job));
end
$$;
comment on function private.toxicity_import_batch(uuid, integer, text, integer, jsonb, jsonb) is
  'Takes one batch of a toxicity import job in one transaction (staging, molecule resolution, records, errors, counts); a replay changes nothing.';
revoke execute on function private.toxicity_import_batch(uuid, integer, text, integer, jsonb, jsonb) from public, anon, authenticated;
grant execute on function private.toxicity_import_batch(uuid, integer, text, integer, jsonb, jsonb) to cryo_service;

/**
 * private.toxicity_import_commit(p_job_id uuid, p_expected_batches integer default null) returns jsonb (the job)
 * Commits an open job of the caller's team. With p_expected_batches, only if the job holds exactly the batches
 * 0 … p_expected_batches - 1 (TXM09 otherwise: a client resends what is missing; a commit acknowledged by a
 * server that then crashed without making it durable cannot silently lose a batch). Counts its conflict groups (records of the job with the same
 * substance and context and different raw values), sets status committed and moves the data version on.
 * Committing a committed job returns it unchanged. The summary view is refreshed by the caller right after
 * (private.toxicity_refresh_summary(), its own transaction) and by pg_cron.
 */
create or replace function private.toxicity_import_commit(p_job_id uuid, p_expected_batches integer default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  team uuid := private.toxicity_import_team();
  job public.toxicity_import_jobs;
begin
  select j.* into job from public.toxicity_import_jobs as j where j.id = p_job_id and j.team_id = team for update;
  if not found then
    raise exception 'no such import job' using errcode = 'TXJ04';
  end if;
  if job.status = 'committed' then
    return private.toxicity_import_job_json(job);
  end if;
  if job.status <> 'open' then
    raise exception 'the import job is %', job.status using errcode = 'TXJ09';
  end if;
  if p_expected_batches is not null and (
       select pg_catalog.count(*) <> p_expected_batches or coalesce(pg_catalog.max(b.batch_no), -1) <> p_expected_batches - 1
       from private.toxicity_import_batches as b where b.job_id = job.id) then
    raise exception 'the job does not hold batches 0 to %', p_expected_batches - 1 using errcode = 'TXM09';
  end if;
  update public.toxicity_import_jobs as j set status = 'committed', committed_at = pg_catalog.now(),
    conflict_groups = (
      select pg_catalog.count(*) from (
        select 1 from public.toxicity_records as r
        where r.import_job_id = job.id
        group by r.molecule_id, r.formulation_name, r.formulation_source_id, r.percent_active_ingredient, r.assay_id,
          r.endpoint_id, r.value_type, r.species, r.route, r.sex, r.duration
        having pg_catalog.count(distinct (r.raw_qualifier, r.raw_value, r.raw_unit)) > 1) as g)
  where j.id = job.id
  returning j.* into job;
  update private.toxicity_data_state as s set version = s.version + 1 where s.id;
  return private.toxicity_import_job_json(job);
end
$$;
comment on function private.toxicity_import_commit(uuid, integer) is
  'Commits an open toxicity import job of the caller''s team (conflict groups counted, data version +1); idempotent.';
revoke execute on function private.toxicity_import_commit(uuid, integer) from public, anon, authenticated;
grant execute on function private.toxicity_import_commit(uuid, integer) to cryo_service;

/**
 * private.toxicity_refresh_summary() returns numeric (milliseconds)
 * Refreshes private.toxicity_summary now, for the caller who just committed an import (toxicity:import).
 */
create or replace function private.toxicity_refresh_summary()
returns numeric
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform private.toxicity_import_team();
  return private.refresh_catalogue_view('toxicity_summary');
end
$$;
comment on function private.toxicity_refresh_summary() is
  'Refreshes the toxicity summary view after an import commit; toxicity:import service clients only.';
revoke execute on function private.toxicity_refresh_summary() from public, anon, authenticated;
grant execute on function private.toxicity_refresh_summary() to cryo_service;

/**
 * CryoProtect: toxicity reference data (issue 10, item 1)
 * ---------------------------------------------------------------------------------------------------------
 * Where toxicity values come from and what they measure, as rows (never as columns): the data sets
 * (toxicity_sources), the assays of a data set (toxicity_assays: Tox21's 12, ToxCast's 617), the
 * toxicological endpoints (toxicity_endpoints: acute oral toxicity, cytotoxicity, nuclear-receptor
 * activity, stress response, genotoxicity…) and which endpoint an assay informs (assay_endpoint_mappings).
 * All four are public reference data (row model 'reference', resource 'toxicity'): everyone reads them,
 * nobody writes them through the Data API; the import definers and the seed do.
 */

/** --- Vocabularies --- */

create domain public.toxicity_value_type as text
check (value in ('LD50', 'AC50', 'hit_call', 'GHS_category', 'EPA_category'));
comment on domain public.toxicity_value_type is
  'What a toxicity value is: LD50 (mg/kg), AC50 (µM), hit_call (1 active, 0 inactive), GHS_category (1–5), EPA_category (I–IV as 1–4).';

create domain public.toxicity_qualifier as text check (value in ('=', '<', '<=', '>', '>=', '~'));
comment on domain public.toxicity_qualifier is
  'The qualifier of a normalized toxicity value: = exact, < <= > >= a bound, ~ approximate (a blank source qualifier is =).';

/** --- Sources --- */

/** A data set a toxicity record comes from, with its citation and licence as the source states them. */
create table public.toxicity_sources (
  id uuid primary key default gen_random_uuid(),
  name text not null unique check (name ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
  title text not null check (btrim(title) <> ''),
  version text,
  url text,
  citation text,
  licence text,
  description text,
  created_at timestamptz not null default now()
);
comment on table public.toxicity_sources is
  'Toxicity data sets (tox21, toxcast, ld50-zhu, niehs-ice, literature…): version, URL, citation, licence as stated.';

/** --- Endpoints --- */

/** A toxicological endpoint: what a record says something about. */
create table public.toxicity_endpoints (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[a-z][a-z0-9_]{0,63}$'),
  name text not null unique check (btrim(name) <> ''),
  description text
);
comment on table public.toxicity_endpoints is
  'Toxicological endpoints (acute oral toxicity, cytotoxicity, nuclear receptor activity, stress response…).';

/** --- Assays --- */

/** An assay of a data set, named by the source's own id, with what it targets and how it reads out. */
create table public.toxicity_assays (
  id uuid primary key default gen_random_uuid(),
  source_id uuid not null references public.toxicity_sources (id) on delete cascade,
  source_assay_id text not null check (btrim(source_assay_id) <> ''),
  name text,
  target text,
  organism text,
  cell_line text,
  detection text,
  readout text,
  description text,
  constraint toxicity_assays_source_assay_key unique (source_id, source_assay_id)
);
comment on table public.toxicity_assays is
  'Assays of a toxicity data set by the source''s id (e.g. tox21 SR-ARE), with target, organism/cell line, detection, readout.';

/** Which endpoint an assay informs, and on what basis (the source's annotation, a curator's reading). */
create table public.assay_endpoint_mappings (
  assay_id uuid not null references public.toxicity_assays (id) on delete cascade,
  endpoint_id uuid not null references public.toxicity_endpoints (id) on delete cascade,
  basis text not null check (btrim(basis) <> ''),
  primary key (assay_id, endpoint_id)
);
comment on table public.assay_endpoint_mappings is 'Assay → endpoint, with the basis of the mapping.';
create index assay_endpoint_mappings_endpoint_id_idx on public.assay_endpoint_mappings (endpoint_id);

/** The endpoints every import knows; a data set may add its own through the import definers. */
insert into public.toxicity_endpoints (code, name, description) values
  ('acute_oral_toxicity', 'acute oral toxicity', 'Lethality after a single oral dose (LD50, GHS and EPA acute oral categories).'),
  ('cytotoxicity', 'cytotoxicity', 'Loss of viability of cells in culture.'),
  ('nuclear_receptor_activity', 'nuclear receptor activity', 'Agonism or antagonism of a nuclear receptor (Tox21 NR-* assays).'),
  ('stress_response', 'stress response', 'Activation of a cellular stress-response pathway (Tox21 SR-* assays).'),
  ('genotoxicity', 'genotoxicity', 'Damage to DNA or chromosomes.'),
  ('bioactivity', 'bioactivity', 'Activity in a high-throughput screening assay not mapped to a narrower endpoint (ToxCast).');

/** --- Policies --- */
select private.apply_access_policies('public.toxicity_sources', 'toxicity', 'reference');
select private.apply_access_policies('public.toxicity_endpoints', 'toxicity', 'reference');
select private.apply_access_policies('public.toxicity_assays', 'toxicity', 'reference');
select private.apply_access_policies('public.assay_endpoint_mappings', 'toxicity', 'reference');

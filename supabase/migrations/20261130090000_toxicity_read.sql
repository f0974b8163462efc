/**
 * CryoProtect: the toxicity read API (issue 11: profiles, lookup, search, caching)
 * ---------------------------------------------------------------------------------------------------------
 * The `toxicity` function reads through these security-INVOKER functions, as the caller, so row-level
 * security decides what each caller sees (anon: public rows; users: their teams' too; service clients:
 * their team's, with the scopes their token holds):
 *   private.toxicity_resolve(items jsonb)          identifiers → readable molecules (set-based, in input order)
 *   private.toxicity_lookup(items, types, limit)   one row per identifier: matches, summary, records
 *   private.toxicity_search(q, limit)              name, synonym and identifier-prefix search, ranked
 * with two definers that find candidates through the indexes and return only readable ids (see below),
 * and a cache key the function's in-isolate cache is keyed by:
 *   private.toxicity_read_version()                a fingerprint of what the caller's read set last changed
 * Indexes: names and synonyms lower-cased (exact lookup: GIN on the array; search: trigram GIN), and
 * prefix (text_pattern_ops) indexes on the identifiers. pg_trgm is created here (hosted projects allow it).
 */

create extension if not exists pg_trgm with schema extensions;

/** --- Names as the lookups and the search read them --- */

/**
 * private.lower_names(names text[]) returns text[]
 * The names lower-cased, for exact, case-insensitive name and synonym lookups (GIN index below).
 */
create or replace function private.lower_names(p_names pg_catalog.text[])
returns pg_catalog.text[]
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(pg_catalog.array_agg(pg_catalog.lower(n)), '{}'::pg_catalog.text[]) from pg_catalog.unnest(p_names) as n
$$;
comment on function private.lower_names(pg_catalog.text[]) is
  'The names lower-cased (index expression of the exact name/synonym lookup).';

/**
 * private.names_text(name text, synonyms text[]) returns text
 * A molecule's name and synonyms as one lower-case text, for trigram word-similarity search.
 */
create or replace function private.names_text(p_name pg_catalog.text, p_synonyms pg_catalog.text[])
returns pg_catalog.text
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.lower(pg_catalog.concat_ws(' | ', p_name, pg_catalog.array_to_string(p_synonyms, ' | ')))
$$;
comment on function private.names_text(pg_catalog.text, pg_catalog.text[]) is
  'A molecule''s name and synonyms as one lower-case text (index expression of the trigram search).';

revoke execute on function private.lower_names(pg_catalog.text[]), private.names_text(pg_catalog.text, pg_catalog.text[])
from public;
grant execute on function private.lower_names(pg_catalog.text[]), private.names_text(pg_catalog.text, pg_catalog.text[])
to anon, authenticated, cryo_service;

create index molecules_lower_names_idx on public.molecules using gin (private.lower_names(array[name] || synonyms));
create index molecules_names_trgm_idx on public.molecules
using gin (private.names_text(name, synonyms) extensions.gin_trgm_ops);
create index molecules_lower_name_prefix_idx on public.molecules (pg_catalog.lower(name) text_pattern_ops);
-- InChIKey prefixes in byte order (collation "C"), so that this index never competes with
-- molecules_inchikey_idx for the equality lookups that one serves.
create index molecules_inchikey_prefix_idx on public.molecules (inchikey collate "C");
create index molecules_cas_prefix_idx on public.molecules (cas text_pattern_ops);
create index molecule_identifiers_value_prefix_idx on public.molecule_identifiers (value text_pattern_ops);

/** --- Resolution of identifiers --- */

/*
 * Why two definers below. Row-level security keeps any qual whose function is not leakproof from running
 * before the policy's own quals, so an index on an expression (lower-cased names, trigrams, text_pattern_ops
 * ranges) is never used for a query as anon, a user or a service client: every name lookup or search would
 * scan every molecule the policy lets through. These two read the molecules as their owner (indexes usable),
 * keep only the rows the caller may read (private.row_readable(), the policies' read rule, and for a service
 * client the molecules:read scope), and return ids; the invoker functions then read the molecules under the
 * caller's row-level security as usual.
 */

/**
 * private.molecules_named(p_names text[]) returns table (name text, id uuid)
 * For each name (compared lower-cased), the readable molecules whose name or a synonym it is, at most 6 per
 * name. At most 1000 names (22023).
 */
create or replace function private.molecules_named(p_names pg_catalog.text[])
returns table (name pg_catalog.text, id pg_catalog.uuid)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if pg_catalog.cardinality(p_names) > 1000 then
    raise exception 'at most 1000 names' using errcode = '22023';
  end if;
  return query
  select n.name, x.id
  from (select distinct pg_catalog.lower(u) as name from pg_catalog.unnest(p_names) as u) as n
  cross join lateral (
    select m.id
    from public.molecules as m
    where private.lower_names(array[m.name] || m.synonyms) operator(pg_catalog.@>) array[n.name]
      and private.row_readable(m.team_id, m.visibility)
      and (pg_catalog.current_setting('role') <> 'cryo_service' or private.service_has_scope('molecules', 'read'))
    limit 6
  ) as x;
end
$$;
comment on function private.molecules_named(pg_catalog.text[]) is
  'Readable molecules by exact name or synonym (lower-cased), ≤ 6 per name, through the name index (definer, readable rows only).';

/**
 * private.toxicity_resolve(p_items jsonb) returns table (ord int, molecule_id uuid)
 * p_items: a JSON array of [kind, value] pairs, kind one of id, inchikey, cas, dtxsid, pubchem_cid,
 * chembl_id, name (values already normalized by the caller: InChIKey upper-case, CAS with a valid check
 * digit, a PubChem CID as digits). Answers, per item (1-based ord), the molecules the caller can read that
 * the identifier names: on the molecule itself (id, InChIKey, CAS, PubChem CID, name or synonym, case-
 * insensitive) or in molecule_identifiers; at most 6 per item (more than one is ambiguous). Unknown kinds
 * match nothing. Invoker: row-level security decides (names: see private.molecules_named()).
 */
create or replace function private.toxicity_resolve(p_items pg_catalog.jsonb)
returns table (ord pg_catalog.int4, molecule_id pg_catalog.uuid)
language sql
stable
security invoker
-- A typical answer is one row per item: an estimate of 100 (not the default 1000) keeps the joins on it
-- nested loops over the primary keys instead of hashing the whole molecules table.
rows 100
set search_path = pg_catalog, pg_temp
as $$
  with items as (
    select e.ord::pg_catalog.int4 as ord, e.item operator(pg_catalog.->>) 0 as kind, e.item operator(pg_catalog.->>) 1 as value
    from pg_catalog.jsonb_array_elements(p_items) with ordinality as e (item, ord)
  ),
  named as materialized (
    select n.name, n.id
    from private.molecules_named(array(select i.value from items as i where i.kind = 'name')) as n
  )
  select i.ord, h.id
  from items as i
  cross join lateral (
    select distinct x.id
    from (
      select m.id from public.molecules as m
      where i.kind = 'id' and m.id = (case when i.kind = 'id' then i.value::pg_catalog.uuid end)
      union all
      select m.id from public.molecules as m where i.kind = 'inchikey' and m.inchikey = i.value
      union all
      select m.id from public.molecules as m where i.kind = 'cas' and m.cas = i.value
      union all
      select m.id from public.molecules as m
      where i.kind = 'pubchem_cid' and m.pubchem_cid = (case when i.kind = 'pubchem_cid' then i.value::pg_catalog.int8 end)
      union all
      select mi.molecule_id from public.molecule_identifiers as mi
      where i.kind in ('cas', 'dtxsid', 'pubchem_cid', 'chembl_id') and mi.kind = i.kind and mi.value = i.value
    ) as x
    limit 6
  ) as h
  union all
  -- Names by a hash join on the names found (at most 6 each), not a scan of them per item.
  select i.ord, nm.id
  from items as i
  join named as nm on nm.name = pg_catalog.lower(i.value)
  where i.kind = 'name'
$$;
comment on function private.toxicity_resolve(pg_catalog.jsonb) is
  'Identifiers ([kind, value] pairs) to the readable molecules they name, per 1-based position; at most 6 each (invoker).';

/** --- Lookup --- */

/**
 * private.toxicity_lookup(p_items jsonb, p_value_types text[], p_limit int)
 * returns table (ord int, matches jsonb, summary jsonb, records jsonb, more_records bool)
 * One row per item of p_items (see toxicity_resolve), in input order, whatever was found:
 *   matches       the readable molecules the identifier names ([] unknown, one: found, more: ambiguous),
 *                 each {id, name, inchikey, cas, pubchem_cid, kind, visibility, team_id}
 *   summary       for a single match: the summary rows the caller may read (public.toxicity_summary)
 *   records       for a single match: up to p_limit records (optionally only p_value_types), ordered by
 *                 value type and id, with source, endpoint and assay named; more_records when there are more.
 * At most 1,000 items (22023). Invoker: row-level security decides on every table read.
 */
create or replace function private.toxicity_lookup(p_items pg_catalog.jsonb, p_value_types pg_catalog.text[],
  p_limit pg_catalog.int4)
returns table (ord pg_catalog.int4, matches pg_catalog.jsonb, summary pg_catalog.jsonb, records pg_catalog.jsonb,
               more_records pg_catalog.bool)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
  if pg_catalog.jsonb_typeof(p_items) is distinct from 'array' or pg_catalog.jsonb_array_length(p_items) > 1000 then
    raise exception 'lookup: at most 1000 identifiers, as a JSON array' using errcode = '22023';
  end if;
  if p_limit is null or p_limit < 0 or p_limit > 1000 then
    raise exception 'lookup: the record limit is 0..1000' using errcode = '22023';
  end if;
  return query
  with res as (
    select r.ord, r.molecule_id from private.toxicity_resolve(p_items) as r
  ),
  per as (
    select res.ord,
           pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
             'id', m.id, 'name', m.name, 'inchikey', m.inchikey, 'cas', m.cas, 'pubchem_cid', m.pubchem_cid,
             'kind', m.kind, 'visibility', m.visibility, 'team_id', m.team_id) order by m.name, m.id) as matches,
           -- The molecule when the identifier names exactly one (no filtered CTE: its row estimate would
           -- be tiny and turn the joins below into nested loops over every item).
           case when pg_catalog.count(*) = 1 then (pg_catalog.array_agg(m.id))[1] end as only_id
    from res join public.molecules as m on m.id = res.molecule_id
    group by res.ord
  ),
  summ as (
    select s.molecule_id,
           pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s) operator(pg_catalog.-) 'molecule_id' order by s.team_id nulls first) as rows
    from private.read_toxicity_summary(array(select distinct per.only_id from per where per.only_id is not null)) as s
    group by s.molecule_id
  ),
  -- The page of each found molecule through its index (molecule_id, value_type, id); the names of source,
  -- endpoint and assay joined afterwards, once per record by hash (small reference tables).
  page as (
    select per.ord, x.n, x.t
    from per
    cross join lateral (
      select pg_catalog.row_number() over (order by t.value_type, t.id) as n, t
      from public.toxicity_records as t
      where t.molecule_id = per.only_id
        and (p_value_types is null or t.value_type operator(pg_catalog.=) any (p_value_types))
      order by t.value_type, t.id
      limit p_limit + 1
    ) as x
    where per.only_id is not null
  ),
  recs as (
    select p.ord,
           pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
             'id', (p.t).id, 'value_type', (p.t).value_type, 'qualifier', (p.t).qualifier, 'value', (p.t).value,
             'unit', (p.t).unit, 'raw_qualifier', (p.t).raw_qualifier, 'raw_value', (p.t).raw_value,
             'raw_unit', (p.t).raw_unit, 'species', (p.t).species, 'route', (p.t).route, 'duration', (p.t).duration,
             'sex', (p.t).sex, 'endpoint', e.code, 'assay', a.source_assay_id, 'assay_name', a.name, 'source', s.name,
             'citation', coalesce((p.t).citation, s.citation), 'url', coalesce((p.t).url, s.url),
             'molecule_match', (p.t).molecule_match, 'visibility', (p.t).visibility, 'team_id', (p.t).team_id)
             order by p.n) filter (where p.n <= p_limit) as records,
           pg_catalog.count(*) > p_limit as more
    from page as p
    left join public.toxicity_sources as s on s.id = (p.t).source_id
    left join public.toxicity_endpoints as e on e.id = (p.t).endpoint_id
    left join public.toxicity_assays as a on a.id = (p.t).assay_id
    group by p.ord
  )
  select i.ord::pg_catalog.int4, coalesce(per.matches, '[]'::pg_catalog.jsonb), coalesce(summ.rows, '[]'::pg_catalog.jsonb),
         coalesce(recs.records, '[]'::pg_catalog.jsonb), coalesce(recs.more, false)
  from pg_catalog.jsonb_array_elements(p_items) with ordinality as i (item, ord)
  left join per on per.ord = i.ord
  left join summ on summ.molecule_id = per.only_id
  left join recs on recs.ord = i.ord
  order by i.ord;
end
$$;
comment on function private.toxicity_lookup(pg_catalog.jsonb, pg_catalog.text[], pg_catalog.int4) is
  'Batch lookup (≤ 1000 identifiers): per identifier in input order its readable matches, summary and records (invoker).';

/** --- Search --- */

/**
 * private.molecule_search_hits(q text, p_limit int) returns table (id uuid, field text, value text, rank float8)
 * The best p_limit readable molecules for a search box (definer for the indexes, readable rows only: see
 * private.molecules_named()): name or synonym equal to q (rank 1), an identifier (InChIKey, CAS, DTXSID,
 * ChEMBL id, PubChem CID) starting with q (0.95; PubChem CID: equal), the name starting with q (0.9), a
 * synonym starting with q (0.85), or, for q of 3 characters or more, trigram word similarity × 0.8. Each
 * way contributes at most 200 candidates. q is matched literally (no wildcards).
 */
create or replace function private.molecule_search_hits(p_q pg_catalog.text, p_limit pg_catalog.int4)
returns table (id pg_catalog.uuid, field pg_catalog.text, value pg_catalog.text, rank pg_catalog.float8)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  q pg_catalog.text := pg_catalog.lower(pg_catalog.btrim(p_q));
  uq pg_catalog.text := pg_catalog.upper(pg_catalog.btrim(p_q));
  -- Prefixes as byte-order ranges (text_pattern_ops indexes): no LIKE, so no character of q is a wildcard,
  -- and the range works in a generic plan too. U+10FFFF sorts after every character.
  top pg_catalog.text := pg_catalog.chr(1114111);
  svc_ok pg_catalog.bool := pg_catalog.current_setting('role') <> 'cryo_service' or private.service_has_scope('molecules', 'read');
begin
  if q is null or pg_catalog.length(q) < 1 or pg_catalog.length(q) > 200 or p_limit is null or p_limit < 1 or p_limit > 100 then
    raise exception 'search: q is 1..200 characters and the limit 1..100' using errcode = '22023';
  end if;
  if not svc_ok then
    return;
  end if;
  return query
  with hits as (
    (select m.id as mid, case when pg_catalog.lower(m.name) = q then 'name' else 'synonym' end as f,
            m.name as val, 1.0::pg_catalog.float8 as r
     from public.molecules as m
     where private.lower_names(array[m.name] || m.synonyms) operator(pg_catalog.@>) array[q]
       and private.row_readable(m.team_id, m.visibility)
     limit 200)
    union all
    (select m.id, 'name', m.name, 0.9
     from public.molecules as m
     where pg_catalog.lower(m.name) operator(pg_catalog.~>=~) q
       and pg_catalog.lower(m.name) operator(pg_catalog.~<~) (q operator(pg_catalog.||) top)
       and private.row_readable(m.team_id, m.visibility)
     order by pg_catalog.lower(m.name) using operator(pg_catalog.~<~)
     limit 200)
    union all
    (select m.id, 'synonym', pg_catalog.array_to_string(m.synonyms, ', '),
            case when exists (select from pg_catalog.unnest(m.synonyms) as s
                              where pg_catalog.lower(s) operator(pg_catalog.~>=~) q
                                and pg_catalog.lower(s) operator(pg_catalog.~<~) (q operator(pg_catalog.||) top))
                 then 0.85
                 else 0.8 * extensions.word_similarity(q, private.names_text(m.name, m.synonyms)) end
     from public.molecules as m
     where pg_catalog.length(q) >= 3
       and q operator(extensions.<%) private.names_text(m.name, m.synonyms)
       and private.row_readable(m.team_id, m.visibility)
     limit 200)
    union all
    (select m.id, 'inchikey', m.inchikey, 0.95
     from public.molecules as m
     where pg_catalog.length(q) >= 2
       and (m.inchikey collate "C") >= uq and (m.inchikey collate "C") < (uq operator(pg_catalog.||) top)
       and private.row_readable(m.team_id, m.visibility)
     limit 200)
    union all
    (select m.id, 'cas', m.cas, 0.95
     from public.molecules as m
     where q operator(pg_catalog.~) '^[0-9]'
       and m.cas operator(pg_catalog.~>=~) q and m.cas operator(pg_catalog.~<~) (q operator(pg_catalog.||) top)
       and private.row_readable(m.team_id, m.visibility)
     limit 200)
    union all
    (select m.id, 'pubchem_cid', m.pubchem_cid::pg_catalog.text, 0.95
     from public.molecules as m
     where q operator(pg_catalog.~) '^[0-9]{1,18}$'
       and m.pubchem_cid = (case when q operator(pg_catalog.~) '^[0-9]{1,18}$' then q::pg_catalog.int8 end)
       and private.row_readable(m.team_id, m.visibility)
     limit 200)
    union all
    (select mi.molecule_id, mi.kind, mi.value, 0.95
     from public.molecule_identifiers as mi
     where pg_catalog.length(q) >= 2
       and mi.value operator(pg_catalog.~>=~) uq and mi.value operator(pg_catalog.~<~) (uq operator(pg_catalog.||) top)
       and private.row_readable(mi.team_id, mi.visibility)
     limit 200)
  ),
  best as (
    select distinct on (h.mid) h.mid, h.f, h.val, h.r
    from hits as h
    order by h.mid, h.r desc, h.f
  )
  select b.mid, b.f, b.val, b.r
  from best as b
  join public.molecules as m on m.id = b.mid
  order by b.r desc, m.name, m.id
  limit p_limit;
end
$$;
comment on function private.molecule_search_hits(pg_catalog.text, pg_catalog.int4) is
  'Search-box candidates among readable molecules (exact, identifier prefix, name prefix, trigram), ranked (definer, ids only).';

/**
 * private.toxicity_search(q text, p_limit int) returns table (id, name, synonyms, inchikey, cas, pubchem_cid,
 * visibility, team_id, matched_field, matched_value, rank, has_records)
 * The hits of private.molecule_search_hits(), read under the caller's row-level security, with whether the
 * caller can read toxicity records of each. Best rank first, then name. Invoker.
 */
create or replace function private.toxicity_search(p_q pg_catalog.text, p_limit pg_catalog.int4)
returns table (id pg_catalog.uuid, name pg_catalog.text, synonyms pg_catalog.text[], inchikey pg_catalog.text,
               cas pg_catalog.text, pubchem_cid pg_catalog.int8, visibility pg_catalog.text, team_id pg_catalog.uuid,
               matched_field pg_catalog.text, matched_value pg_catalog.text, rank pg_catalog.float8,
               has_records pg_catalog.bool)
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
  select m.id, m.name, m.synonyms, m.inchikey, m.cas, m.pubchem_cid, m.visibility::pg_catalog.text, m.team_id,
         h.field, h.value, h.rank,
         exists (select from public.toxicity_records as t where t.molecule_id = m.id)
  from private.molecule_search_hits(p_q, p_limit) as h
  join public.molecules as m on m.id = h.id
  order by h.rank desc, m.name, m.id
$$;
comment on function private.toxicity_search(pg_catalog.text, pg_catalog.int4) is
  'Search box: readable molecules by name, synonym (exact, prefix, trigram) or identifier prefix, ranked (invoker).';

revoke execute on function private.molecules_named(pg_catalog.text[]),
  private.molecule_search_hits(pg_catalog.text, pg_catalog.int4) from public, anon, authenticated, cryo_service;
grant execute on function private.molecules_named(pg_catalog.text[]),
  private.molecule_search_hits(pg_catalog.text, pg_catalog.int4) to anon, authenticated, cryo_service;

revoke execute on function private.toxicity_resolve(pg_catalog.jsonb),
  private.toxicity_lookup(pg_catalog.jsonb, pg_catalog.text[], pg_catalog.int4),
  private.toxicity_search(pg_catalog.text, pg_catalog.int4) from public;
grant execute on function private.toxicity_resolve(pg_catalog.jsonb),
  private.toxicity_lookup(pg_catalog.jsonb, pg_catalog.text[], pg_catalog.int4),
  private.toxicity_search(pg_catalog.text, pg_catalog.int4) to anon, authenticated, cryo_service;

/** --- What the function's cache is keyed by --- */

/**
 * Per reader group (the zero uuid for public rows, which everyone reads; a team's id for its team-only
 * rows), a counter that every statement writing such rows of toxicity_records, molecules or
 * molecule_identifiers increments (triggers below: imports, Data API writes, owner SQL alike). Its row lock
 * serializes concurrent writers of the same group until they commit; writers of different teams' private
 * rows do not wait for each other.
 */
create table private.toxicity_data_versions (
  owner_key uuid primary key,
  version bigint not null default 0
);
comment on table private.toxicity_data_versions is
  'Per reader group (zero uuid = public rows, else a team''s private rows): bumped by every statement writing toxicity data.';
revoke all on private.toxicity_data_versions from public, anon, authenticated, cryo_service;

/**
 * private.bump_toxicity_data_versions() trigger (after insert/update/delete/truncate, for each statement,
 * on toxicity_records, molecules, molecule_identifiers, with transition tables old_rows / new_rows)
 * Increments the counter of every reader group whose rows the statement changed, before and after (in key
 * order, so two writers cannot deadlock on the counters). Definer: the counters are not the caller's.
 */
create or replace function private.bump_toxicity_data_versions()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op = 'TRUNCATE' then
    update private.toxicity_data_versions set version = version + 1;
    return null;
  end if;
  if tg_op = 'INSERT' then
    insert into private.toxicity_data_versions as v (owner_key, version)
    select distinct case when n.visibility::pg_catalog.text = 'public' then '00000000-0000-0000-0000-000000000000'::pg_catalog.uuid else n.team_id end, 1 from new_rows as n
    order by 1
    on conflict (owner_key) do update set version = v.version + 1;
  elsif tg_op = 'DELETE' then
    insert into private.toxicity_data_versions as v (owner_key, version)
    select distinct case when o.visibility::pg_catalog.text = 'public' then '00000000-0000-0000-0000-000000000000'::pg_catalog.uuid else o.team_id end, 1 from old_rows as o
    order by 1
    on conflict (owner_key) do update set version = v.version + 1;
  else
    insert into private.toxicity_data_versions as v (owner_key, version)
    select distinct k, 1 from (
      select case when n.visibility::pg_catalog.text = 'public' then '00000000-0000-0000-0000-000000000000'::pg_catalog.uuid else n.team_id end as k from new_rows as n
      union
      select case when o.visibility::pg_catalog.text = 'public' then '00000000-0000-0000-0000-000000000000'::pg_catalog.uuid else o.team_id end from old_rows as o
    ) as u
    order by 1
    on conflict (owner_key) do update set version = v.version + 1;
  end if;
  return null;
end
$$;
comment on function private.bump_toxicity_data_versions() is
  'Trigger: bumps private.toxicity_data_versions for every owner whose toxicity records a statement changed.';
revoke execute on function private.bump_toxicity_data_versions() from public, anon, authenticated, cryo_service;

create trigger toxicity_records_version_insert after insert on public.toxicity_records
referencing new table as new_rows
for each statement execute function private.bump_toxicity_data_versions();
create trigger toxicity_records_version_update after update on public.toxicity_records
referencing old table as old_rows new table as new_rows
for each statement execute function private.bump_toxicity_data_versions();
create trigger toxicity_records_version_delete after delete on public.toxicity_records
referencing old table as old_rows
for each statement execute function private.bump_toxicity_data_versions();
create trigger toxicity_records_version_truncate after truncate on public.toxicity_records
for each statement execute function private.bump_toxicity_data_versions();
create trigger molecules_version_insert after insert on public.molecules
referencing new table as new_rows
for each statement execute function private.bump_toxicity_data_versions();
create trigger molecules_version_update after update on public.molecules
referencing old table as old_rows new table as new_rows
for each statement execute function private.bump_toxicity_data_versions();
create trigger molecules_version_delete after delete on public.molecules
referencing old table as old_rows
for each statement execute function private.bump_toxicity_data_versions();
create trigger molecules_version_truncate after truncate on public.molecules
for each statement execute function private.bump_toxicity_data_versions();
create trigger molecule_identifiers_version_insert after insert on public.molecule_identifiers
referencing new table as new_rows
for each statement execute function private.bump_toxicity_data_versions();
create trigger molecule_identifiers_version_update after update on public.molecule_identifiers
referencing old table as old_rows new table as new_rows
for each statement execute function private.bump_toxicity_data_versions();
create trigger molecule_identifiers_version_delete after delete on public.molecule_identifiers
referencing old table as old_rows
for each statement execute function private.bump_toxicity_data_versions();
create trigger molecule_identifiers_version_truncate after truncate on public.molecule_identifiers
for each statement execute function private.bump_toxicity_data_versions();

/**
 * private.toxicity_read_version() returns bigint
 * A fingerprint (compared for equality only, not ordered) of everything that can change what the caller
 * reads from the toxicity API without the caller's identity changing: the counters of the owners the
 * caller may read (public, the user's teams or the service client's team: joining or leaving a team
 * changes the set) and the last refresh of the summary view. Definer: the counters are private; it
 * reveals nothing about owners the caller cannot read.
 */
create or replace function private.toxicity_read_version()
returns pg_catalog.int8
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.hashtextextended(
    coalesce((select pg_catalog.string_agg(v.owner_key::pg_catalog.text operator(pg_catalog.||) ':' operator(pg_catalog.||) v.version::pg_catalog.text,
                                           ',' order by v.owner_key)
              from private.toxicity_data_versions as v
              where v.owner_key = any (array['00000000-0000-0000-0000-000000000000'::pg_catalog.uuid]
                operator(pg_catalog.||) case pg_catalog.current_setting('role')
                  when 'authenticated' then (select private.my_team_ids())
                  when 'cryo_service' then array[(select private.service_team_id())]
                  else '{}'::pg_catalog.uuid[] end)), '')
    operator(pg_catalog.||) '|' operator(pg_catalog.||) coalesce(pg_catalog.current_setting('role'), '')
    operator(pg_catalog.||) '|' operator(pg_catalog.||) coalesce((
      select pg_catalog.string_agg(t::pg_catalog.text, ',' order by t)
      from pg_catalog.unnest(case pg_catalog.current_setting('role') when 'authenticated' then (select private.my_team_ids()) end) as t), '')
    operator(pg_catalog.||) '|' operator(pg_catalog.||) coalesce((select l.last_refreshed_at::pg_catalog.text
                                                                  from private.matview_refresh_log as l
                                                                  where l.view_name = 'toxicity_summary'), ''),
    0)
$$;
comment on function private.toxicity_read_version() is
  'Fingerprint of the caller''s toxicity read set (owner counters, team set, summary refresh): the API cache key.';
revoke execute on function private.toxicity_read_version() from public, anon, authenticated, cryo_service;
grant execute on function private.toxicity_read_version() to anon, authenticated, cryo_service;

/**
 * CryoProtect: one index per lookup on molecules (issues 10 and 11 landed together)
 * ---------------------------------------------------------------------------------------------------------
 * The importer's resolution (20261130080000) and the read API's search (20261130090000) each indexed CAS
 * and lower(name). The read API's text_pattern_ops indexes answer equality as well as prefixes, so the
 * importer's plain b-trees only cost every molecule write: they go.
 */
drop index if exists public.molecules_cas_idx;
drop index if exists public.molecules_lower_name_idx;

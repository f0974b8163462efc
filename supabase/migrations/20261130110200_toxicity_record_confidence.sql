/**
 * CryoProtect: a curated toxicity record carries its confidence label (issue 10, item 7)
 * ---------------------------------------------------------------------------------------------------------
 * Curated literature values (the seed's source "literature") come with the project's confidence labels:
 * V read in the cited source, V2 read in a secondary source quoting it, C computed, U unverified (seed data
 * only, never a test's expected value). The label must travel with the record, as it does for molecules,
 * mixtures and properties: one nullable column of the existing domain. Imported data sets leave it null
 * (their provenance is the source row and its citation).
 */
alter table public.toxicity_records add column confidence public.confidence_label;
comment on column public.toxicity_records.confidence is
  'Curation label of a curated value (V, V2, C, U; see docs/seed-data.md); null for records imported from a data set.';

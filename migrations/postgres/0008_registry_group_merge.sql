-- Exported groups both ways (issue #6): what the gateway and the registry
-- last agreed a published Group's members were, so an edit on either side
-- is told apart from the other's (a three-way merge, not last writer wins).

-- Practitioner ids last agreed with the registry (JSON array), and those of
-- them the local group held as contacts then (the rest have no contact
-- here, so their absence from the local group is no removal).
ALTER TABLE registry_group_exports ADD COLUMN members TEXT;
ALTER TABLE registry_group_exports ADD COLUMN held TEXT;
-- The registry's `meta.versionId` of the Group when it was agreed: a
-- different one means the registry edited it since.
ALTER TABLE registry_group_exports ADD COLUMN version_id TEXT;

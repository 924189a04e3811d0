-- Sends that finish (issue #21): broadcasts and flow starts end
-- `completed`, and a flow start may be scheduled once or recurring, as a
-- broadcast may.

-- Why a send reached nobody when it fired ("group Midwives has no
-- members"): a firing with nobody is completed with 0 recipients, not
-- failed.
ALTER TABLE broadcasts ADD COLUMN note TEXT;
ALTER TABLE flow_starts ADD COLUMN note TEXT;

-- A flow start's schedule (the broadcasts' JSON shape: once, daily, weekly,
-- cron), its next firing, and for each firing of a recurring start the
-- start it came from.
ALTER TABLE flow_starts ADD COLUMN schedule TEXT;
ALTER TABLE flow_starts ADD COLUMN fire_on BIGINT;
ALTER TABLE flow_starts ADD COLUMN parent_id BIGINT REFERENCES flow_starts(id);
CREATE INDEX flow_starts_due ON flow_starts(status, fire_on);
CREATE INDEX flow_starts_parent ON flow_starts(parent_id);

-- A recurring broadcast's progress sums its firings.
CREATE INDEX broadcasts_parent ON broadcasts(parent_id);

-- Roster re-import (issue #21): a contact may carry the id another system
-- knows it by (an HR roster's staff number, a district spreadsheet's row
-- id), so importing the roster again updates the contact it names instead
-- of creating a second one. Unique when set; most contacts have none.
ALTER TABLE contacts ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX contacts_external_id ON contacts (external_id);

-- The inbox (issue #14): what answered an inbound message, written when it
-- is marked handled: 'flow' (a flow took it: a keyword trigger started one,
-- or a waiting flow resumed), 'trigger' (a keyword trigger's fixed reply),
-- 'optout' (a stop or start word), 'ignored' (a blocked or stopped contact),
-- 'failed' (a flow failed on it), 'none' (nothing matched: a person should
-- read it). NULL on outbound rows and on inbound rows stored before this.
ALTER TABLE msgs ADD COLUMN handled_by TEXT;
-- The inbox's "not understood" list, newest first, stays small.
CREATE INDEX msgs_inbound_unmatched ON msgs (id) WHERE direction = 'in' AND handled_by = 'none';

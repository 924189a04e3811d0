-- Outbound order per recipient (issue #21). A message is claimed only when
-- no earlier message of its priority to the same number is still unsent
-- (queued and due, errored, or wired), so a sprint's messages reach the
-- phone one after the other. This index answers that question for each
-- candidate row with one probe; a broadcast to distinct numbers finds an
-- empty range every time.
CREATE INDEX msgs_unsent_by_urn ON msgs(urn, priority, id) WHERE status IN ('queued', 'errored', 'wired');

-- Why a queued message is not due yet (outside the recipient's sending
-- hours), written when it is queued; the API shows it as `held` with this
-- reason until `next_attempt_on`.
ALTER TABLE msgs ADD COLUMN held_reason TEXT;

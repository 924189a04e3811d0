-- Carrier ids of the segments of multi-segment messages (SMPP). A carrier
-- answers and reports each segment on its own; msgs.external_id keeps the
-- ids joined by ',' for display, and receipts find their message here.
-- state: NULL until the segment's final receipt, then 'delivered' or the
-- failure reason. The message is settled when every segment has a state.
CREATE TABLE msg_segments (
    msg_id BIGINT NOT NULL REFERENCES msgs(id) ON DELETE CASCADE,
    link TEXT NOT NULL,
    segment_id TEXT NOT NULL,
    state TEXT,
    PRIMARY KEY (msg_id, segment_id)
);
CREATE INDEX msg_segments_by_id ON msg_segments(link, segment_id);

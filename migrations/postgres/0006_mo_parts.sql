-- Parts of concatenated MO SMS (SMPP), each written before its
-- deliver_sm_resp so a crash between parts loses none of them.
-- A part is keyed by its link, sender, concatenation reference, part count
-- and sequence number: a resent part (the carrier missed our resp) meets
-- its own row and is absorbed. msg_id is NULL while the message waits for
-- parts; the transaction that stores the joined message sets it on every
-- part (and expires_on to the end of the window in which resent parts are
-- still recognised), and the rows are purged after that.
-- data_coding + payload: the part's text still coded, header removed.
CREATE TABLE mo_parts (
    link TEXT NOT NULL,
    urn TEXT NOT NULL,
    reference BIGINT NOT NULL,
    total BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    data_coding BIGINT NOT NULL,
    payload BYTEA NOT NULL,
    received_on BIGINT NOT NULL,
    expires_on BIGINT NOT NULL,
    msg_id BIGINT REFERENCES msgs(id) ON DELETE CASCADE,
    PRIMARY KEY (link, urn, reference, total, seq)
);
CREATE INDEX mo_parts_expiry ON mo_parts(expires_on);

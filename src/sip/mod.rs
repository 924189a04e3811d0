//! SIP trunks and RTP media for IVR: dialogs, SDP, G.711, DTMF (RFC 4733 and
//! in-band), prompts and recordings. Knows `core`, never flows or SQL.

//! The `command_status` values the session layer reacts to, and how each
//! failure of a `submit_sm` is classified (retry or give up).

pub const ESME_ROK: u32 = 0x00;
pub const ESME_RINVMSGLEN: u32 = 0x01;
pub const ESME_RINVCMDLEN: u32 = 0x02;
pub const ESME_RINVCMDID: u32 = 0x03;
pub const ESME_RINVBNDSTS: u32 = 0x04;
pub const ESME_RALYBND: u32 = 0x05;
pub const ESME_RSYSERR: u32 = 0x08;
pub const ESME_RINVSRCADR: u32 = 0x0A;
pub const ESME_RINVDSTADR: u32 = 0x0B;
pub const ESME_RBINDFAIL: u32 = 0x0D;
pub const ESME_RINVPASWD: u32 = 0x0E;
pub const ESME_RINVSYSID: u32 = 0x0F;
pub const ESME_RMSGQFUL: u32 = 0x14;
pub const ESME_RINVSYSTYP: u32 = 0x53;
pub const ESME_RTHROTTLED: u32 = 0x58;
pub const ESME_RSUBMITFAIL: u32 = 0x45;
pub const ESME_RX_T_APPN: u32 = 0x64;

/// What to do about a non-zero status on a `submit_sm_resp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitFailure {
    /// The carrier is pacing us: slow down, resend this PDU within a second.
    Throttled,
    /// The carrier's queue is full: back off longer, then resend.
    QueueFull,
    /// Temporary trouble at the carrier: the message is retried later.
    Temporary,
    /// The carrier refuses this message; retrying will not help.
    Permanent,
}

pub fn classify_submit(status: u32) -> SubmitFailure {
    match status {
        ESME_RTHROTTLED => SubmitFailure::Throttled,
        ESME_RMSGQFUL => SubmitFailure::QueueFull,
        ESME_RSYSERR | ESME_RX_T_APPN | ESME_RINVBNDSTS => SubmitFailure::Temporary,
        _ => SubmitFailure::Permanent,
    }
}

/// A bind refused for these reasons will be refused again: stop and alert.
pub fn is_credentials_error(status: u32) -> bool {
    matches!(status, ESME_RINVPASWD | ESME_RINVSYSID | ESME_RINVSYSTYP)
}

/// Whether `command_id` is an SMPP 3.4 / 5.0 request (a malformed one is
/// answered ESME_RINVCMDLEN, an unknown one ESME_RINVCMDID).
pub fn is_known_command(command_id: u32) -> bool {
    matches!(command_id, 0x01..=0x09 | 0x0B | 0x15 | 0x21 | 0x102 | 0x103 | 0x111..=0x113)
}

/// A short name for logs and API details.
pub fn name(status: u32) -> String {
    let known = match status {
        ESME_ROK => "ESME_ROK",
        ESME_RINVMSGLEN => "ESME_RINVMSGLEN",
        ESME_RINVCMDLEN => "ESME_RINVCMDLEN",
        ESME_RINVCMDID => "ESME_RINVCMDID",
        ESME_RINVBNDSTS => "ESME_RINVBNDSTS",
        ESME_RALYBND => "ESME_RALYBND",
        ESME_RSYSERR => "ESME_RSYSERR",
        ESME_RINVSRCADR => "ESME_RINVSRCADR",
        ESME_RINVDSTADR => "ESME_RINVDSTADR",
        ESME_RSUBMITFAIL => "ESME_RSUBMITFAIL",
        ESME_RBINDFAIL => "ESME_RBINDFAIL",
        ESME_RINVPASWD => "ESME_RINVPASWD",
        ESME_RINVSYSID => "ESME_RINVSYSID",
        ESME_RMSGQFUL => "ESME_RMSGQFUL",
        ESME_RINVSYSTYP => "ESME_RINVSYSTYP",
        ESME_RTHROTTLED => "ESME_RTHROTTLED",
        ESME_RX_T_APPN => "ESME_RX_T_APPN",
        _ => return format!("0x{status:08X}"),
    };
    format!("{known} (0x{status:02X})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_queue_full_are_not_permanent() {
        assert_eq!(classify_submit(0x58), SubmitFailure::Throttled);
        assert_eq!(classify_submit(0x14), SubmitFailure::QueueFull);
        assert_eq!(classify_submit(0x08), SubmitFailure::Temporary);
        assert_eq!(classify_submit(0x0B), SubmitFailure::Permanent);
        assert!(is_credentials_error(0x0E) && is_credentials_error(0x0F));
        assert!(!is_credentials_error(ESME_RALYBND));
        assert_eq!(name(0x58), "ESME_RTHROTTLED (0x58)");
        assert_eq!(name(0x1234), "0x00001234");
        assert!(is_known_command(0x05) && is_known_command(0x103));
        assert!(!is_known_command(0x777) && !is_known_command(0x8000_0005));
    }
}

//! Reading SDP text into a [`SessionDescription`]: every line checked, the
//! attributes we interpret validated up front, everything else kept.

use super::*;

impl SessionDescription {
    /// Parse a body. Line endings may be CRLF or bare LF; blank lines are skipped.
    pub fn parse(text: &str) -> Result<Self, SdpError> {
        if text.len() > MAX_SDP_LEN {
            return Err(SdpError::TooLong(text.len()));
        }
        let mut lines = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i + 1, l));

        let bad = |line: usize, reason: &'static str, text: &str| SdpError::BadLine {
            line,
            reason,
            text: text.to_owned(),
        };
        match lines.next() {
            Some((_, "v=0")) => {}
            _ => return Err(SdpError::MissingVersion),
        }
        let mut origin = None;
        let mut session_name = None;
        let mut connection = None;
        let mut timing = None;
        let mut other = Vec::new();
        let mut attributes = Vec::new();
        let mut media: Vec<Media> = Vec::new();

        for (n, line) in lines {
            let (kind, value) = match line.split_once('=') {
                Some((k, v)) if k.len() == 1 => (k.chars().next().unwrap_or('?'), v),
                _ => return Err(bad(n, "not of the form x=value", line)),
            };
            if kind == 'm' {
                if media.len() == MAX_MEDIA_SECTIONS {
                    return Err(SdpError::TooManyMedia);
                }
                media.push(parse_media(value).ok_or_else(|| bad(n, "malformed m= line", line))?);
                continue;
            }
            if kind == 'a' {
                let attribute = parse_attribute(value).ok_or_else(|| bad(n, "malformed attribute", line))?;
                match media.last_mut() {
                    Some(m) => m.attributes.push(attribute),
                    None => attributes.push(attribute),
                }
                continue;
            }
            if kind == 'c' {
                let c = parse_connection(value).ok_or_else(|| bad(n, "malformed c= line", line))?;
                match media.last_mut() {
                    Some(m) => m.connection = Some(c),
                    None => connection = Some(c),
                }
                continue;
            }
            if let Some(m) = media.last_mut() {
                m.other.push(OtherLine {
                    kind,
                    value: value.to_owned(),
                });
                continue;
            }
            match kind {
                'o' => origin = Some(parse_origin(value).ok_or_else(|| bad(n, "malformed o= line", line))?),
                's' => session_name = Some(value.to_owned()),
                't' => timing = Some(parse_timing(value).ok_or_else(|| bad(n, "malformed t= line", line))?),
                'v' => return Err(bad(n, "second v= line", line)),
                _ => other.push(OtherLine {
                    kind,
                    value: value.to_owned(),
                }),
            }
        }
        Ok(SessionDescription {
            origin: origin.ok_or(SdpError::Missing('o'))?,
            session_name: session_name.ok_or(SdpError::Missing('s'))?,
            connection,
            timing: timing.ok_or(SdpError::Missing('t'))?,
            other,
            attributes,
            media,
        })
    }
}

fn parse_origin(value: &str) -> Option<Origin> {
    let fields: Vec<&str> = value.split(' ').collect();
    let [username, id, version, "IN", addr_type, address] = fields.as_slice() else {
        return None;
    };
    Some(Origin {
        username: (*username).to_owned(),
        session_id: id.parse().ok()?,
        session_version: version.parse().ok()?,
        addr_type: AddrType::parse(addr_type)?,
        address: (*address).to_owned(),
    })
}

fn parse_connection(value: &str) -> Option<Connection> {
    let fields: Vec<&str> = value.split(' ').collect();
    let ["IN", addr_type, address] = fields.as_slice() else {
        return None;
    };
    if address.is_empty() {
        return None;
    }
    Some(Connection {
        addr_type: AddrType::parse(addr_type)?,
        address: (*address).to_owned(),
    })
}

fn parse_timing(value: &str) -> Option<(u64, u64)> {
    let (start, stop) = value.split_once(' ')?;
    Some((start.parse().ok()?, stop.parse().ok()?))
}

fn parse_media(value: &str) -> Option<Media> {
    let mut fields = value.split(' ').filter(|f| !f.is_empty());
    let kind = fields.next()?.to_owned();
    let port_field = fields.next()?;
    let (port, port_count) = match port_field.split_once('/') {
        Some((port, count)) => (port.parse().ok()?, Some(count.parse().ok()?)),
        None => (port_field.parse().ok()?, None),
    };
    let protocol = fields.next()?.to_owned();
    let formats: Vec<String> = fields.map(str::to_owned).collect();
    if formats.is_empty() {
        return None;
    }
    Some(Media {
        kind,
        port,
        port_count,
        protocol,
        formats,
        connection: None,
        other: Vec::new(),
        attributes: Vec::new(),
    })
}

fn parse_attribute(value: &str) -> Option<Attribute> {
    let (name, value) = match value.split_once(':') {
        Some((name, value)) => (name, Some(value.to_owned())),
        None => (value, None),
    };
    if name.is_empty() || name.contains(' ') {
        return None;
    }
    // Attributes we interpret are checked now, so a bad one is an error here, not a surprise later.
    let well_formed = match (name, value.as_deref()) {
        ("rtpmap", Some(v)) => RtpMap::parse(v).is_some(),
        ("ptime", Some(v)) => v.trim().parse::<u32>().is_ok_and(|ms| ms > 0),
        ("fmtp", Some(v)) => v
            .split_once(' ')
            .is_some_and(|(pt, _)| parse_payload_type(pt).is_some()),
        ("rtpmap" | "ptime" | "fmtp", None) => false,
        _ => true,
    };
    well_formed.then(|| Attribute {
        name: name.to_owned(),
        value,
    })
}

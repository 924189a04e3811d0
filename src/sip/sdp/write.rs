//! Writing a [`SessionDescription`] as SDP text (CRLF line endings, RFC 8866 line order).

use std::fmt;

use super::{Attribute, Connection, SessionDescription};

fn write_attribute(out: &mut fmt::Formatter<'_>, a: &Attribute) -> fmt::Result {
    match &a.value {
        Some(v) => write!(out, "a={}:{}\r\n", a.name, v),
        None => write!(out, "a={}\r\n", a.name),
    }
}

fn write_connection(out: &mut fmt::Formatter<'_>, c: &Connection) -> fmt::Result {
    write!(out, "c=IN {} {}\r\n", c.addr_type.as_str(), c.address)
}

impl fmt::Display for SessionDescription {
    /// The wire form, CRLF line endings.
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        write!(out, "v=0\r\n")?;
        write!(
            out,
            "o={} {} {} IN {} {}\r\n",
            o.username,
            o.session_id,
            o.session_version,
            o.addr_type.as_str(),
            o.address
        )?;
        write!(out, "s={}\r\n", self.session_name)?;
        for line in &self.other {
            write!(out, "{}={}\r\n", line.kind, line.value)?;
        }
        if let Some(c) = &self.connection {
            write_connection(out, c)?;
        }
        write!(out, "t={} {}\r\n", self.timing.0, self.timing.1)?;
        for a in &self.attributes {
            write_attribute(out, a)?;
        }
        for m in &self.media {
            write!(out, "m={} {}", m.kind, m.port)?;
            if let Some(count) = m.port_count {
                write!(out, "/{count}")?;
            }
            write!(out, " {} {}\r\n", m.protocol, m.formats.join(" "))?;
            if let Some(c) = &m.connection {
                write_connection(out, c)?;
            }
            for line in &m.other {
                write!(out, "{}={}\r\n", line.kind, line.value)?;
            }
            for a in &m.attributes {
                write_attribute(out, a)?;
            }
        }
        Ok(())
    }
}

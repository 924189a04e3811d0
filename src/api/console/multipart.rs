//! `multipart/form-data` bodies, the one way a browser uploads a file
//! without JavaScript (the roster import). Only what a form of ours sends:
//! named parts with an optional file name, read whole from a body already
//! bounded by the API's body limit.

/// One part of a form: its field name and its bytes.
pub struct Part<'a> {
    pub name: String,
    pub data: &'a [u8],
}

/// The boundary of a `multipart/form-data` content type, if it is one.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The parts of `body`, or `None` when it is not well formed.
pub fn parts<'a>(body: &'a [u8], boundary: &str) -> Option<Vec<Part<'a>>> {
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut out = Vec::new();
    let mut at = find(body, d, 0)? + d.len();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            return Some(out);
        }
        at += 2; // CRLF after the delimiter
        let head_end = find(body, b"\r\n\r\n", at)?;
        let head = std::str::from_utf8(body.get(at..head_end)?).ok()?;
        let start = head_end + 4;
        let next = find(body, d, start)?;
        // The part ends with the CRLF before the next delimiter.
        let data = body.get(start..next.checked_sub(2)?)?;
        if let Some(name) = field_name(head) {
            out.push(Part { name, data });
        }
        at = next + d.len();
    }
}

/// The value of the text field `name` in a multipart body.
pub fn field(content_type: &str, body: &[u8], name: &str) -> Option<String> {
    let b = boundary(content_type)?;
    parts(body, &b)?
        .into_iter()
        .find(|p| p.name == name)
        .and_then(|p| String::from_utf8(p.data.to_vec()).ok())
}

fn field_name(head: &str) -> Option<String> {
    let disposition = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
    disposition.split(';').find_map(|p| {
        let p = p.trim();
        p.strip_prefix("name=").map(|v| v.trim_matches('"').to_string())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_upload_is_read() {
        let ct = "multipart/form-data; boundary=----x1";
        let body = b"------x1\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nabc\r\n\
------x1\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\nContent-Type: text/csv\r\n\r\n\
Name,Phone\r\nA,1\r\n\r\n------x1--\r\n";
        assert_eq!(field(ct, body, "_csrf").as_deref(), Some("abc"));
        let p = parts(body, &boundary(ct).unwrap()).unwrap();
        assert_eq!(p[1].name, "file");
        assert_eq!(p[1].data, b"Name,Phone\r\nA,1\r\n");
        assert!(boundary("application/x-www-form-urlencoded").is_none());
        assert!(parts(b"garbage", "x").is_none());
    }
}

//! The console's static files (CSS, JavaScript, the vendored htmx),
//! embedded in the binary and served at `/static/<name>.<hash>.<ext>`: the
//! hash is of the content (from rust-embed's metadata, read once at start),
//! so a file can be cached for a year and a new release still reaches every
//! browser at once. Templates never spell a static URL: they ask
//! [`url()`] for it.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "console/static/"]
struct Static;

/// Hex digits of the content hash in a file's URL: 48 bits, enough that
/// two versions of one file never share a name.
const HASH_DIGITS: usize = 12;

/// A hashed file is immutable: cache it for a year (the longest lifetime
/// HTTP caches honour) and never revalidate.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

struct Table {
    /// Embedded name → hashed URL path.
    urls: HashMap<String, String>,
    /// Hashed file name (below `/static/`) → embedded name.
    files: HashMap<String, String>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut urls = HashMap::new();
        let mut files = HashMap::new();
        for name in Static::iter() {
            let Some(file) = Static::get(&name) else {
                continue;
            };
            let hash: String = file
                .metadata
                .sha256_hash()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()[..HASH_DIGITS]
                .to_string();
            let hashed = match name.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
                None => format!("{name}.{hash}"),
            };
            urls.insert(name.to_string(), format!("/static/{hashed}"));
            files.insert(hashed, name.to_string());
        }
        Table { urls, files }
    })
}

/// The URL of the embedded file `name` (`console.css`,
/// `vendor/htmx.min.js`). An unknown name is a template bug, caught by a
/// test; it yields a URL that answers 404 rather than a panic.
pub fn url(name: &str) -> String {
    table()
        .urls
        .get(name)
        .cloned()
        .unwrap_or_else(|| format!("/static/missing/{name}"))
}

/// Hash every file now, at start, rather than on the first page view.
pub fn prepare() {
    let _ = table();
}

/// `GET /static/{*file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    let Some(file) = table()
        .files
        .get(&file)
        .and_then(|name| Static::get(name).map(|f| (name, f)))
    else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let (name, content) = file;
    let mime = match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "text/plain; charset=utf-8",
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
        ],
        content.data.into_owned(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_hashed_url() {
        let css = url("console.css");
        assert!(
            css.starts_with("/static/console.") && css.ends_with(".css"),
            "{css}"
        );
        assert_eq!(css.len(), "/static/console..css".len() + HASH_DIGITS);
        let htmx = url("vendor/htmx.min.js");
        assert!(htmx.starts_with("/static/vendor/htmx.min."), "{htmx}");
        let hashed = css.trim_start_matches("/static/");
        assert_eq!(table().files.get(hashed).map(String::as_str), Some("console.css"));
    }
}

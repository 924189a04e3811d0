//! Searches, page by page. Follows the server's `next` link; when a server
//! gives none (Medplum's bare repository, some proxies) but the page was
//! full, asks for the next `_offset` instead. A malformed resource in a page
//! is reported beside the good ones, not instead of them.

use std::marker::PhantomData;

use reqwest::Method;
use url::Url;

use super::{parse_body, FhirClient, FhirError};
use crate::fhir::resources::{Bundle, Resource, ResourceParseError};

/// Pages followed before giving up: at 200 a page this is 2 million
/// resources, beyond any national registry; more means a paging loop.
pub const MAX_SEARCH_PAGES: usize = 10_000;
/// Ids per `_id=a,b,...` search; HAPI errors on long lists (emNutt's note).
pub const MAX_IDS_PER_SEARCH: usize = 100;

/// The matches of one page (or of a whole search, when collected).
#[derive(Debug)]
pub struct SearchPage<R> {
    pub resources: Vec<R>,
    /// Entries that did not parse as `R`, each naming its resource.
    pub malformed: Vec<ResourceParseError>,
    /// The server's `total`, if it gave one.
    pub total: Option<u64>,
}

impl<R> Default for SearchPage<R> {
    fn default() -> Self {
        SearchPage {
            resources: Vec::new(),
            malformed: Vec::new(),
            total: None,
        }
    }
}

/// A search in progress; call [`Search::next_page`] until it returns `None`.
pub struct Search<R> {
    client: FhirClient,
    next: Option<Url>,
    pages: usize,
    what: String,
    _type: PhantomData<fn() -> R>,
}

impl FhirClient {
    /// Search `R` with `params` (e.g. `[("_lastUpdated", "ge2026-01-01")]`),
    /// `_count` set to the configured page size unless given.
    pub fn search<R: Resource>(&self, params: &[(&str, &str)]) -> Result<Search<R>, FhirError> {
        let mut url = self.url(R::TYPE)?;
        {
            let mut query = url.query_pairs_mut();
            for (k, v) in params {
                query.append_pair(k, v);
            }
            if !params.iter().any(|(k, _)| *k == "_count") {
                query.append_pair("_count", &self.config.page_size.to_string());
            }
        }
        let shown: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Ok(Search {
            client: self.clone(),
            next: Some(url),
            pages: 0,
            what: format!("search {}?{}", R::TYPE, shown.join("&")),
            _type: PhantomData,
        })
    }

    /// Every match of a search, all pages collected.
    pub async fn search_all<R: Resource>(&self, params: &[(&str, &str)]) -> Result<SearchPage<R>, FhirError> {
        let mut search = self.search::<R>(params)?;
        let mut all = SearchPage::default();
        while let Some(page) = search.next_page().await {
            let page = page?;
            all.resources.extend(page.resources);
            all.malformed.extend(page.malformed);
            all.total = page.total.or(all.total);
        }
        Ok(all)
    }

    /// Read many `R` by id with `_id` searches of at most [`MAX_IDS_PER_SEARCH`].
    /// Ids that do not exist are simply absent from the result.
    pub async fn read_many<R: Resource>(&self, ids: &[&str]) -> Result<SearchPage<R>, FhirError> {
        let mut all = SearchPage::default();
        for chunk in ids.chunks(MAX_IDS_PER_SEARCH) {
            let page = self.search_all::<R>(&[("_id", &chunk.join(","))]).await?;
            all.resources.extend(page.resources);
            all.malformed.extend(page.malformed);
        }
        Ok(all)
    }
}

impl<R: Resource> Search<R> {
    pub async fn next_page(&mut self) -> Option<Result<SearchPage<R>, FhirError>> {
        let url = self.next.take()?;
        if self.pages >= MAX_SEARCH_PAGES {
            return Some(Err(FhirError::TooManyPages {
                resource_type: R::TYPE,
                max: MAX_SEARCH_PAGES,
            }));
        }
        self.pages += 1;
        Some(self.fetch(url).await)
    }

    async fn fetch(&mut self, url: Url) -> Result<SearchPage<R>, FhirError> {
        let body = self
            .client
            .send(&self.what, Method::GET, url.clone(), None, true)
            .await?;
        let bundle: Bundle = parse_body(&self.what, &body)?;
        let mut page = SearchPage {
            total: bundle.total,
            ..SearchPage::default()
        };
        let mut matches = 0usize;
        for entry in &bundle.entry {
            let is_type = entry
                .resource
                .as_ref()
                .and_then(|r| r.get("resourceType"))
                .and_then(|t| t.as_str())
                == Some(R::TYPE);
            match entry.search.as_ref().and_then(|s| s.mode.as_deref()) {
                Some("include") => continue,
                Some("outcome") => {
                    tracing::warn!(search = %self.what, outcome = ?entry.resource, "search returned an outcome");
                    continue;
                }
                _ if !is_type
                    && entry
                        .resource
                        .as_ref()
                        .is_some_and(|r| r.get("resourceType").is_some()) =>
                {
                    continue
                }
                _ => {}
            }
            matches += 1;
            match entry.resource_as::<R>() {
                Ok(resource) => page.resources.push(resource),
                Err(e) => {
                    tracing::warn!(search = %self.what, error = %e, "malformed resource in search page");
                    page.malformed.push(e);
                }
            }
        }
        self.next = match bundle.next_link() {
            Some(next) => Some(self.client.onto_base(next)?),
            None => offset_fallback(&url, matches, bundle.total),
        };
        if self.next.as_ref() == Some(&url) {
            let reason = format!("the next link repeats the page just read ({url})");
            return Err(FhirError::Malformed {
                resource: self.what.clone(),
                reason,
            });
        }
        Ok(page)
    }
}

/// The next `_offset` page when the server gave no link but the page was full
/// (and `total`, if given, says more remain).
fn offset_fallback(url: &Url, matches: usize, total: Option<u64>) -> Option<Url> {
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let count: usize = pairs.iter().find(|(k, _)| k == "_count")?.1.parse().ok()?;
    let offset: usize = pairs
        .iter()
        .find(|(k, _)| k == "_offset")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let seen = (offset + matches) as u64;
    if count == 0 || matches < count || total.is_some_and(|t| seen >= t) {
        return None;
    }
    let mut next = url.clone();
    next.query_pairs_mut()
        .clear()
        .extend_pairs(pairs.iter().filter(|(k, _)| k != "_offset"))
        .append_pair("_offset", &(offset + matches).to_string());
    Some(next)
}

impl FhirClient {
    /// A server's paging link, moved onto our base if it names another origin:
    /// servers behind proxies often link to their internal host (emNutt
    /// rewrites these too), and our credentials must go only to our base.
    fn onto_base(&self, link: &str) -> Result<Url, FhirError> {
        let mut url = self.base.join(link).map_err(|e| FhirError::BadUrl {
            url: link.to_string(),
            reason: e.to_string(),
        })?;
        if url.origin() != self.base.origin() {
            tracing::debug!(link, base = %self.base, "paging link names another origin; rebased");
            let bad = |reason: &str| FhirError::BadUrl {
                url: link.to_string(),
                reason: reason.to_string(),
            };
            url.set_scheme(self.base.scheme())
                .map_err(|_| bad("cannot rebase scheme"))?;
            url.set_host(self.base.host_str())
                .map_err(|e| bad(&e.to_string()))?;
            url.set_port(self.base.port())
                .map_err(|_| bad("cannot rebase port"))?;
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("valid")
    }

    #[test]
    fn offset_fallback_only_when_the_page_was_full() {
        let u = url("http://x/fhir/Practitioner?name=a&_count=2");
        assert_eq!(
            offset_fallback(&u, 2, None).map(|n| n.to_string()),
            Some("http://x/fhir/Practitioner?name=a&_count=2&_offset=2".to_string())
        );
        assert!(offset_fallback(&u, 1, None).is_none());
        assert!(offset_fallback(&u, 2, Some(2)).is_none());
        let second = url("http://x/fhir/Practitioner?_count=2&_offset=2");
        assert_eq!(
            offset_fallback(&second, 2, Some(5)).map(|n| n.to_string()),
            Some("http://x/fhir/Practitioner?_count=2&_offset=4".to_string())
        );
    }

    #[test]
    fn foreign_paging_links_are_rebased() {
        let client = FhirClient::new(crate::fhir::client::FhirConfig::new(
            "https://registry.example/hapi/fhir",
        ))
        .expect("valid");
        let next = client
            .onto_base("http://10.0.0.5:8080/hapi/fhir?_getpages=abc&_getpagesoffset=20")
            .expect("ok");
        assert_eq!(
            next.as_str(),
            "https://registry.example/hapi/fhir?_getpages=abc&_getpagesoffset=20"
        );
        let relative = client.onto_base("Practitioner?_count=2&_offset=2").expect("ok");
        assert_eq!(
            relative.as_str(),
            "https://registry.example/hapi/fhir/Practitioner?_count=2&_offset=2"
        );
    }
}

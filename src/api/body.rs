//! A JSON body extractor whose errors name the offending field. The body
//! must be UTF-8 as JSON requires: serde_json checks the strings it keeps
//! but skips over bytes in the ones it ignores, so a body that is not
//! UTF-8 could otherwise be half-read and accepted.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::ApiError;

pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("could not read the body: {e}"),
            )
        })?;
        if let Err(e) = std::str::from_utf8(&bytes) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "the body is not UTF-8 text (invalid byte at offset {}): send JSON encoded as UTF-8",
                    e.valid_up_to()
                ),
            ));
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de)
            .map(Body)
            .map_err(|e| ApiError::undecodable(e, "invalid JSON body"))
    }
}

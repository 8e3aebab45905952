//! Who is calling: `Authorization: Bearer <api key>` or nobody.
//!
//! Keys are looked up by their SHA-256 hash (the store never sees a key). A request with
//! no `Authorization` header is anonymous; one with a malformed, unknown or revoked key
//! is refused with 401 rather than silently treated as anonymous.

use auster_store::{hash_api_key, Plan, StoreError};

use crate::ctx::{Ctx, KeyOwner};
use crate::error::ApiError;
#[allow(unused_imports)]
use crate::prelude::*;
use crate::request::ApiRequest;

/// The caller of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No key sent: may browse public models and artifacts only.
    Anonymous,
    /// A signed-in user.
    User {
        /// User id.
        user_id: String,
        /// Plan.
        plan: Plan,
    },
}

impl Caller {
    /// The user id, when signed in.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Caller::Anonymous => None,
            Caller::User { user_id, .. } => Some(user_id),
        }
    }

    /// The user id, or 401 for anonymous callers.
    pub fn require(&self) -> Result<&str, ApiError> {
        self.user_id().ok_or_else(ApiError::unauthenticated)
    }
}

/// The API key of `req`'s `Authorization: Bearer <key>` header: `None` without the
/// header, 401 when it is not a bearer key.
pub fn bearer_key(req: &ApiRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = req.header("authorization") else {
        return Ok(None);
    };
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(Some)
        .ok_or_else(|| {
            ApiError::Unauthenticated("the Authorization header must be `Bearer <api key>`".into())
        })
}

/// Resolves the caller of `req`.
pub async fn authenticate(ctx: &Ctx, req: &ApiRequest) -> Result<Caller, ApiError> {
    let Some(key) = bearer_key(req)? else {
        return Ok(Caller::Anonymous);
    };
    let hash = hash_api_key(key);
    if let Some(owner) = ctx.auth_cache.get(&hash) {
        return Ok(Caller::User {
            user_id: owner.user_id,
            plan: owner.plan,
        });
    }
    match ctx.store.authenticate(&hash).await {
        Ok(account) => {
            ctx.auth_cache.put(
                hash,
                KeyOwner {
                    user_id: account.id.clone(),
                    plan: account.plan,
                },
            );
            Ok(Caller::User {
                user_id: account.id,
                plan: account.plan,
            })
        }
        Err(StoreError::NotFound(_)) | Err(StoreError::Invalid(_)) => Err(
            ApiError::Unauthenticated("the API key is unknown or revoked".into()),
        ),
        Err(e) => Err(e.into()),
    }
}

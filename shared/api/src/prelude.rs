//! The store's repository traits, so `ctx.store.<method>()` resolves wherever it is used.

pub use auster_store::{
    AccountRepo, ArtifactRepo, CacheRepo, CreditRepo, KeyRepo, ModelRepo, QuotaRepo, RunRepo,
    SocialRepo, Store,
};

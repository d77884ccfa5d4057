//! The DreamFactory System API dialect (`/api/v2`). Spec: `shared/dialects/dreamfactory.md`.
//!
//! Work in progress (issue 4): so far only the filter grammar ([`filter`]), which turns
//! DreamFactory's `filter=` parameter into a tree. The endpoints, sessions and the translation
//! of a tree into a store query come next; nothing of this crate is mounted yet.

pub mod filter;

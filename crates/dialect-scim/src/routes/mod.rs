//! The endpoints, and what they share: the absolute base URL, SCIM's list answer, the query
//! parameters of a list or a search, and `attributes`/`excludedAttributes`.

pub mod discovery;
pub mod groups;
pub mod users;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use usergate_core::{Actor, Core};

use crate::error::{SCIM_JSON, ScimError};
use crate::filter::{AttrPath, Filter, attr_path, parse};
use crate::wire::{ENTERPRISE_URN, LIST_URN, MAX_RESULTS};

/// The absolute URL of `/scim/v2` as the client reached it (`meta.location`, `$ref`).
pub fn base(req: &HttpRequest) -> String {
    let ci = req.connection_info();
    format!("{}://{}{}", ci.scheme(), ci.host(), crate::PREFIX)
}

/// A SCIM answer.
pub fn reply(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(SCIM_JSON)
        .body(body.to_string())
}

/// What a list (query string) or a search (`POST .search` body) asks for. Unknown parameters
/// are ignored (Entra appends `aadOptscim062020`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
#[schema(example = json!({"filter": "userName eq \"jdoe@example.com\"", "startIndex": 1, "count": 10}))]
pub struct ListParams {
    /// A SCIM filter (`userName eq "jdoe"`).
    #[serde(default)]
    pub filter: Option<String>,
    /// 1-based index of the first result (below 1 is 1).
    #[serde(default)]
    #[param(value_type = Option<i64>)]
    #[schema(value_type = Option<i64>)]
    pub start_index: Option<Value>,
    /// Results per page: 0 to 1000 (default 100; 0 answers the total only).
    #[serde(default)]
    #[param(value_type = Option<i64>)]
    #[schema(value_type = Option<i64>)]
    pub count: Option<Value>,
    /// Only these attributes (comma-separated; `id` always).
    #[serde(default)]
    #[param(value_type = Option<String>, pattern = r"^ *([A-Za-z][A-Za-z0-9_$-]*(\.[A-Za-z$][A-Za-z0-9_$-]*)? *(, *[A-Za-z][A-Za-z0-9_$-]*(\.[A-Za-z$][A-Za-z0-9_$-]*)? *)*)?$")]
    #[schema(value_type = Option<String>, pattern = r"^ *([A-Za-z][A-Za-z0-9_$-]*(\.[A-Za-z$][A-Za-z0-9_$-]*)? *(, *[A-Za-z][A-Za-z0-9_$-]*(\.[A-Za-z$][A-Za-z0-9_$-]*)? *)*)?$")]
    pub attributes: Option<Value>,
    /// All but these attributes (comma-separated).
    #[serde(default)]
    #[param(value_type = Option<String>, pattern = r"^ *([A-Za-z][A-Za-z0-9_$-]*(\.[A-Za-z$][A-Za-z0-9_$-]*)? *(, *[A-Za-z][A-Za-z0-9_$-]*(\.[A-Za-z$][A-Za-z0-9_$-]*)? *)*)?$")]
    #[schema(value_type = Option<String>, pattern = r"^ *([A-Za-z][A-Za-z0-9_$-]*(\.[A-Za-z$][A-Za-z0-9_$-]*)? *(, *[A-Za-z][A-Za-z0-9_$-]*(\.[A-Za-z$][A-Za-z0-9_$-]*)? *)*)?$")]
    pub excluded_attributes: Option<Value>,
}

/// What a read of one resource takes: which attributes to answer.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ShapeParams {
    /// Only these attributes (comma-separated; `id` always).
    #[serde(default)]
    #[param(
        pattern = r"^ *([A-Za-z][A-Za-z0-9_$-]*(\.[A-Za-z$][A-Za-z0-9_$-]*)? *(, *[A-Za-z][A-Za-z0-9_$-]*(\.[A-Za-z$][A-Za-z0-9_$-]*)? *)*)?$"
    )]
    pub attributes: Option<String>,
    /// All but these attributes (comma-separated).
    #[serde(default)]
    #[param(
        pattern = r"^ *([A-Za-z][A-Za-z0-9_$-]*(\.[A-Za-z$][A-Za-z0-9_$-]*)? *(, *[A-Za-z][A-Za-z0-9_$-]*(\.[A-Za-z$][A-Za-z0-9_$-]*)? *)*)?$"
    )]
    pub excluded_attributes: Option<String>,
}

impl ShapeParams {
    /// The attributes to answer; a name that is no attribute path is 400 `invalidValue`.
    pub fn read(&self) -> Result<Shape, ScimError> {
        let text = |v: &Option<String>| v.clone().map(Value::String);
        Shape::read(
            text(&self.attributes).as_ref(),
            text(&self.excluded_attributes).as_ref(),
        )
    }
}

/// A list request, read.
#[derive(Debug)]
pub struct Listing {
    /// The filter.
    pub filter: Option<Filter>,
    /// Rows to skip.
    pub offset: u64,
    /// Rows to answer.
    pub count: u32,
    /// The attributes to answer.
    pub shape: Shape,
}

fn number(v: Option<&Value>, name: &str) -> Result<Option<i64>, ScimError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| ScimError::invalid(format!("{name} must be a whole number"))),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| ScimError::invalid(format!("{name} must be a whole number"))),
        Some(_) => Err(ScimError::invalid(format!("{name} must be a whole number"))),
    }
}

impl ListParams {
    /// Reads the parameters: a bad filter is 400 `invalidFilter`, a bad number
    /// `invalidValue`.
    pub fn read(&self) -> Result<Listing, ScimError> {
        let filter = match self.filter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(f) => Some(parse(f)?),
        };
        let start = number(self.start_index.as_ref(), "startIndex")?
            .unwrap_or(1)
            .max(1);
        let count = number(self.count.as_ref(), "count")?
            .unwrap_or(100)
            .clamp(0, i64::from(MAX_RESULTS));
        Ok(Listing {
            filter,
            offset: u64::try_from(start - 1).unwrap_or(0),
            count: u32::try_from(count).unwrap_or(MAX_RESULTS),
            shape: Shape::read(self.attributes.as_ref(), self.excluded_attributes.as_ref())?,
        })
    }
}

/// `attributes` / `excludedAttributes`.
#[derive(Debug, Default, Clone)]
pub struct Shape {
    only: Option<Vec<AttrPath>>,
    except: Vec<AttrPath>,
}

fn paths(v: Option<&Value>) -> Result<Option<Vec<AttrPath>>, ScimError> {
    let names: Vec<String> = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.split(',').map(|n| n.trim().to_owned()).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|n| n.as_str().map(|s| s.trim().to_owned()))
            .collect::<Option<_>>()
            .ok_or_else(|| ScimError::invalid("attributes are names"))?,
        Some(_) => return Err(ScimError::invalid("attributes are names")),
    };
    names
        .into_iter()
        .filter(|n| !n.is_empty())
        .map(|n| attr_path(&n).map_err(ScimError::invalid))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

impl Shape {
    /// Reads the two parameters (each a comma-separated string, or a list in a search body).
    pub fn read(only: Option<&Value>, except: Option<&Value>) -> Result<Shape, ScimError> {
        Ok(Shape {
            only: paths(only)?.filter(|p| !p.is_empty()),
            except: paths(except)?.unwrap_or_default(),
        })
    }

    /// Whether the answer shows `name` (a top-level attribute).
    pub fn shows(&self, name: &str) -> bool {
        let named = |p: &AttrPath| p.urn.is_none() && p.name.eq_ignore_ascii_case(name);
        let whole = |p: &AttrPath| named(p) && p.sub.is_none();
        match &self.only {
            Some(only) => only.iter().any(named),
            None => !self.except.iter().any(whole),
        }
    }

    /// The resource with only what was asked (`schemas` and `id` always).
    pub fn apply(&self, doc: Value) -> Value {
        let Value::Object(doc) = doc else { return doc };
        let mut out = Map::new();
        for (k, v) in doc {
            if k == "schemas" || k == "id" {
                out.insert(k, v);
                continue;
            }
            if let Some(v) = self.keep(&k, v) {
                out.insert(k, v);
            }
        }
        Value::Object(out)
    }

    fn keep(&self, key: &str, v: Value) -> Option<Value> {
        let ext = key == ENTERPRISE_URN;
        let applies = |p: &AttrPath| {
            if ext {
                p.urn == Some(ENTERPRISE_URN) || p.name == ENTERPRISE_URN
            } else {
                p.urn != Some(ENTERPRISE_URN) && p.name.eq_ignore_ascii_case(key)
            }
        };
        let subs = |ps: &[AttrPath]| -> Option<Vec<String>> {
            let mut out = Vec::new();
            for p in ps.iter().filter(|p| applies(p)) {
                match (ext, p.name == ENTERPRISE_URN, &p.sub) {
                    (true, true, _) | (false, _, None) => return None,
                    (true, false, None) => out.push(p.name.clone()),
                    (_, _, Some(s)) => out.push(s.clone()),
                }
            }
            Some(out)
        };
        match &self.only {
            Some(only) => {
                if !only.iter().any(applies) {
                    return None;
                }
                match subs(only) {
                    None => Some(v),
                    Some(keep) => pick(v, &keep, true),
                }
            }
            None => match subs(&self.except) {
                None => None,
                Some(drop) if drop.is_empty() => Some(v),
                Some(drop) => pick(v, &drop, false),
            },
        }
    }
}

/// Keeps (or drops) these sub-attributes of an object or of each object of a list.
fn pick(v: Value, names: &[String], keep: bool) -> Option<Value> {
    let one = |o: Map<String, Value>| -> Map<String, Value> {
        o.into_iter()
            .filter(|(k, _)| names.iter().any(|n| n.eq_ignore_ascii_case(k)) == keep)
            .collect()
    };
    match v {
        Value::Object(o) => {
            Some(Value::Object(one(o))).filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
        }
        Value::Array(items) => Some(Value::Array(
            items
                .into_iter()
                .map(|i| match i {
                    Value::Object(o) => Value::Object(one(o)),
                    other => other,
                })
                .collect(),
        )),
        other => Some(other),
    }
}

/// What finds one kind of resource for a listing: the page, and how many match in all.
pub type Finder = fn(&Core, &Actor, &Listing, &str) -> Result<(Vec<Value>, u64), ScimError>;

/// A list or search of one kind of resource, answered as SCIM's list.
pub async fn listing(
    caller: crate::auth::Caller,
    state: &crate::State,
    req: &HttpRequest,
    l: Listing,
    find: Finder,
) -> Result<HttpResponse, ScimError> {
    let core = state.core.clone();
    let base = base(req);
    let offset = l.offset;
    let (docs, total) =
        usergate_web::blocking(move || Ok(find(&core, caller.actor(), &l, &base))).await??;
    Ok(list_response(docs, total, offset))
}

/// SCIM's list answer.
pub fn list_response(resources: Vec<Value>, total: u64, start: u64) -> HttpResponse {
    reply(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_URN],
            "totalResults": total,
            "startIndex": start + 1,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}

/// A resource's answer to a method it does not take: 405 with `Allow`.
pub fn not_allowed(allow: &'static str) -> actix_web::Route {
    actix_web::web::to(move || async move { Err::<HttpResponse, _>(ScimError::not_allowed(allow)) })
}

/// 501 for what usergate does not serve (`/Bulk`, `/Me`).
pub async fn not_implemented() -> Result<HttpResponse, ScimError> {
    Err(ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        "Not supported: see /ServiceProviderConfig",
    ))
}

/// 404 for any other path.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ScimError> {
    Err(ScimError::not_found(format!(
        "No SCIM endpoint at {}",
        req.path()
    )))
}

/// Users, then groups, that match: the page over both, and how many match in all. A filter
/// on an attribute users do not have matches no user (and the reverse for groups).
#[utoipa::path(post, path = "/scim/v2/.search", tag = "search",
    request_body(content = ListParams, content_type = "application/scim+json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A ListResponse of users, then groups", content_type = "application/scim+json", body = Object),
        (status = 400, description = "invalidFilter or invalidValue", content_type = "application/scim+json", body = crate::error::ErrorBody),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = crate::error::ErrorBody),
        (status = 403, description = "The key's owner is not an active admin", content_type = "application/scim+json", body = crate::error::ErrorBody),
    ))]
pub async fn search_all(
    caller: crate::auth::Caller,
    state: actix_web::web::Data<crate::State>,
    req: HttpRequest,
    usergate_web::Body(usergate_web::Object(p)): usergate_web::Body<
        usergate_web::Object<ListParams>,
    >,
) -> Result<HttpResponse, ScimError> {
    let l = p.read()?;
    let core = state.core.clone();
    let base = base(&req);
    let start = l.offset;
    let (docs, total) = usergate_web::blocking(move || {
        Ok((|| -> Result<(Vec<Value>, u64), ScimError> {
            let actor = caller.actor();
            let (mut docs, users) = match users::find(&core, actor, &l, &base) {
                Ok(found) => found,
                Err(e) if e.is_filter() => (Vec::new(), 0),
                Err(e) => return Err(e),
            };
            let rest = Listing {
                offset: l.offset.saturating_sub(users),
                count: l
                    .count
                    .saturating_sub(u32::try_from(docs.len()).unwrap_or(u32::MAX)),
                ..l
            };
            let (groups, group_total) = groups::find(&core, actor, &rest, &base)?;
            docs.extend(groups);
            Ok((docs, users + group_total))
        })())
    })
    .await??;
    Ok(list_response(docs, total, start))
}

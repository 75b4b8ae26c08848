//! `405 Method Not Allowed` with `Allow`: when no route answers a request,
//! the default services ask here whether its path is known under other
//! methods. The answer comes from the route tables the application
//! registers from — the web UI's `routes!` lists and the API's OpenAPI
//! document — never from a second list.

use std::sync::LazyLock;

use actix_web::HttpRequest;
use actix_web::dev::ResourceDef;
use actix_web::http::Method;

use crate::error::HttpError;

/// Path patterns and the methods registered for each.
struct RouteIndex {
    routes: Vec<(ResourceDef, Vec<Method>)>,
}

impl RouteIndex {
    fn new(routes: impl IntoIterator<Item = (Method, String)>) -> Self {
        let mut index: Vec<(String, Vec<Method>)> = Vec::new();
        for (method, path) in routes {
            match index.iter_mut().find(|(p, _)| *p == path) {
                Some((_, methods)) if !methods.contains(&method) => methods.push(method),
                Some(_) => {}
                None => index.push((path, vec![method])),
            }
        }
        RouteIndex {
            routes: index
                .into_iter()
                .map(|(path, methods)| (ResourceDef::new(path), methods))
                .collect(),
        }
    }

    /// Every method some route registers for `path`, in registration order.
    fn allowed(&self, path: &str) -> Vec<Method> {
        let mut allowed: Vec<Method> = Vec::new();
        for (def, methods) in &self.routes {
            if def.is_match(path) {
                for m in methods {
                    if !allowed.contains(m) {
                        allowed.push(m.clone());
                    }
                }
            }
        }
        allowed
    }
}

/// Every route: the web UI's and the API's (from its OpenAPI document,
/// which a test proves covers every API route).
static ROUTES: LazyLock<RouteIndex> = LazyLock::new(|| {
    let web = crate::web::route_table().into_iter().filter_map(|r| {
        Some((
            Method::from_bytes(r.method.as_bytes()).ok()?,
            r.path.to_owned(),
        ))
    });
    RouteIndex::new(web.chain(crate::api::openapi::api_route_table()))
});

/// The 405 for a request whose path a route knows under other methods;
/// `None` when no route knows the path (a 404).
pub(crate) fn method_not_allowed(req: &HttpRequest) -> Option<HttpError> {
    let allowed = ROUTES.allowed(req.path());
    if allowed.is_empty() || allowed.contains(req.method()) {
        return None;
    }
    let allow = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    Some(HttpError::MethodNotAllowed(allow))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_of_every_matching_pattern_are_merged_once() {
        let index = RouteIndex::new([
            (Method::GET, "/tasks".to_owned()),
            (Method::POST, "/tasks".to_owned()),
            (Method::GET, "/tasks/{id}".to_owned()),
            (Method::POST, "/tasks/{id}".to_owned()),
            (Method::POST, "/tasks/{id}/delete".to_owned()),
            (Method::GET, "/tasks".to_owned()),
        ]);
        assert_eq!(index.allowed("/tasks"), [Method::GET, Method::POST]);
        assert_eq!(index.allowed("/tasks/7/delete"), [Method::POST]);
        assert!(index.allowed("/tasks/7/nothing").is_empty());
        assert!(index.allowed("/elsewhere").is_empty());
    }
}

//! The OpenAPI 3.1 document of the JSON API, generated from the code: each
//! handler's `#[utoipa::path]` (method and path come from its actix route
//! attribute), the wire types' `ToSchema` derives, the error responses built
//! from [`HttpError`] itself, and the closed sets of values (roles, task and
//! invoice statuses, report groupings) from `tt-domain`. Served at
//! `GET /api/v1/openapi.json`; [`api_route_table`] lists its operations.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::LazyLock;

use actix_web::http::Method;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError, get};
use tt_domain::{BillableFilter, GroupBy, InvoiceStatus, Role, TaskStatus};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, ServerBuilder};
use utoipa::{IntoResponses, Modify, OpenApi, PartialSchema, ToSchema};

use super::{
    BAD_BODY, INVALID_QUERY, MALFORMED_JSON, auth, company, entries, health, invoices, me, privacy,
    reports, users, work,
};
use crate::error::HttpError;

/// The name of the bearer-token security scheme in the document.
pub(crate) const BEARER: &str = "bearer";

/// Everything under `/api/v1`; nested below its prefix by [`ApiDoc`].
#[derive(OpenApi)]
#[openapi(paths(
    openapi_json,
    auth::login,
    auth::logout,
    auth::me,
    me::export,
    me::tokens,
    me::create_token,
    me::revoke_token,
    me::change_password,
    me::set_calendar,
    users::list,
    users::create,
    users::update,
    users::remove,
    users::reset_password,
    privacy::show,
    privacy::update,
    privacy::rotate,
    privacy::deletion_request,
    company::show,
    company::update,
    company::put_logo,
    company::delete_logo,
    work::list_clients,
    work::create_client,
    work::get_client,
    work::update_client,
    work::delete_client,
    work::list_projects,
    work::create_project,
    work::get_project,
    work::update_project,
    work::delete_project,
    work::list_tasks,
    work::create_task,
    work::get_task,
    work::update_task,
    work::delete_task,
    work::list_comments,
    work::create_comment,
    work::get_comment,
    work::update_comment,
    work::delete_comment,
    entries::get_timer,
    entries::start_timer,
    entries::stop_timer,
    entries::correct_timer,
    entries::continue_entry,
    entries::list,
    entries::create,
    entries::get_one,
    entries::update,
    entries::remove,
    invoices::list,
    invoices::create,
    invoices::get_one,
    invoices::set_status,
    invoices::remove,
    invoices::pdf,
    reports::summary,
    reports::entries_csv,
), components(schemas(
    // Named only by query parameters, which utoipa does not follow.
    BillableName,
)))]
struct V1;

/// The whole document: the API under `/api/v1` and the health endpoints.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "TimeTracker",
        description = "The JSON API of a TimeTracker server. Authenticate with \
            `POST /api/v1/auth/login` and send the token as `Authorization: Bearer tt_…`. \
            Every error is `{\"error\": {\"code\", \"message\"}}`. Until first-run setup \
            is complete every API operation but login and this document answers \
            `409 setup_required`."
    ),
    paths(health::healthz, health::readyz),
    nest((path = "/api/v1", api = V1)),
    modifiers(&Framework),
)]
pub(crate) struct ApiDoc;

/// What the derive cannot say: the server, the bearer scheme and the shared
/// error responses the operations refer to.
struct Framework;

impl Modify for Framework {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        doc.servers = Some(vec![ServerBuilder::new().url("/").build()]);
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("tt_…")
                    .description(Some(
                        "A token from `POST /api/v1/auth/login`, revoked by `POST /api/v1/auth/logout`.",
                    ))
                    .build(),
            ),
        );
        for kind in ErrorKind::ALL {
            components
                .responses
                .insert(kind.name().to_owned(), RefOr::T(kind.response()));
        }
    }
}

/// The document as served, serialized once.
static DOCUMENT: LazyLock<Vec<u8>> =
    LazyLock::new(|| ApiDoc::openapi().to_json().unwrap_or_default().into_bytes());

/// This document.
#[utoipa::path(
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API",
        content_type = "application/json", body = Object)),
)]
#[get("/openapi.json")]
pub(crate) async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(DOCUMENT.as_slice())
}

/// Every operation of the document as (method, path template), e.g.
/// `(GET, "/api/v1/clients/{id}")`, sorted by path.
pub fn api_route_table() -> Vec<(Method, String)> {
    let doc = ApiDoc::openapi();
    let mut table = Vec::new();
    for (path, item) in doc.paths.paths {
        let operations = [
            (Method::GET, &item.get),
            (Method::PUT, &item.put),
            (Method::POST, &item.post),
            (Method::DELETE, &item.delete),
            (Method::OPTIONS, &item.options),
            (Method::HEAD, &item.head),
            (Method::PATCH, &item.patch),
            (Method::TRACE, &item.trace),
        ];
        for (method, op) in operations {
            if op.is_some() {
                table.push((method, path.clone()));
            }
        }
    }
    table
}

// ------------------------------------------------------------- errors

/// One error response of the document: a status and the `code`s it carries,
/// taken from [`HttpError`] so the document cannot drift from the mapping.
#[derive(Debug, Clone, Copy)]
enum ErrorKind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unprocessable,
    TooManyAttempts,
    Unavailable,
}

impl ErrorKind {
    const ALL: [ErrorKind; 10] = [
        ErrorKind::BadRequest,
        ErrorKind::Unauthorized,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::PayloadTooLarge,
        ErrorKind::UnsupportedMediaType,
        ErrorKind::Unprocessable,
        ErrorKind::TooManyAttempts,
        ErrorKind::Unavailable,
    ];

    fn name(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "BadRequest",
            ErrorKind::Unauthorized => "Unauthorized",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::PayloadTooLarge => "PayloadTooLarge",
            ErrorKind::UnsupportedMediaType => "UnsupportedMediaType",
            ErrorKind::Unprocessable => "Unprocessable",
            ErrorKind::TooManyAttempts => "TooManyAttempts",
            ErrorKind::Unavailable => "Unavailable",
        }
    }

    fn description(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "The body or the query string cannot be read",
            ErrorKind::Unauthorized => "No valid credentials",
            ErrorKind::Forbidden => "Not allowed for this user",
            ErrorKind::NotFound => "No such object (or another user's private one)",
            ErrorKind::Conflict => {
                "Conflicts with the current state or lost a race (`conflict`), or first-run \
                 setup is not complete (`setup_required`)"
            }
            ErrorKind::PayloadTooLarge => "The body is larger than 256 KiB",
            ErrorKind::UnsupportedMediaType => "The body is not `application/json`",
            ErrorKind::Unprocessable => "Well-formed but invalid values, or unknown fields",
            ErrorKind::TooManyAttempts => "Too many failed logins; retry after `Retry-After`",
            ErrorKind::Unavailable => "The database cannot be reached",
        }
    }

    /// The errors of this kind the server answers with.
    fn errors(self) -> Vec<HttpError> {
        match self {
            ErrorKind::BadRequest => [MALFORMED_JSON, BAD_BODY, INVALID_QUERY]
                .into_iter()
                .map(|code| HttpError::bad_request(code, ""))
                .collect(),
            ErrorKind::Unauthorized => vec![HttpError::Unauthorized],
            ErrorKind::Forbidden => vec![HttpError::forbidden()],
            ErrorKind::NotFound => vec![HttpError::NotFound],
            ErrorKind::Conflict => {
                vec![HttpError::Conflict(String::new()), HttpError::SetupRequired]
            }
            ErrorKind::PayloadTooLarge => vec![HttpError::PayloadTooLarge],
            ErrorKind::UnsupportedMediaType => {
                vec![HttpError::UnsupportedMediaType(String::new())]
            }
            ErrorKind::Unprocessable => vec![HttpError::Validation(String::new())],
            ErrorKind::TooManyAttempts => {
                vec![HttpError::TooManyAttempts(std::time::Duration::ZERO)]
            }
            ErrorKind::Unavailable => vec![HttpError::Unavailable(None)],
        }
    }

    fn status(self) -> String {
        self.errors()
            .first()
            .map(|e| e.status_code().as_u16().to_string())
            .unwrap_or_default()
    }

    /// `{"error": {"code", "message"}}` with this kind's codes.
    fn response(self) -> Response {
        let codes: Vec<&'static str> = self.errors().iter().map(HttpError::code).collect();
        let detail = ObjectBuilder::new()
            .property(
                "code",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(codes)),
            )
            .required("code")
            .property("message", ObjectBuilder::new().schema_type(Type::String))
            .required("message");
        let body = ObjectBuilder::new()
            .property("error", detail)
            .required("error");
        let mut response = ResponseBuilder::new()
            .description(self.description())
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(body)).build(),
            );
        let header = match self {
            ErrorKind::Unauthorized => Some((header::WWW_AUTHENTICATE, "`Bearer`")),
            ErrorKind::TooManyAttempts => Some((header::RETRY_AFTER, "Seconds to wait")),
            _ => None,
        };
        if let Some((name, description)) = header {
            response = response.header(
                name.as_str(),
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::String))
                    .description(Some(description))
                    .build(),
            );
        }
        response.build()
    }

    fn reference(self) -> (String, RefOr<Response>) {
        (
            self.status(),
            RefOr::Ref(utoipa::openapi::Ref::from_response_name(self.name())),
        )
    }
}

/// Declares a set of error responses an operation lists in `responses(…)`.
macro_rules! error_set {
    ($($(#[$doc:meta])* $name:ident = [$($kind:ident),+];)+) => {$(
        $(#[$doc])*
        pub(crate) struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                [$(ErrorKind::$kind.reference()),+].into_iter().collect()
            }
        }
    )+};
}

error_set! {
    /// Any operation behind a token: 401, 409 (`setup_required`, and lost
    /// races on writes), 503.
    Authed = [Unauthorized, Conflict, Unavailable];
    /// A JSON body: 400, 413, 415, 422.
    JsonBody = [BadRequest, PayloadTooLarge, UnsupportedMediaType, Unprocessable];
    /// A query string: 400, 422.
    Query = [BadRequest, Unprocessable];
    /// Not for everybody: 403.
    Restricted = [Forbidden];
    /// An id in the path, or a thing that may not exist: 404.
    Missing = [NotFound];
    /// The login: 429.
    Throttled = [TooManyAttempts];
    /// A request the data makes impossible (a PDF of text its font cannot
    /// print): 422.
    Refused = [Unprocessable];
}

// ------------------------------------------------------- closed values

/// A string enum whose values come from the domain's own list.
macro_rules! string_enum {
    ($($(#[$doc:meta])* $name:ident = $schema_name:literal, $values:expr;)+) => {$(
        $(#[$doc])*
        pub(crate) struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some($values))
                    .into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($schema_name)
            }
        }
    )+};
}

string_enum! {
    /// A user's role.
    RoleName = "Role", Role::ALL.iter().map(|r| r.as_str());
    /// A task's status.
    TaskStatusName = "TaskStatus", TaskStatus::ALL.iter().map(|s| s.as_str());
    /// An invoice's status.
    InvoiceStatusName = "InvoiceStatus", InvoiceStatus::ALL.iter().map(|s| s.as_str());
    /// How a summary report groups its rows.
    GroupByName = "GroupBy", GroupBy::ALL.iter().map(|g| g.as_str());
    /// Which entries a report takes by their billable flag; empty, as a
    /// form's "any" option sends it, means `all` (every filter reads a blank
    /// value as absent).
    BillableName = "BillableFilter",
        std::iter::once("").chain(BillableFilter::ALL.iter().map(|b| b.as_str()));
}

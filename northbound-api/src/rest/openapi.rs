//! The OpenAPI 3.1 document of the API, generated from the code: the handlers' `#[utoipa::path]`
//! annotations, the wire types' schemas, one set of paths per object collection (built from
//! [`Kind::ALL`], since the router serves them all with one route), the answers every
//! operation may give (401, 429, 500, 503), and the bearer-token scheme. `GET
//! /api/v1/openapi.json` serves it.

use crate::auth::Access;
use crate::model::{
    Endpoint, EndpointGroup, Global, Host, Kind, NetProfile, Network, Policy, Rule, Tenant,
};
use northbound_model::error::ErrorBody;
use std::borrow::Cow;
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, ParameterBuilder};
use utoipa::openapi::path::{ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr, Required};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

/// The name of the bearer-token security scheme.
const BEARER: &str = "bearerToken";
/// The path of the document itself.
pub const PATH: &str = "/api/v1/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "netmaster",
        description = "netplugin's northbound API: Contiv netmaster's intent objects (`/api/v1/{collection}`), \
            all-or-nothing batches, inspection of endpoints and networks, the switches' sync audit, their \
            flows with owners, packet traces through the compiled pipeline, and the \
            per-host agents' reports and directives. Every path also answers with a trailing slash. Errors \
            are `{\"error\": \"<message>\"}`.",
    ),
    paths(
        super::list_reports,
        super::get_report,
        super::put_report,
        super::get_directives,
        super::ready::ready,
        super::live::jobs,
        super::live::answer,
        super::audit,
        super::debug::flows,
        super::debug::trace,
        super::batch,
        super::inspect_endpoints,
        super::inspect,
        super::version,
        super::info,
        super::metrics,
    ),
    components(schemas(ErrorBody, Global, Tenant, Network, EndpointGroup, Endpoint, Host, Policy, Rule, NetProfile)),
    tags(
        (name = "intent", description = "The intent objects (Contiv netmaster's model) and batches of them."),
        (name = "inspect", description = "Objects with what netmaster allocated and observed."),
        (name = "operations", description = "The switches' sync state, their flows, and packet traces."),
        (name = "agents", description = "The per-host agents' reports and directives."),
    ),
    modifiers(&ContivKeys, &Collections, &DocumentItself),
)]
struct Generated;

/// The document for an API with `access`: with tokens, every operation requires a bearer token
/// and may answer 401 and 429; open, none does (the scheme is declared all the same).
pub fn document(access: &Access) -> Document {
    let mut doc = Generated::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let tokens = matches!(access, Access::Tokens { .. });
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "A token of netmaster's --api-tokens file: `Authorization: Bearer TOKEN`. Its role \
                     (admin, tenant, agent) decides what the caller sees and may change.",
                ))
                .build(),
        ),
    );
    let mut common = vec![
        ("500", "netmaster failed to do it (its store failed)."),
        (
            "503",
            "netmaster serves as many connections as it may: try again in a moment.",
        ),
    ];
    if tokens {
        doc.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
        common.push(("401", "No token, or one netmaster does not know."));
        common.push((
            "429",
            "Too many unknown tokens from this address within a minute: wait for Retry-After.",
        ));
    }
    for (status, description) in &common {
        components
            .responses
            .insert(format!("E{status}"), RefOr::T(error(description)));
    }
    for item in doc.paths.paths.values_mut() {
        for operation in operations(item) {
            for (status, _) in &common {
                operation.responses.responses.insert(
                    status.to_string(),
                    RefOr::Ref(Ref::from_response_name(format!("E{status}"))),
                );
            }
        }
    }
    doc
}

/// The operations of a path item.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
        &mut item.head,
        &mut item.options,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// An error answer: `{"error": ...}`.
fn error(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name(ErrorBody::name()))),
        )
        .build()
}

/// The schema name of a kind's objects.
fn schema_name(kind: Kind) -> Cow<'static, str> {
    match kind {
        Kind::Global => Global::name(),
        Kind::Tenant => Tenant::name(),
        Kind::Network => Network::name(),
        Kind::EndpointGroup => EndpointGroup::name(),
        Kind::Endpoint => Endpoint::name(),
        Kind::Host => Host::name(),
        Kind::Policy => Policy::name(),
        Kind::Rule => Rule::name(),
        Kind::NetProfile => NetProfile::name(),
    }
}

/// How a kind's key is written.
fn key_form(kind: Kind) -> &'static str {
    match kind {
        Kind::Global => "`global`",
        Kind::Tenant => "the tenant's name",
        Kind::Host => "the host's name",
        Kind::Rule => "`tenant:policy:ruleId`",
        _ => "`tenant:name`",
    }
}

/// Contiv's `key` in every object's schema: written in every answer, optional in a request
/// (where it must be the key the object's fields make; see [`crate::model::wire`]).
struct ContivKeys;

impl Modify for ContivKeys {
    fn modify(&self, doc: &mut Document) {
        let Some(components) = doc.components.as_mut() else {
            return;
        };
        for kind in Kind::ALL {
            let Some(RefOr::T(Schema::Object(object))) =
                components.schemas.get_mut(schema_name(kind).as_ref())
            else {
                continue;
            };
            let key = ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(format!(
                    "The object's key ({}), as Contiv writes it: in every answer; in a request \
                     optional, and then it must be the key the object's fields make.",
                    key_form(kind)
                )))
                .build();
            object
                .properties
                .insert(northbound_model::wire::KEY.to_string(), key.into());
        }
    }
}

/// The paths of every object collection: `/api/v1/{collection}` and
/// `/api/v1/{collection}/{key}`.
struct Collections;

impl Modify for Collections {
    fn modify(&self, doc: &mut Document) {
        for kind in Kind::ALL {
            let collection = kind.collection();
            let name = schema_name(kind);
            let object = || Ref::from_schema_name(name.clone());
            let json = |schema: RefOr<_>| Content::new(Some(schema));
            let ok = |description: &str, schema: RefOr<_>| {
                ResponseBuilder::new()
                    .description(description)
                    .content("application/json", json(schema))
                    .build()
            };
            let fail = |description: &str| RefOr::T(error(description));
            let op = |id: &str, summary: String| {
                OperationBuilder::new()
                    .tag("intent")
                    .operation_id(Some(format!("{id}{name}")))
                    .summary(Some(summary))
            };
            let list = op(
                "list",
                format!("Every object of `{collection}` the caller sees"),
            )
            .response(
                "200",
                ok(
                    "The objects in key order, with allocated fields filled in.",
                    ArrayBuilder::new().items(object()).build().into(),
                ),
            )
            .response("403", fail("The caller's role may not read these objects."))
            .build();
            doc.paths.paths.insert(
                format!("/api/v1/{collection}"),
                PathItem::new(HttpMethod::Get, list),
            );

            let key = ParameterBuilder::new()
                .name("key")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some(format!("The object's key: {}.", key_form(kind))))
                .schema(Some(String::schema()))
                .build();
            let hidden = "No such object (or one of a tenant the caller does not see).";
            let get = op("get", format!("One object of `{collection}`"))
                .parameter(key.clone())
                .response(
                    "200",
                    ok(
                        "The object, with allocated fields filled in.",
                        object().into(),
                    ),
                )
                .response("403", fail("The caller's role may not read it."))
                .response("404", fail(hidden))
                .build();
            let body = RequestBodyBuilder::new()
                .description(Some("The object's own fields; its key must be the path's."))
                .required(Some(Required::True))
                .content("application/json", json(object().into()))
                .build();
            let upsert = |id: &str| {
                op(id, format!("Creates or replaces an object of `{collection}`"))
                    .parameter(key.clone())
                    .request_body(Some(body.clone()))
                    .response("200", ok("The object as stored (with allocations).", object().into()))
                    .response(
                        "400",
                        fail("The body does not decode (naming the field), its key is not the path's, or a value is invalid."),
                    )
                    .response("403", fail("The caller may not change it."))
                    .response("404", fail("It names an object that does not exist (or one the caller does not see)."))
                    .response("409", fail("It conflicts with what exists (an address or tag taken, a pool exhausted)."))
                    .build()
            };
            let delete = op("delete", format!("Deletes an object of `{collection}`"))
                .parameter(key.clone())
                .response(
                    "204",
                    ResponseBuilder::new().description("Deleted.").build(),
                )
                .response("400", fail("The deletion is invalid."))
                .response("403", fail("The caller may not delete it."))
                .response("404", fail(hidden))
                .response("409", fail("Other objects still use it."))
                .build();
            let mut item = PathItem::new(HttpMethod::Get, get);
            item.post = Some(upsert("create"));
            item.put = Some(upsert("put"));
            item.delete = Some(delete);
            doc.paths
                .paths
                .insert(format!("/api/v1/{collection}/{{key}}"), item);
        }
    }
}

/// `GET /api/v1/openapi.json`.
struct DocumentItself;

impl Modify for DocumentItself {
    fn modify(&self, doc: &mut Document) {
        let get = OperationBuilder::new()
            .tag("operations")
            .operation_id(Some("openapi"))
            .summary(Some("This document"))
            .response(
                "200",
                ResponseBuilder::new()
                    .description("The OpenAPI document of this API.")
                    .content("application/json", Content::new(None::<RefOr<_>>))
                    .build(),
            )
            .build();
        doc.paths
            .paths
            .insert(PATH.to_string(), PathItem::new(HttpMethod::Get, get));
    }
}

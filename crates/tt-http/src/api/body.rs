//! The API's JSON body extractor: actix's `web::Json` (with the scope's
//! limit and error mapping) plus one rule — the body must be a JSON object.
//! serde's derived structs also read an array positionally, so without it
//! `["Acme", null, null, false]` would create a client: a shape no client
//! means, that the document does not allow, and that would silently change
//! meaning whenever a field is added or reordered.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// A request body that is a JSON object read as `T`.
#[derive(Debug)]
pub(crate) struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// `T` read from a JSON object only.
struct Object<T>(T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = Map::<String, Value>::deserialize(deserializer)?;
        T::deserialize(Value::Object(object))
            .map(Object)
            .map_err(D::Error::custom)
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Json::<Object<T>>::from_request(req, payload);
        Box::pin(async move { Ok(Json(body.await?.into_inner().0)) })
    }
}

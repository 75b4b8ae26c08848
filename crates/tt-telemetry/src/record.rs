//! Turning queued items into OTLP log records and request bodies, with the
//! official `opentelemetry_sdk` record type and `opentelemetry-otlp`
//! exporter. The send path, debug mode and the heartbeat preview all go
//! through [`Encoder`], so a preview is exactly what would be sent (up to the
//! order of the resource's two attributes, which the SDK keeps in a hash map).

use std::time::SystemTime;

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::{
    LogBatch, LogExporter as _, SdkLogRecord, SdkLogger, SdkLoggerProvider,
};
use tt_consent::ConsentLevel;

use crate::base::{BaseKind, BuildInfo};
use crate::config::Protocol;
use crate::error::{EncodeFailure, TelemetryError};
use crate::event::{EventDescriptor, Properties, UserId, WireValue};
use crate::identity::InstallId;
use crate::transport::{Attempt, Transport};

/// An attribute value. Crate-private: the only way text gets in is through
/// the validated identity types and compile-time enum names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AttrValue {
    Static(&'static str),
    Text(String),
}

/// What a queued item will become. Product events keep their properties
/// inline: recording one allocates nothing.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Payload {
    Product {
        descriptor: &'static EventDescriptor,
        properties: Properties,
        user: Option<UserId>,
    },
    Base {
        kind: BaseKind,
        attributes: Vec<(&'static str, AttrValue)>,
    },
}

/// One record waiting in the queue.
#[derive(Debug, Clone)]
pub(crate) struct QueuedItem {
    pub payload: Payload,
    pub level: ConsentLevel,
    pub at: SystemTime,
    /// The purge epoch of `level` when it was queued; a later purge of that
    /// level makes it stale.
    pub epoch: u64,
    /// The install id current when it was queued: it is sent under that id
    /// or not at all (a rotation since, seen by any process, makes it stale).
    pub install_id: InstallId,
}

impl QueuedItem {
    pub(crate) fn name(&self) -> &'static str {
        match &self.payload {
            Payload::Product { descriptor, .. } => descriptor.name,
            Payload::Base { kind, .. } => kind.descriptor().name,
        }
    }
}

/// Formats a time as RFC 3339 UTC with second precision.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Builds records and request bodies; owns the OTLP exporter.
#[derive(Debug)]
pub(crate) struct Encoder {
    exporter: opentelemetry_otlp::LogExporter,
    transport: Transport,
    logger: SdkLogger,
    scope: InstrumentationScope,
    schema_version: i64,
    /// The last install id written, as text shared by its records (a
    /// batch is sent under one id: formatting it once per record was a
    /// UUID to text and an allocation each).
    install_id_text: std::cell::RefCell<Option<(InstallId, opentelemetry::StringValue)>>,
    // Kept alive for the logger; it has no processors and exports nothing.
    _provider: SdkLoggerProvider,
}

impl Encoder {
    /// `url` is only a formality for the exporter's builder: the transport
    /// decides where requests go.
    pub(crate) fn new(
        transport: Transport,
        url: &str,
        protocol: Protocol,
        build: &BuildInfo,
        request_timeout: std::time::Duration,
    ) -> Result<Encoder, TelemetryError> {
        // Only our attributes: no default detectors (which would read
        // OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES and add SDK details).
        let resource = Resource::builder_empty()
            .with_attributes([
                KeyValue::new("service.name", build.service_name),
                KeyValue::new("service.version", build.version.as_str().to_owned()),
            ])
            .build();
        let mut exporter = opentelemetry_otlp::LogExporter::builder()
            .with_http()
            .with_http_client(transport.clone())
            .with_endpoint(url)
            .with_protocol(protocol.to_otlp())
            .with_timeout(request_timeout)
            // Retries are ours: they re-check consent, count, honour
            // Retry-After and can be cut short by shutdown.
            .with_retry_policy(opentelemetry_otlp::RetryPolicy::disabled())
            .build()
            .map_err(TelemetryError::Exporter)?;
        exporter.set_resource(&resource);
        let provider = SdkLoggerProvider::builder().with_resource(resource).build();
        let scope = InstrumentationScope::builder("tt-telemetry").build();
        let logger = provider.logger_with_scope(scope.clone());
        Ok(Encoder {
            exporter,
            transport,
            logger,
            scope,
            schema_version: build.schema_version,
            install_id_text: std::cell::RefCell::new(None),
            _provider: provider,
        })
    }

    /// The log record for `item`.
    pub(crate) fn record(&self, item: &QueuedItem, install_id: InstallId) -> SdkLogRecord {
        let name = item.name();
        let mut r = self.logger.create_log_record();
        r.set_event_name(name);
        r.set_timestamp(item.at);
        r.set_observed_timestamp(item.at);
        r.set_severity_number(Severity::Info);
        r.set_severity_text("INFO");
        r.set_body(AnyValue::from(name));
        r.add_attribute("event.name", name);
        match &item.payload {
            Payload::Product {
                descriptor,
                properties,
                user,
            } => {
                r.add_attribute("event.category", descriptor.category.as_str());
                r.add_attribute("telemetry.level", item.level.as_str());
                r.add_attribute("telemetry.schema_version", self.schema_version);
                r.add_attribute("install_id", self.install_id_text(install_id));
                if let Some(user) = user {
                    r.add_attribute("user_id", user.get());
                }
                for (key, value) in properties.resolved(descriptor) {
                    match value {
                        WireValue::Int(v) => r.add_attribute(key, v),
                        WireValue::Bool(v) => r.add_attribute(key, v),
                        WireValue::Enum(v) => r.add_attribute(key, v),
                    }
                }
            }
            Payload::Base { kind, attributes } => {
                r.add_attribute("event.category", kind.descriptor().category.as_str());
                r.add_attribute("telemetry.level", item.level.as_str());
                r.add_attribute("telemetry.schema_version", self.schema_version);
                for (key, value) in attributes {
                    match value {
                        AttrValue::Static(v) => r.add_attribute(*key, *v),
                        AttrValue::Text(v) => r.add_attribute(*key, v.clone()),
                    }
                }
            }
        }
        r
    }

    fn install_id_text(&self, id: InstallId) -> opentelemetry::StringValue {
        let mut cached = self.install_id_text.borrow_mut();
        match &*cached {
            Some((known, text)) if *known == id => text.clone(),
            _ => {
                let text =
                    opentelemetry::StringValue::from(std::sync::Arc::<str>::from(id.to_string()));
                *cached = Some((id, text.clone()));
                text
            }
        }
    }

    /// Exports `records` in one request and reports what happened: the
    /// transport's record of the attempt, or why nothing was attempted.
    pub(crate) fn export(&self, records: &[SdkLogRecord]) -> Result<Attempt, EncodeFailure> {
        let pairs: Vec<(&SdkLogRecord, &InstrumentationScope)> =
            records.iter().map(|r| (r, &self.scope)).collect();
        let _ = self.transport.take_attempt();
        let result = futures_executor::block_on(self.exporter.export(LogBatch::new(&pairs)));
        match (self.transport.take_attempt(), result) {
            (Some(attempt), _) => Ok(attempt),
            (None, Err(e)) => Err(EncodeFailure(e.to_string())),
            (None, Ok(())) => Err(EncodeFailure("the exporter sent nothing".to_owned())),
        }
    }
}

/// Decodes a request body to pretty JSON for people to read: protobuf via
/// `opentelemetry-proto`'s serde mapping, JSON re-indented.
pub(crate) fn body_to_json(protocol: Protocol, body: &[u8]) -> Result<String, EncodeFailure> {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use prost::Message as _;
    let value: serde_json::Value = match protocol {
        Protocol::HttpProtobuf => {
            let request =
                ExportLogsServiceRequest::decode(body).map_err(|e| EncodeFailure(e.to_string()))?;
            serde_json::to_value(&request).map_err(|e| EncodeFailure(e.to_string()))?
        }
        Protocol::HttpJson => {
            serde_json::from_slice(body).map_err(|e| EncodeFailure(e.to_string()))?
        }
    };
    serde_json::to_string_pretty(&value).map_err(|e| EncodeFailure(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_767_225_599)),
            "2025-12-31T23:59:59Z"
        );
    }
}

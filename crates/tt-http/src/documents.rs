//! Files the server draws for download: the invoice PDF, shared by the
//! API (`GET /api/v1/invoices/{id}/pdf`) and the invoice page
//! (`GET /invoices/{id}/pdf`).

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};
use tt_app::Actor;
use tt_app::events::InvoiceView;
use tt_documents::{InvoicePdf, PdfError, invoice_pdf};
use tt_domain::InvoiceId;

use crate::error::HttpError;
use crate::state::AppState;

/// A file name made of the invoice number: letters, digits, `-` and `_`.
fn file_name(number: &str) -> String {
    let safe: String = number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("invoice-{}.pdf", safe.trim_matches('-'))
}

/// The invoice as a PDF attachment (admin).
pub(crate) async fn invoice_pdf_response(
    state: &AppState,
    actor: Actor,
    id: InvoiceId,
) -> Result<HttpResponse, HttpError> {
    let for_event = actor.clone();
    let doc = state
        .run(move |app| tt_app::invoices::document(app, &actor, id))
        .await?;
    let name = file_name(&doc.invoice.display_number());
    let (bytes, doc) = web::block(move || {
        let bytes = invoice_pdf(&InvoicePdf {
            invoice: &doc.invoice,
            sender: &doc.sender,
            recipient: &doc.recipient,
            footer: &doc.footer,
            logo: doc.logo.as_ref(),
        });
        (bytes, doc)
    })
    .await
    .map_err(|_| HttpError::internal("blocking task failed"))?;
    let bytes = bytes.map_err(|e| match e {
        PdfError::Unprintable(_) => HttpError::Validation(e.to_string()),
        other => HttpError::Internal(Box::new(other)),
    })?;
    state
        .run(move |app| {
            tt_app::invoices::viewed(app, &for_event, &doc.invoice, InvoiceView::Pdf);
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_name("INV-2026-0007"), "invoice-INV-2026-0007.pdf");
        assert_eq!(file_name("Draft #7"), "invoice-Draft--7.pdf");
        assert_eq!(file_name("../../x\"y"), "invoice-x-y.pdf");
    }
}

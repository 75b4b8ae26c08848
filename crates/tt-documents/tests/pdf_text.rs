//! The invoice PDF read back by a real PDF reader (`pdftotext` from
//! poppler-utils): sender, recipient, number, every line and the totals
//! are there, with the literal figures a calculator gives. Page 1 is
//! rendered to PNG (`pdftoppm`) under `target/artifacts/` to be looked at.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use chrono::NaiveDate;
use tt_documents::{InvoicePdf, invoice_pdf};
use tt_domain::{
    ClientId, Currency, CustomLine, Discount, Invoice, InvoiceId, InvoiceLine, InvoiceStatus,
    LineKind, Party, Price, ProjectId, Quantity, TaxRate, Totals,
};

fn tool(name: &str) -> Option<PathBuf> {
    let found = Command::new("which").arg(name).output().ok()?;
    found
        .status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&found.stdout).trim()))
}

use tt_testkit::in_ci;

fn time_line(desc: &str, hundredths: i64, price: i64, currency: Currency) -> InvoiceLine {
    InvoiceLine {
        kind: LineKind::Time,
        project_id: ProjectId::new(1),
        description: desc.into(),
        seconds: hundredths * 36,
        quantity: Quantity::from_hundredths(hundredths).unwrap(),
        unit_price: Price::from_hundredths(price).unwrap(),
        amount: currency.amount(hundredths, price),
    }
}

fn invoice(currency: Currency, lines: Vec<InvoiceLine>, discount: &str, tax: &str) -> Invoice {
    let discount = Discount::parse(discount).unwrap();
    let tax_rate = TaxRate::parse(tax).unwrap();
    let totals = Totals::compute(lines.iter().map(|l| l.amount), discount, tax_rate, currency);
    Invoice {
        id: InvoiceId::new(7).unwrap(),
        number: Some(12),
        number_text: Some("INV-2026-0012".into()),
        client_id: ClientId::new(1).unwrap(),
        status: InvoiceStatus::Sent,
        issue_date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        due_date: NaiveDate::from_ymd_opt(2026, 12, 14),
        currency,
        discount,
        tax_rate,
        totals,
        notes: "Thank you for your business.".into(),
        sender: None,
        recipient: None,
        footer: None,
        lines,
    }
}

fn sender() -> Party {
    Party {
        name: "Müller & Søn Consulting GmbH".into(),
        address: "Hauptstraße 5\n10115 Berlin\nGermany".into(),
        tax_id: "DE123456789".into(),
        email: "billing@mueller.example".into(),
        bank_details: "IBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX".into(),
    }
}

fn text_of(pdf: &[u8], name: &str) -> Option<String> {
    let Some(pdftotext) = tool("pdftotext") else {
        assert!(
            !in_ci(),
            "pdftotext is missing in CI (apt-get install poppler-utils)"
        );
        eprintln!("\n*** SKIPPED: pdftotext not installed (apt-get install poppler-utils) ***\n");
        return None;
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    if let Some(pdftoppm) = tool("pdftoppm") {
        let png = dir.join(format!("{name}-page1"));
        let ok = Command::new(pdftoppm)
            .args(["-png", "-r", "80", "-singlefile", "-f", "1", "-l", "1"])
            .arg(&path)
            .arg(&png)
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let out = Command::new(pdftotext)
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftotext could not read the PDF");
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn a_euro_invoice_reads_back_with_every_line_and_total() {
    let eur = Currency::EUR;
    let hosting = CustomLine::parse("Server hosting (November)", "2", "49.90").unwrap();
    let lines = vec![
        time_line("Website relaunch — Design", 751, 9500, eur),
        time_line("Website relaunch — Backend", 1225, 11000, eur),
        InvoiceLine {
            kind: LineKind::Custom,
            project_id: None,
            description: hosting.description.clone(),
            seconds: 0,
            quantity: hosting.quantity,
            unit_price: hosting.unit_price,
            amount: hosting.amount(eur),
        },
    ];
    let inv = invoice(eur, lines, "10", "19");
    let recipient = Party {
        name: "Acme Corporation".into(),
        address: "1 Road Runner Way\nPhoenix, AZ 85001\nUSA".into(),
        tax_id: "US-99-1234567".into(),
        email: "ap@acme.example".into(),
        bank_details: String::new(),
    };
    let pdf = invoice_pdf(&InvoicePdf {
        invoice: &inv,
        sender: &sender(),
        recipient: &recipient,
        footer: "Müller & Søn Consulting GmbH · Registered in Berlin HRB 12345",
        logo: None,
    })
    .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(
        pdf.len() < 100_000,
        "{} bytes: is the font subset?",
        pdf.len()
    );
    let Some(text) = text_of(&pdf, "invoice-eur") else {
        return;
    };
    // 7.51 × 95.00 = 713.45; 12.25 × 110.00 = 1,347.50; 2 × 49.90 = 99.80;
    // subtotal 2,160.75; 10 % = 216.08 (216.075 up); net 1,944.67;
    // 19 % = 369.49 (369.4873); total 2,314.16.
    for expected in [
        "Müller & Søn Consulting GmbH",
        "Hauptstraße 5",
        "DE123456789",
        "Acme Corporation",
        "Phoenix, AZ 85001",
        "US-99-1234567",
        "INV-2026-0012",
        "2026-11-30",
        "2026-12-14",
        "Website relaunch — Design",
        "7.51 h",
        "95.00",
        "713.45",
        "12.25 h",
        "1,347.50",
        "Server hosting (November)",
        "2.00",
        "49.90",
        "99.80",
        "2,160.75",
        "Discount 10.00%",
        "-216.08",
        "1,944.67",
        "Tax 19.00%",
        "369.49",
        "Total EUR",
        "2,314.16",
        "IBAN DE89 3704 0044 0532 0130 00",
        "Thank you for your business.",
        "Registered in Berlin",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[test]
fn a_yen_invoice_has_no_decimals_in_its_amounts() {
    let jpy = Currency::parse("JPY").unwrap();
    let inv = invoice(
        jpy,
        vec![time_line("Consulting", 751, 950_000, jpy)],
        "0",
        "10",
    );
    let pdf = invoice_pdf(&InvoicePdf {
        invoice: &inv,
        sender: &sender(),
        recipient: &Party {
            name: "Sample Trading K.K.".into(),
            address: "1-1 Marunouchi, Chiyoda-ku\nTokyo 100-0005".into(),
            ..Party::default()
        },
        footer: "",
        logo: None,
    })
    .unwrap();
    let Some(text) = text_of(&pdf, "invoice-jpy") else {
        return;
    };
    // 7.51 h × 9,500.00 = 71,345 yen; 10 % tax 7,135 (7,134.5 up); 78,480.
    for expected in [
        "7.51 h",
        "9,500.00",
        "71,345",
        "7,135",
        "Total JPY",
        "78,480",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(
        !text.contains("71,345.00"),
        "yen amounts have no decimals:\n{text}"
    );
}

#[test]
fn text_the_font_cannot_print_is_refused_not_boxed() {
    let eur = Currency::EUR;
    let inv = invoice(
        eur,
        vec![time_line("Übersetzung — Ελληνικά, Русский", 100, 100, eur)],
        "0",
        "0",
    );
    let latin = Party {
        name: "Société Générale".into(),
        ..Party::default()
    };
    assert!(
        invoice_pdf(&InvoicePdf {
            invoice: &inv,
            sender: &latin,
            recipient: &latin,
            footer: "",
            logo: None,
        })
        .is_ok()
    );
    let cjk = Party {
        name: "株式会社サンプル".into(),
        ..Party::default()
    };
    let refused = invoice_pdf(&InvoicePdf {
        invoice: &inv,
        sender: &latin,
        recipient: &cjk,
        footer: "",
        logo: None,
    });
    assert!(matches!(
        refused,
        Err(tt_documents::PdfError::Unprintable('株'))
    ));
}

#[test]
fn many_lines_continue_on_further_pages() {
    let eur = Currency::EUR;
    let lines = (1..=80)
        .map(|i| time_line(&format!("Support ticket {i}"), 25, 8000, eur))
        .collect();
    let inv = invoice(eur, lines, "0", "0");
    let pdf = invoice_pdf(&InvoicePdf {
        invoice: &inv,
        sender: &sender(),
        recipient: &Party::default(),
        footer: "",
        logo: None,
    })
    .unwrap();
    let Some(text) = text_of(&pdf, "invoice-long") else {
        return;
    };
    assert!(text.contains("Support ticket 80"));
    assert!(text.contains("(continued)"));
    assert!(text.contains("Page 2"));
    // 80 × 0.25 h × 80.00 = 1,600.00.
    assert!(text.contains("1,600.00"), "{text}");
}

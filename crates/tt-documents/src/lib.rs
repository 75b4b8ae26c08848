//! TimeTracker's printable documents. Today: the invoice as a PDF (A4),
//! drawn with krilla and the DejaVu Sans font, embedded (subset) so every
//! character the invoice prints — `€`, `¥`, accented names — is in the
//! file. Every number comes formatted from `tt-domain`, the same strings
//! the invoice page and the API show.
//!
//! Pure: bytes in, bytes out; no IO.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use tt_domain::{Invoice, LineKind, Logo, Party, format_hundredths};

const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// A4 in points.
const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 50.0;
const BODY: f32 = 9.5;
const LINE: f32 = 13.0;

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The embedded font did not load (a broken build).
    #[error("the embedded font cannot be read")]
    Font,
    /// The text has a character the embedded font has no glyph for (it
    /// covers Latin, Greek and Cyrillic scripts, not CJK): better a clear
    /// refusal than a box in its place.
    #[error("the PDF font cannot print “{0}”; the invoice page shows it, the PDF cannot")]
    Unprintable(char),
    /// The PDF writer failed.
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

/// What an invoice PDF shows.
#[derive(Debug, Clone, Copy)]
pub struct InvoicePdf<'a> {
    /// The invoice, its lines and totals.
    pub invoice: &'a Invoice,
    /// Who sends it.
    pub sender: &'a Party,
    /// Who it is for.
    pub recipient: &'a Party,
    /// Printed at the bottom.
    pub footer: &'a str,
    /// Printed at the top left, if any (a logo that does not decode is
    /// left out).
    pub logo: Option<&'a Logo>,
}

struct Fonts {
    regular: Font,
    bold: Font,
    regular_face: rustybuzz::Face<'static>,
    bold_face: rustybuzz::Face<'static>,
}

impl Fonts {
    fn load() -> Result<Self, PdfError> {
        Ok(Fonts {
            regular: Font::new(REGULAR.into(), 0).ok_or(PdfError::Font)?,
            bold: Font::new(BOLD.into(), 0).ok_or(PdfError::Font)?,
            regular_face: rustybuzz::Face::from_slice(REGULAR, 0).ok_or(PdfError::Font)?,
            bold_face: rustybuzz::Face::from_slice(BOLD, 0).ok_or(PdfError::Font)?,
        })
    }

    /// The first character of `text` (other than line breaks) the regular
    /// or bold face cannot draw.
    fn unprintable(&self, text: &str) -> Option<char> {
        text.chars().filter(|c| !c.is_control()).find(|c| {
            self.regular_face.glyph_index(*c).is_none() || self.bold_face.glyph_index(*c).is_none()
        })
    }

    /// The width of `text` at `size`, as the font's advances add up.
    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let face = if bold {
            &self.bold_face
        } else {
            &self.regular_face
        };
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        let shaped = rustybuzz::shape(face, &[], buffer);
        let units: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
        units as f32 * size / f32::from(face.units_per_em().max(1) as u16)
    }

    /// `text` broken into lines no wider than `max` (at spaces; a word
    /// longer than a line is cut).
    fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            let mut current = String::new();
            for word in paragraph.split(' ') {
                let candidate = if current.is_empty() {
                    word.to_owned()
                } else {
                    format!("{current} {word}")
                };
                if self.width(&candidate, size, false) <= max || current.is_empty() {
                    current = candidate;
                } else {
                    lines.push(std::mem::take(&mut current));
                    current = word.to_owned();
                }
                while self.width(&current, size, false) > max && current.chars().count() > 1 {
                    // One word wider than the column: cut it.
                    let mut head = String::new();
                    for ch in current.chars() {
                        if self.width(&format!("{head}{ch}"), size, false) > max {
                            break;
                        }
                        head.push(ch);
                    }
                    let rest = current[head.len()..].to_owned();
                    lines.push(head);
                    current = rest;
                }
            }
            lines.push(current);
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines
    }
}

/// A page being drawn, top to bottom.
struct Pen<'f, 's, 'p> {
    fonts: &'f Fonts,
    surface: &'s mut Surface<'p>,
}

impl Pen<'_, '_, '_> {
    fn text(&mut self, x: f32, y: f32, text: &str, size: f32, bold: bool) {
        let font = if bold {
            self.fonts.bold.clone()
        } else {
            self.fonts.regular.clone()
        };
        self.surface.draw_text(
            Point::from_xy(x, y),
            font,
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    fn right(&mut self, right_edge: f32, y: f32, text: &str, size: f32, bold: bool) {
        let w = self.fonts.width(text, size, bold);
        self.text(right_edge - w, y, text, size, bold);
    }

    fn rule(&mut self, y: f32) {
        let mut pb = PathBuilder::new();
        pb.move_to(MARGIN, y);
        pb.line_to(PAGE_W - MARGIN, y);
        if let Some(path) = pb.finish() {
            self.surface.set_fill(None);
            self.surface.set_stroke(Some(Stroke {
                paint: rgb::Color::new(160, 166, 174).into(),
                width: 0.6,
                ..Default::default()
            }));
            self.surface.draw_path(&path);
            self.surface.set_stroke(None);
            self.surface.set_fill(Some(Fill::default()));
        }
    }
}

/// The columns of the line table: description, quantity, unit price,
/// amount (right edges for the numbers).
const COL_QTY: f32 = 360.0;
const COL_PRICE: f32 = 445.0;
const COL_AMOUNT: f32 = PAGE_W - MARGIN;
const DESC_WIDTH: f32 = 240.0;

fn party_lines(p: &Party) -> Vec<String> {
    let mut out = vec![p.name.clone()];
    out.extend(
        p.address
            .lines()
            .map(str::to_owned)
            .filter(|l| !l.trim().is_empty()),
    );
    if !p.tax_id.is_empty() {
        out.push(format!("VAT/Tax ID: {}", p.tax_id));
    }
    if !p.email.is_empty() {
        out.push(p.email.clone());
    }
    out
}

/// The invoice as a PDF.
pub fn invoice_pdf(doc: &InvoicePdf<'_>) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load()?;
    let inv = doc.invoice;
    let mut texts: Vec<&str> = vec![doc.footer, &inv.notes];
    for p in [doc.sender, doc.recipient] {
        texts.extend(
            [&p.name, &p.address, &p.tax_id, &p.email, &p.bank_details].map(String::as_str),
        );
    }
    texts.extend(inv.lines.iter().map(|l| l.description.as_str()));
    if let Some(c) = texts.iter().find_map(|t| fonts.unprintable(t)) {
        return Err(PdfError::Unprintable(c));
    }
    let cur = inv.currency;
    let money = |m: tt_domain::Money| cur.format(m);
    let number = inv.display_number();

    // Lay out the rows first, to know where pages break.
    struct Row {
        desc: Vec<String>,
        qty: String,
        price: String,
        amount: String,
    }
    let rows: Vec<Row> = inv
        .lines
        .iter()
        .map(|l| Row {
            desc: fonts.wrap(&l.description, BODY, DESC_WIDTH),
            qty: match l.kind {
                LineKind::Time => format!("{} h", format_hundredths(l.quantity.hundredths())),
                LineKind::Custom => format_hundredths(l.quantity.hundredths()),
            },
            price: format_hundredths(l.unit_price.hundredths()),
            amount: money(l.amount),
        })
        .collect();

    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("Invoice {number}"))
            .creator("TimeTracker".to_owned()),
    );
    let logo = doc.logo.and_then(|l| match l.media_type {
        "image/png" => Image::from_png(l.bytes.clone().into(), true).ok(),
        "image/jpeg" => Image::from_jpeg(l.bytes.clone().into(), true).ok(),
        _ => None,
    });

    let mut next_row = 0;
    let mut page_no = 0;
    while page_no == 0 || next_row < rows.len() {
        page_no += 1;
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| PdfError::Write("page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        let mut pen = Pen {
            fonts: &fonts,
            surface: &mut surface,
        };
        let mut y = MARGIN;
        if page_no == 1 {
            // Header: logo or name on the left, title and facts on the right.
            let mut left_y = y;
            if let Some(image) = logo.clone() {
                let (w, h) = image.size();
                let scale = (150.0 / w as f32).min(60.0 / h as f32).min(1.0);
                if let Some(size) = Size::from_wh(w as f32 * scale, h as f32 * scale) {
                    pen.surface
                        .push_transform(&Transform::from_translate(MARGIN, left_y));
                    pen.surface.draw_image(image, size);
                    pen.surface.pop();
                    left_y += size.height() + 10.0;
                }
            }
            left_y += 12.0;
            pen.text(MARGIN, left_y, &doc.sender.name, 14.0, true);
            left_y += 6.0;
            for l in party_lines(doc.sender).iter().skip(1) {
                left_y += LINE;
                pen.text(MARGIN, left_y, l, BODY, false);
            }

            let right = PAGE_W - MARGIN;
            pen.right(right, y + 18.0, "INVOICE", 20.0, true);
            let mut ry = y + 40.0;
            let due = inv.due_date.map(|d| d.to_string()).unwrap_or_default();
            for (label, value) in [
                ("Number", number.as_str()),
                ("Issue date", &inv.issue_date.to_string()),
                ("Due date", due.as_str()),
                ("Currency", cur.code()),
            ] {
                if value.is_empty() {
                    continue;
                }
                pen.right(right - 110.0, ry, label, BODY, false);
                pen.right(right, ry, value, BODY, true);
                ry += LINE;
            }

            y = left_y.max(ry) + 28.0;
            pen.text(MARGIN, y, "Bill to", BODY, true);
            for (i, l) in party_lines(doc.recipient).iter().enumerate() {
                y += LINE;
                pen.text(MARGIN, y, l, BODY, i == 0);
            }
            y += 28.0;
        } else {
            pen.text(
                MARGIN,
                y + 10.0,
                &format!("Invoice {number} (continued)"),
                BODY,
                true,
            );
            y += 34.0;
        }

        // The table header.
        pen.text(MARGIN, y, "Description", BODY, true);
        pen.right(COL_QTY, y, "Quantity", BODY, true);
        pen.right(COL_PRICE, y, "Unit price", BODY, true);
        pen.right(
            COL_AMOUNT,
            y,
            &format!("Amount ({})", cur.code()),
            BODY,
            true,
        );
        y += 5.0;
        pen.rule(y);
        y += LINE;

        // Rows while they fit (leaving room for the totals on the last page).
        while next_row < rows.len() {
            let row = &rows[next_row];
            let height = row.desc.len() as f32 * LINE + 4.0;
            let reserve = if next_row + 1 == rows.len() {
                190.0
            } else {
                0.0
            };
            if y + height + reserve > PAGE_H - MARGIN - 30.0 && next_row > 0 {
                break;
            }
            pen.text(MARGIN, y, &row.desc[0], BODY, false);
            pen.right(COL_QTY, y, &row.qty, BODY, false);
            pen.right(COL_PRICE, y, &row.price, BODY, false);
            pen.right(COL_AMOUNT, y, &row.amount, BODY, false);
            for more in &row.desc[1..] {
                y += LINE;
                pen.text(MARGIN, y, more, BODY, false);
            }
            y += LINE + 4.0;
            next_row += 1;
        }

        if next_row == rows.len() {
            pen.rule(y - LINE + 4.0);
            y += 6.0;
            let t = &inv.totals;
            let mut totals: Vec<(String, String, bool)> =
                vec![("Subtotal".into(), money(t.subtotal), false)];
            if t.discount.cents() != 0 || inv.discount.basis_points() != 0 {
                totals.push((
                    format!("Discount {}", inv.discount),
                    format!("-{}", money(t.discount)),
                    false,
                ));
                totals.push(("Net".into(), money(t.net), false));
            }
            totals.push((format!("Tax {}", inv.tax_rate), money(t.tax), false));
            totals.push((format!("Total {}", cur.code()), money(t.total), true));
            for (label, value, bold) in totals {
                pen.right(COL_PRICE, y, &label, BODY, bold);
                pen.right(COL_AMOUNT, y, &value, if bold { 11.0 } else { BODY }, bold);
                y += LINE + 2.0;
            }
            y += 16.0;
            let block = |pen: &mut Pen<'_, '_, '_>, title: &str, body: &str, y: &mut f32| {
                if body.trim().is_empty() {
                    return;
                }
                pen.text(MARGIN, *y, title, BODY, true);
                for l in fonts.wrap(body, BODY, PAGE_W - 2.0 * MARGIN) {
                    *y += LINE;
                    pen.text(MARGIN, *y, &l, BODY, false);
                }
                *y += 20.0;
            };
            block(&mut pen, "Notes", &inv.notes, &mut y);
            block(&mut pen, "Payment", &doc.sender.bank_details, &mut y);
        }

        // Footer on every page.
        let footer_y = PAGE_H - MARGIN + 10.0;
        let mut fy = footer_y - 12.0 * doc.footer.lines().count().saturating_sub(1) as f32;
        for l in doc.footer.lines() {
            pen.text(MARGIN, fy, l, 7.5, false);
            fy += 12.0;
        }
        pen.right(
            PAGE_W - MARGIN,
            footer_y,
            &format!("Page {page_no}"),
            7.5,
            false,
        );
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))
}

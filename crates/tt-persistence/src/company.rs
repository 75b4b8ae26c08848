//! The company profile: one row of sender details, invoice terms, the
//! default currency and the number pattern, plus an optional logo.

use diesel::prelude::*;
use tt_domain::{CompanyProfile, Logo, NumberPattern, Party, TaxRate};

use crate::schema::company_profile;
use crate::{DbConnection, PersistenceError, Result, currency};

#[derive(Queryable, Selectable)]
#[diesel(table_name = company_profile)]
struct ProfileRow {
    name: String,
    address: String,
    tax_id: String,
    email: String,
    bank_details: String,
    payment_terms_days: i32,
    default_tax_rate_bp: i64,
    footer: String,
    default_currency: String,
    number_pattern: String,
    logo: Option<Vec<u8>>,
}

/// The company profile (the migration creates its one row).
pub fn load(conn: &mut DbConnection) -> Result<CompanyProfile> {
    let r: ProfileRow = company_profile::table
        .find(1_i64)
        .select(ProfileRow::as_select())
        .first(conn)?;
    Ok(CompanyProfile {
        party: Party {
            name: r.name,
            address: r.address,
            tax_id: r.tax_id,
            email: r.email,
            bank_details: r.bank_details,
        },
        payment_terms_days: u32::try_from(r.payment_terms_days)
            .map_err(|_| PersistenceError::Corrupt("payment terms"))?,
        default_tax_rate: TaxRate::from_basis_points(r.default_tax_rate_bp)
            .ok_or(PersistenceError::Corrupt("tax rate"))?,
        footer: r.footer,
        default_currency: currency(&r.default_currency)?,
        number_pattern: NumberPattern::parse(&r.number_pattern)
            .map_err(|_| PersistenceError::Corrupt("number pattern"))?,
        logo: r
            .logo
            .map(Logo::parse)
            .transpose()
            .map_err(|_| PersistenceError::Corrupt("logo"))?,
    })
}

/// Saves the profile, the logo included (`None` removes it).
pub fn save(conn: &mut DbConnection, p: &CompanyProfile) -> Result<()> {
    let terms = i32::try_from(p.payment_terms_days)
        .map_err(|_| PersistenceError::Conflict("payment terms out of range"))?;
    diesel::update(company_profile::table.find(1_i64))
        .set((
            company_profile::name.eq(&p.party.name),
            company_profile::address.eq(&p.party.address),
            company_profile::tax_id.eq(&p.party.tax_id),
            company_profile::email.eq(&p.party.email),
            company_profile::bank_details.eq(&p.party.bank_details),
            company_profile::payment_terms_days.eq(terms),
            company_profile::default_tax_rate_bp.eq(p.default_tax_rate.basis_points()),
            company_profile::footer.eq(&p.footer),
            company_profile::default_currency.eq(p.default_currency.code()),
            company_profile::number_pattern.eq(p.number_pattern.as_str()),
            company_profile::logo.eq(p.logo.as_ref().map(|l| l.bytes.as_slice())),
            company_profile::logo_type.eq(p.logo.as_ref().map(|l| l.media_type)),
        ))
        .execute(conn)?;
    Ok(())
}
